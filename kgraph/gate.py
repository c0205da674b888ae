"""The validation gate: nothing reaches a store unless it parses and has no Violation.

Files (``kgraph load``, server start, ``import-table --apply``) go through
:func:`prepare` and then either :func:`memory_store` or :func:`publish`.  A SPARQL
Update is applied to a copy of the served snapshot in a query executor
(:func:`kgraph.engine.operations.update`), which runs the same per-unit validation
(:func:`kgraph.validation_units.validate_dataset`) and publishes under the same
writer lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import Config
from .dataset import SourceError, parse_sources
from .snapshots import SnapshotStore
from .sources import Source, shapes_files, shipped_sources, sources_for_files
from .validation import (
    Report,
    cached_report,
    store_report,
    validation_key,
)
from .validation_units import holds_plan, validate_dataset


class GateError(Exception):
    """The candidate dataset was refused; ``report`` says why (if it got that far)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Candidate:
    """A parsed, validated dataset that is not yet published."""

    sources: list[Source]
    quads: list[ox.Quad]
    report: Report


def config_sources(config: Config) -> list[Source]:
    """The files a config serves: ``--data`` files, else the shipped sources."""
    if config.data:
        return sources_for_files(config.data, config.base)
    return shipped_sources(config.base)


def prepare(
    config: Config,
    sources: list[Source] | None = None,
    shapes: list[Path] | None = None,
    use_cache: bool = True,
) -> Candidate:
    """Parse and validate; raise :class:`GateError` on a parse error or a Violation."""
    sources = sources if sources is not None else config_sources(config)
    shapes = shapes if shapes is not None else shapes_files()
    try:
        quads = parse_sources(sources, config.base)
    except SourceError as error:
        raise GateError(f"cannot parse {error}") from error
    protect = published_holds_plan(config)
    key = validation_key(sources, shapes) + ("-plan" if protect else "") if use_cache else ""
    report = cached_report(config.cache_dir, key) if use_cache else None
    if report is None:
        # Per named graph, in parallel, each unit's report cached on its own.
        report = validate_dataset(
            quads, base=config.base, shapes=shapes,
            cache_dir=config.cache_dir if use_cache else None, protect_plan=protect,
        )
        if use_cache:
            store_report(config.cache_dir, key, report)
    _refuse_unless_conforming(report)
    return Candidate(sources, quads, report)


def check_quads(config: Config, quads: list[ox.Quad]) -> Candidate:
    """Validate a dataset already in hand (the served snapshot with one graph
    replaced); raise :class:`GateError` on a Violation.  Units left unchanged are
    taken from the per-unit cache."""
    report = validate_dataset(quads, base=config.base, cache_dir=config.cache_dir,
                              protect_plan=published_holds_plan(config))
    _refuse_unless_conforming(report)
    return Candidate([], quads, report)


def published_holds_plan(config: Config) -> bool:
    """Whether the data published in ``config.store`` holds a plan, which then no
    publication may remove (``kgs:PublishedPlanShape``)."""
    if not config.store:
        return False
    snapshots = SnapshotStore(config.store)
    if snapshots.current() is None:
        return False
    return holds_plan(snapshots.open_read_only())


def _refuse_unless_conforming(report: Report) -> None:
    if not report.conforms:
        raise GateError(
            f"refused: {report.count('Violation')} violation(s) of the shapes", report
        )


def memory_store(candidate: Candidate) -> ox.Store:
    """An in-memory store holding a validated candidate."""
    store = ox.Store()
    store.bulk_extend(candidate.quads)
    return store


def publish(config: Config, candidate: Candidate) -> Path:
    """Make a validated candidate the current snapshot of ``config.store``.

    Waits for a SPARQL Update that is being applied (the writer lock), so that the
    update cannot publish its copy of the old snapshot over this one afterwards.
    """
    if not config.store:
        raise ValueError("publishing needs an on-disk store directory (--store)")
    snapshots = SnapshotStore(config.store)
    with snapshots.writer_lock():
        return snapshots.publish_quads(candidate.quads)


def serving_store(config: Config) -> ox.Store:
    """The store to read from: the current on-disk snapshot, else a validated memory store."""
    if config.store:
        return SnapshotStore(config.store).open_read_only()
    return memory_store(prepare(config))
