"""The one path for data: a candidate dataset, validated, then published or not.

Every flow that changes or checks the data goes through here, once:

===============================  =============================================
``kgraph load``, server start    :func:`from_files` → :func:`validate` → :func:`publish`
``kgraph validate``              :func:`from_files` → :func:`validate` (a dry run)
``kgraph import-table``          :func:`with_upload` → :func:`validate` → :func:`publish`
``POST /validation``             :func:`with_upload` → :func:`validate` (in a sandbox)
SPARQL Update                    :func:`after_update` → :func:`validate` → :func:`publish`
                                 (in a sandbox)
staff area: upload, publish      :func:`with_upload` → :func:`validate` → :func:`publish`
                                 (in a sandbox, :mod:`kgraph.staff.publishing`)
staff area: restore              :func:`from_snapshot` → :func:`validate` → :func:`publish`
===============================  =============================================

A **candidate** is a whole dataset as it would be served.  **Validation** is the
SHACL shapes' per-unit validation with its one cache (keyed by each unit's content,
:mod:`kgraph.validation_units`); a candidate that would replace published data
holding a plan must hold one too (``kgs:PublishedPlanShape``).  **Publishing**
happens under the store's writer lock (:func:`writing`), only for a conforming
candidate, and atomically (:mod:`kgraph.snapshots`): what is served is the old
dataset or the new one, never a mix.  A candidate made from a snapshot that is no
longer current is refused (:class:`Conflict`), so that nobody publishes over a
change they have not seen.  Every publication is recorded once, here
(:mod:`kgraph.staff.provenance`): who made it, when, why, what it replaced and what
changed, as PROV-O in the graph ``graph/publications`` and in the store's history.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import Config
from .dataset import SourceError, parse_sources
from .snapshots import SnapshotStore
from .sources import Source, config_sources
from .staff import provenance
from .staff.provenance import Agent
from .validation import Report
from .validation_units import holds_plan, validate_dataset


class Refused(Exception):
    """A candidate that cannot be published; ``report`` says why when it was validated."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class Conflict(Refused):
    """The published data changed since the candidate was made from it."""


@dataclass
class Candidate:
    """A whole dataset as it would be served."""

    quads: list[ox.Quad]
    #: What made it (``load``, ``update``, ``import-table``, ``upload``, ...).
    label: str = ""
    #: The snapshot it was made from (``None``: from files, or nothing published).
    based_on: str | None = None
    #: The base of its instance IRIs (where its publication is recorded).
    base: str | None = None


@dataclass
class Checked:
    """A validated candidate."""

    candidate: Candidate
    report: Report

    @property
    def conforms(self) -> bool:
        return self.report.conforms

    @property
    def quads(self) -> list[ox.Quad]:
        return self.candidate.quads


@dataclass
class Published:
    """What a snapshot store serves now (``root`` ``None``: nothing, a fresh start)."""

    root: str | None
    _store: ox.Store | None = field(default=None, repr=False)

    @property
    def snapshot(self) -> str | None:
        """The name of the current snapshot, or ``None``."""
        current = SnapshotStore(self.root).current() if self.root else None
        return current.name if current is not None else None

    def store(self) -> ox.Store | None:
        if self._store is None and self.snapshot is not None:
            self._store = SnapshotStore(str(self.root)).open_read_only()
        return self._store

    def quads(self) -> list[ox.Quad]:
        store = self.store()
        return list(store.quads_for_pattern(None, None, None, None)) if store else []

    def holds_plan(self) -> bool:
        return holds_plan(self.store())


# ---------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------


def from_files(config: Config, sources: list[Source] | None = None,
               label: str = "load") -> Candidate:
    """The dataset of files (default: what the config serves)."""
    sources = sources if sources is not None else config_sources(config)
    try:
        return Candidate(parse_sources(sources, config.base), label, base=config.base)
    except SourceError as error:
        raise Refused(f"cannot parse {error}") from error


def with_upload(config: Config, name: str, data: bytes, published: Published | None,
                label: str = "upload") -> Candidate:
    """The published data (else the configured files) with an uploaded file in place:
    a triple file replaces the graph named after it, a dataset file the graphs it
    holds, a plan spreadsheet the entries graph (:mod:`kgraph.uploads`).  Raises
    :class:`kgraph.uploads.UploadError` for a file that cannot be read."""
    from .uploads import candidate_quads

    if published is not None and published.snapshot is not None:
        base_quads, based_on = published.quads(), published.snapshot
    else:
        base_quads, based_on = from_files(config).quads, None
    return Candidate(candidate_quads(name, data, base_quads, config.base), label, based_on,
                     config.base)


def after_update(published: Published, text: str, base: str,
                 prefixes: dict[str, str] | None = None) -> Candidate:
    """The published data after a SPARQL Update (on a copy: nothing is written).

    Raises :class:`SyntaxError`, :class:`ValueError` (an update that cannot be
    applied) or :class:`OSError` (a ``LOAD`` or ``SERVICE`` that failed)."""
    copy = ox.Store()
    store = published.store()
    if store is not None:
        copy.bulk_extend(store.quads_for_pattern(None, None, None, None))
    copy.update(text, base_iri=base, prefixes=prefixes)
    return Candidate(list(copy.quads_for_pattern(None, None, None, None)), "update",
                     published.snapshot, base)


def from_snapshot(root: str | Path, name: str, published: Published, base: str,
                  label: str = "restore") -> Candidate:
    """The data of an earlier snapshot still kept in the store (a restore): a new
    candidate like any other, through the same gate.  Raises :class:`Refused` when
    ``name`` is not a kept snapshot of the history."""
    snapshots = SnapshotStore(root)
    kept = {r["id"] for r in snapshots.history() if r.get("kept")}
    path = snapshots.snapshot(name) if name in kept else None
    if path is None:
        raise Refused(f"no publication {name!r} is kept in the history")
    store = ox.Store.read_only(str(path))
    return Candidate(list(store.quads_for_pattern(None, None, None, None)), label,
                     published.snapshot, base)


# ---------------------------------------------------------------------------
# Validation, publishing
# ---------------------------------------------------------------------------


def validate(config: Config, candidate: Candidate, published: Published | None = None,
             *, use_cache: bool = True, workers: int | None = None) -> Checked:
    """Validate a candidate (per unit, with the one cache).  The plan rule applies
    when the candidate would replace published data that holds a plan."""
    protect = published is not None and published.holds_plan()
    report = validate_dataset(
        candidate.quads, base=config.base, cache_dir=config.cache_dir if use_cache else None,
        workers=workers, protect_plan=protect,
    )
    return Checked(candidate, report)


def refuse_unless_conforming(checked: Checked) -> None:
    if not checked.conforms:
        raise Refused(
            f"refused: {checked.report.count('Violation')} violation(s) of the shapes",
            checked.report,
        )


@contextlib.contextmanager
def writing(root: str | Path) -> Iterator[Published]:
    """Hold the store's writer lock; yield what it serves.  Publishers take turns
    here, so that nobody publishes a copy of a snapshot another has replaced."""
    snapshots = SnapshotStore(root)
    with snapshots.writer_lock():
        yield Published(str(root))


def publish(root: str | Path, checked: Checked, published: Published, *,
            agent: Agent | None = None, summary: str | None = None,
            details: dict | None = None) -> Path:
    """Make a conforming candidate the current snapshot (call inside :func:`writing`),
    recording the publication: ``agent`` made it (default: the user at the command
    line), ``summary`` says why in one line (default: what kind of publication, and
    how much changed), ``details`` are kept in its history record.

    Raises :class:`Refused` for a candidate with a violation and :class:`Conflict`
    when the store moved on since the candidate was made from it."""
    refuse_unless_conforming(checked)
    candidate = checked.candidate
    based_on = candidate.based_on
    if based_on is not None and published.snapshot != based_on:
        raise Conflict(
            f"the published data changed since this was made from it "
            f"(now {published.snapshot}, then {based_on})"
        )
    snapshots = SnapshotStore(root)
    if unchanged(candidate, published):  # nothing to publish: no new snapshot
        current = snapshots.current()
        if current is not None:
            return current
    label = candidate.label or "publish"
    if candidate.base is None:  # made by hand (tests): nowhere to record it
        return snapshots.publish_quads(checked.quads, label=label)
    name = snapshots.new_name(label)
    described = provenance.describe(
        candidate.base, name, checked.quads, published.quads(), published.snapshot,
        agent=agent or Agent.command_line(), label=label, summary=summary, extra=details,
    )
    return snapshots.publish_quads(described.quads, label, name=name, record=described.record)


def unchanged(candidate: Candidate, published: Published) -> bool:
    """Whether a candidate holds exactly the published data (an update that changed
    nothing, an import of the same table): publishing it would only add a snapshot.
    The publications graph is kgraph's own record and does not count."""
    store = published.store()
    if store is None:
        return False
    mine = ox.NamedNode(provenance.graph(candidate.base)) if candidate.base else None
    theirs = [q for q in store.quads_for_pattern(None, None, None, None)
              if q.graph_name != mine]
    ours = [q for q in candidate.quads if q.graph_name != mine]
    if len(theirs) != len(set(ours)):
        return False
    return set(ours) == set(theirs)


def prepare(config: Config, sources: list[Source] | None = None,
            use_cache: bool = True) -> Checked:
    """The configured files, validated against what the store serves; raises
    :class:`Refused` unless they conform."""
    published = Published(config.store) if config.store else None
    checked = validate(config, from_files(config, sources), published, use_cache=use_cache)
    refuse_unless_conforming(checked)
    return checked


def serving_store(config: Config) -> ox.Store:
    """The store to read from: the current on-disk snapshot, else a validated memory store."""
    if config.store:
        return SnapshotStore(config.store).open_read_only()
    store = ox.Store()
    store.bulk_extend(prepare(config).quads)
    return store
