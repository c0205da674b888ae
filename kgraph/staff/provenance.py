"""The record of a publication: who made it, when, why, what it replaced, what changed.

Every publication (``kgraph load``, ``kgraph import-table --apply``, SPARQL Update,
the staff area, a restore) goes through :func:`kgraph.service.publish`, which calls
:func:`describe` once.  The record goes two ways:

* **into the graph**, as PROV-O in the named graph ``<base>graph/publications``::

      <id/publication/N> a prov:Activity ;
          prov:startedAtTime / prov:endedAtTime "…"^^xsd:dateTime ;
          prov:wasAssociatedWith <id/agent/staff/alice> ;
          prov:used <id/version/PREVIOUS> ;          # what it replaced
          prov:generated <id/version/N> ;
          dcterms:title "…"@ja, "…"@en ; dcterms:description "the summary" .
      <id/version/N> a prov:Entity ; prov:wasGeneratedBy … ; prov:generatedAtTime … ;
          prov:wasAttributedTo … ; prov:wasRevisionOf <id/version/PREVIOUS> ;
          dcat:downloadURL <versions/N/kgraph.nq.gz> .   # while it is in the history
      <id/agent/staff/alice> a prov:Agent, prov:Person ; foaf:name "alice" .

  The graph is kgraph's own: a publication keeps the published one and adds to it,
  whatever the candidate held there (an update or upload cannot rewrite it).  It
  mentions no resource of the other graphs, so it is a validation unit of its own
  (:mod:`kgraph.validation_units`): a publication leaves the data's cached reports
  valid, and the next validation checks only this small graph again;
* **on disk**, beside the snapshot (:meth:`kgraph.snapshots.SnapshotStore.history`),
  with the diff in Japanese and English for the history pages.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox

from ..diff import diff_datasets, statements_changed
from ..iris import INSTANCE_ROOT, graph_iri
from ..messages import LANGS, text

#: The named graph of the publication records (``<base>graph/publications``).
AREA = "publications"
#: A publication changing more statements than this keeps only the counts, not the diff.
RECORD_DIFF_MAX = 2_000

PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def graph(base: str) -> str:
    """The publications graph's IRI."""
    return graph_iri(base, AREA)


@dataclass(frozen=True)
class Agent:
    """Who published: the operator (its token), a named staff member, someone at
    the command line, or kgraph itself."""

    kind: str  # operator | staff | cli | system
    name: str

    @classmethod
    def operator(cls) -> Agent:
        return cls("operator", "operator")

    @classmethod
    def command_line(cls) -> Agent:
        """The user running the command (the login name)."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls("cli", user or "unknown")

    @classmethod
    def from_json(cls, data: object) -> Agent:
        if isinstance(data, dict) and data.get("kind") in ("operator", "staff", "cli", "system"):
            return cls(str(data["kind"]), str(data.get("name") or data["kind"]))
        return cls("system", "kgraph")

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name}

    @property
    def by(self) -> str:
        """How the history names it: ``alice``, ``operator``, ``cli:root``, ``kgraph``."""
        return self.name if self.kind in ("staff", "operator", "system") else \
            f"{self.kind}:{self.name}"

    def iri(self, base: str) -> str:
        root = f"{base}{INSTANCE_ROOT}agent/"
        if self.kind in ("operator", "system"):
            return root + self.kind
        return f"{root}{self.kind}/{quote(self.name, safe='')}"


def publication_iri(base: str, name: str) -> str:
    return f"{base}{INSTANCE_ROOT}publication/{name}"


def version_iri(base: str, name: str) -> str:
    return f"{base}{INSTANCE_ROOT}version/{name}"


def dump_url(base: str, name: str) -> str:
    """Where a kept snapshot's dump is served (:mod:`kgraph.web.staff`)."""
    return f"{base}versions/{name}/kgraph.nq.gz"


def auto_summary(label: str, lang: str, diff_line: str, **values: object) -> str:
    """A one-line summary when the publisher gave none: what kind of publication,
    and how much changed."""
    key = f"staff.summary_{label.replace('-', '_')}"
    from ..messages import has

    kind = text(key, lang, **values) if has(key) else text("staff.summary_other", lang,
                                                             label=label)
    return text("staff.summary_line", lang, kind=kind, diff=diff_line)


@dataclass
class Described:
    """A publication's quads (the candidate's data plus the publications graph) and
    its record for the history."""

    quads: list[ox.Quad]
    record: dict


def describe(
    base: str,
    name: str,
    quads: Sequence[ox.Quad],
    published: Sequence[ox.Quad],
    replaced: str | None,
    *,
    agent: Agent,
    label: str,
    summary: str | None = None,
    extra: dict | None = None,
) -> Described:
    """The data to publish as snapshot ``name`` with its publication recorded.

    ``quads`` is the candidate, ``published`` what is served now (snapshot
    ``replaced``).  The publications graph is the published one plus this
    publication, whatever the candidate holds there."""
    own = ox.NamedNode(graph(base))
    data = [q for q in quads if q.graph_name != own]
    kept = [q for q in published if q.graph_name == own]
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    changed = statements_changed(published, data, skip=[own.value])
    diffs = (diff_datasets(published, data, LANGS, skip=[own.value])
             if changed <= RECORD_DIFF_MAX else None)
    if diffs is not None:
        lines = {lang: diffs[lang].summary_line() for lang in LANGS}
    else:
        lines = {lang: text("staff.statements_changed", lang, n=changed) for lang in LANGS}
    values = dict(extra or {})
    given = " ".join((summary or "").split())[:300]  # one line
    summaries = {lang: given or auto_summary(label, lang, lines[lang], **values)
                 for lang in LANGS}
    record = {
        "published_at": stamp,
        "by": agent.by,
        "agent": agent.to_json(),
        "label": label,
        "summary": summaries,
        "replaced": replaced,
        "statements_changed": changed,
        "diff": {lang: diffs[lang].to_json() for lang in LANGS} if diffs else None,
        **values,
    }
    added = _graph(base, name, replaced, agent, stamp, summaries, values, own,
                   given=bool(given))
    if replaced:  # a version published before records were kept: named, so that it answers
        previous = ox.NamedNode(version_iri(base, replaced))
        if not any(q.subject == previous for q in kept):
            added.append(ox.Quad(previous, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity"),
                                 own))
    return Described([*data, *kept, *added], record)


def _graph(base: str, name: str, replaced: str | None, agent: Agent, stamp: str,
           summaries: dict[str, str], values: dict, own: ox.NamedNode, *,
           given: bool) -> list[ox.Quad]:
    N, L = ox.NamedNode, ox.Literal
    activity, version = N(publication_iri(base, name)), N(version_iri(base, name))
    who = N(agent.iri(base))
    when = L(stamp, datatype=N(XSD_DATETIME))
    triples = [
        (activity, RDF_TYPE, N(PROV + "Activity")),
        (activity, PROV + "startedAtTime", when),
        (activity, PROV + "endedAtTime", when),
        (activity, PROV + "wasAssociatedWith", who),
        (activity, PROV + "generated", version),
        (version, RDF_TYPE, N(PROV + "Entity")),
        (version, PROV + "wasGeneratedBy", activity),
        (version, PROV + "generatedAtTime", when),
        (version, PROV + "wasAttributedTo", who),
        (version, DCAT + "downloadURL", N(dump_url(base, name))),
        (who, RDF_TYPE, N(PROV + "Agent")),
        (who, RDF_TYPE, N(PROV + ("Person" if agent.kind in ("staff", "operator", "cli")
                                  else "SoftwareAgent"))),
        (who, FOAF + "name", L(agent.by)),
    ]
    for lang in LANGS:
        title = text("staff.activity_title", lang, when=stamp, by=agent.by)
        triples.append((activity, DCT + "title", L(title, language=lang)))
        if not given:  # a summary the publisher wrote is in a language we do not know
            triples.append((activity, DCT + "description", L(summaries[lang], language=lang)))
    if given:
        triples.append((activity, DCT + "description", L(summaries[LANGS[0]])))
    if replaced:
        previous = N(version_iri(base, replaced))
        triples += [(activity, PROV + "used", previous),
                    (version, PROV + "wasRevisionOf", previous)]
    restored = values.get("restored_from")
    if restored:
        triples.append((activity, PROV + "used", N(version_iri(base, str(restored)))))
    return [ox.Quad(s, N(p), o, own) for s, p, o in triples]
