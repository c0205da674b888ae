"""Validation that scales: per named graph, in parallel, incremental, same report.

SHACL results are per focus node, and what decides a focus node's results is the
data around it.  A national dataset is many named graphs (one per municipality)
that describe disjoint sets of resources and all refer to the same shared graphs
(the ontology: classes, properties, code lists).  So the dataset is split into
**units**:

* the *shared* graphs (by default ``<base>graph/ontology``) go into every unit;
* two other graphs are in the same unit when one mentions a resource that the
  other describes (is the subject of triples in it) - connected components, so the
  shipped data, whose graphs refer to each other, is one unit, and each synthetic
  municipality is a unit of its own;
* each unit (its graphs plus the shared ones) is validated on its own, in worker
  processes, and its report is cached by the content hash of its quads (with the
  shared graphs', the shapes' and the engines' versions): after a change, only the
  units whose graphs changed are validated again;
* the reports are merged: results on resources of the units, once each; results
  on resources of the shared graphs, which every unit sees, once; results of a
  dataset-level shape (:data:`DATASET_SHAPES`: "the dataset holds a plan") only
  when every unit gives them.

This gives the report that validating the whole union gives, provided that no
shape result on a resource depends on data outside its unit - true of every shape
in ``shapes/`` that the data leaves in one unit.  The merge checks what it can:
every unit must give the same results on the shared resources (a unit whose data
changes them - a shape counting incoming links from several municipalities, say -
is refused with :class:`UnitsDisagree`, and the caller validates the whole union).
``tests/test_validation_scale.py`` compares with whole-graph validation.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from . import __version__, report_cache
from .iris import KGS, graph_iri
from .sources import shapes_files
from .validation import (
    Report,
    Result,
    _result_order,
    engine_versions,
    load_shapes,
    report_from_graph,
    report_graph_of,
    shacl_engine,
)

#: Shapes about the dataset as a whole, not about the resources of one unit: their
#: results are merged by :func:`_merge`'s own rule (see there).
DATASET_SHAPES = frozenset({KGS + "PublishedPlanShape"})
#: The cache's folder of unit reports.
UNITS = "validation-units"
#: Below this many quads to validate, units are validated in this process.
SMALL = 50_000


class UnitsDisagree(Exception):
    """Units gave different results on a shared resource: validate the whole union."""


@dataclass
class Unit:
    """Named graphs validated together (with the shared graphs)."""

    graphs: tuple[str, ...]
    quads: list[ox.Quad] = field(default_factory=list)

    def nquads(self) -> bytes:
        return ox.serialize(self.quads, format=ox.RdfFormat.N_QUADS) or b""


@dataclass
class UnitStats:
    """What a run of :func:`validate_units` did (for benchmarks and tests)."""

    units: int = 0
    validated: int = 0
    cached: int = 0
    seconds: float = 0.0
    workers: int = 1


def default_shared(base: str) -> tuple[str, ...]:
    return (graph_iri(base, "ontology"),)


def partition(
    quads: Iterable[ox.Quad], shared: Sequence[str]
) -> tuple[list[ox.Quad], list[Unit]]:
    """Split quads into the shared graphs' quads and units (see the module docstring)."""
    shared_set = set(shared)
    shared_quads: list[ox.Quad] = []
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        if name in shared_set:
            shared_quads.append(q)
        else:
            by_graph.setdefault(name, []).append(q)
    described: dict[object, str] = {}
    parent = {g: g for g in by_graph}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for g, graph_quads in by_graph.items():
        for q in graph_quads:
            other = described.setdefault(q.subject, g)
            if other != g:
                union(g, other)
    for g, graph_quads in by_graph.items():
        for q in graph_quads:
            if isinstance(q.object, ox.NamedNode | ox.BlankNode):
                other = described.get(q.object)
                if other is not None and other != g:
                    union(g, other)
    groups: dict[str, list[str]] = {}
    for g in by_graph:
        groups.setdefault(find(g), []).append(g)
    units = []
    for members in sorted(groups.values()):
        members.sort()
        unit = Unit(tuple(members))
        for g in members:
            unit.quads.extend(by_graph[g])
        units.append(unit)
    return shared_quads, units


def content_key(quads: Sequence[ox.Quad]) -> str:
    """A hash of quads that does not depend on their order."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    lines = data.split(b"\n")
    lines.sort()
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def shapes_key(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(hashlib.sha256(Path(path).read_bytes()).digest())
    for part in (__version__, engine_versions(), version("pyoxigraph"), version("rdflib")):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------
# One unit (runs in a worker process)
# ---------------------------------------------------------------------------

_WORKER: dict[str, object] = {}


def _init_worker(shape_paths: list[str], shared_nquads: bytes, engine: str) -> None:
    _WORKER["shapes"] = load_shapes([Path(p) for p in shape_paths])
    _WORKER["shared"] = list(ox.parse(shared_nquads, format=ox.RdfFormat.N_QUADS))
    _WORKER["engine"] = engine


def _validate_unit(label: str, nquads: bytes, shared_subjects: frozenset[str]) -> dict:
    """Validate one unit with the shared graphs; its results and report nodes, split."""
    shapes = _WORKER["shapes"]
    quads = [*_WORKER["shared"], *ox.parse(nquads, format=ox.RdfFormat.N_QUADS)]
    start = time.perf_counter()
    store = ox.Store()
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    graph = report_graph_of(store, shapes, str(_WORKER["engine"]))
    report = report_from_graph(graph, shapes, with_turtle=False)
    nodes: dict[str, list] = {"own": [], "shared": [], "dataset": []}
    for node in graph.subjects(RDF.type, SH.ValidationResult):
        if str(graph.value(node, SH.sourceShape)) in DATASET_SHAPES:
            nodes["dataset"].append(node)
        else:
            shared = str(graph.value(node, SH.focusNode)) in shared_subjects
            nodes["shared" if shared else "own"].append(node)
    groups: dict[str, list] = {"own": [], "shared": [], "dataset": []}
    for r in report.results:
        if r.shape in DATASET_SHAPES:
            groups["dataset"].append(r.__dict__)
        else:
            groups["shared" if r.focus in shared_subjects else "own"].append(r.__dict__)
    return {
        **groups,
        "own_nt": _result_nodes(graph, nodes["own"], label + "o"),
        "shared_nt": _result_nodes(graph, nodes["shared"], label + "s"),
        "dataset_nt": _result_nodes(graph, nodes["dataset"], label + "d"),
        "seconds": time.perf_counter() - start,
    }


def _result_nodes(graph: rdflib.Graph, roots: list, label: str) -> dict:
    """Result nodes and what hangs off them, as N-Triples with unit-unique blank nodes."""
    out = rdflib.Graph()
    names: dict = {}

    def node(term):  # type: ignore[no-untyped-def]
        if not isinstance(term, rdflib.BNode):
            return term
        return names.setdefault(term, rdflib.BNode(f"{label}n{len(names)}"))

    seen: set = set()
    todo = list(roots)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in graph.predicate_objects(n):
            out.add((node(n), p, node(o)))
            if isinstance(o, rdflib.BNode):
                todo.append(o)
    return {"results": [str(node(r)) for r in roots], "nt": out.serialize(format="nt")}


# ---------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------


def validate_units(
    quads: Iterable[ox.Quad],
    *,
    base: str,
    shapes: Sequence[Path] | None = None,
    shared: Sequence[str] | None = None,
    cache_dir: str | None = None,
    workers: int | None = None,
    stats: UnitStats | None = None,
) -> Report:
    """Validate the union of the quads unit by unit (see the module docstring)."""
    start = time.perf_counter()
    stats = stats if stats is not None else UnitStats()
    shape_paths = list(shapes if shapes is not None else shapes_files())
    shared = tuple(shared if shared is not None else default_shared(base))
    shared_quads, units = partition(quads, shared)
    shared_subjects = frozenset(
        q.subject.value for q in shared_quads if not isinstance(q.subject, ox.Triple)
    )
    fixed = hashlib.sha256(
        (content_key(shared_quads) + shapes_key(shape_paths) + shacl_engine()).encode()
    ).hexdigest()
    if units:
        keys = [hashlib.sha256((fixed + content_key(u.quads)).encode()).hexdigest()
                for u in units]
    else:  # only shared graphs: they are the one unit
        units = [Unit(())]
        keys = [fixed]
    answers: dict[int, dict] = {}
    todo = []
    for i, key in enumerate(keys):
        cached = report_cache.read(cache_dir, UNITS, key)
        if cached is not None:
            answers[i] = cached
        else:
            todo.append(i)
    if workers is None and sum(len(units[i].quads) for i in todo) < SMALL:
        workers = 1  # starting worker processes would cost more than it saves
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    stats.units, stats.cached, stats.validated, stats.workers = (
        len(units), len(units) - len(todo), len(todo), workers,
    )
    if todo:
        init = (
            [str(p) for p in shape_paths],
            ox.serialize(shared_quads, format=ox.RdfFormat.N_QUADS) or b"",
            shacl_engine(),
        )
        jobs = [(f"u{i}", units[i].nquads(), shared_subjects) for i in todo]
        if workers == 1:
            _init_worker(*init)
            done = [_validate_unit(*job) for job in jobs]
        else:
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=get_context("spawn"),
                initializer=_init_worker, initargs=init,
            ) as pool:
                done = list(pool.map(_validate_unit, *zip(*jobs, strict=True), chunksize=1))
        for i, answer in zip(todo, done, strict=True):
            answers[i] = answer
            report_cache.write(cache_dir, UNITS, keys[i], answer)
    report = _merge([answers[i] for i in range(len(units))])
    stats.seconds = time.perf_counter() - start
    return report


def _merge(answers: list[dict]) -> Report:
    """One report from the units' reports (shared results once; checked to agree)."""
    first_shared = sorted((Result(**r) for r in answers[0]["shared"]), key=_result_order)
    for answer in answers[1:]:
        other = sorted((Result(**r) for r in answer["shared"]), key=_result_order)
        if other != first_shared:
            raise UnitsDisagree(
                "units disagree on the results of the shared graphs' resources; "
                "validate the whole union instead"
            )
    results = list(first_shared)
    for answer in answers:
        results.extend(Result(**r) for r in answer["own"])
    # A dataset-level shape asks for something to exist somewhere in the dataset; what
    # it asks for lies within one unit (a plan and the entries under it refer to each
    # other), so it is missing from the dataset only when every unit misses it.
    missing = all(answer.get("dataset") for answer in answers)
    if missing:
        results.extend(Result(**r) for r in answers[0].get("dataset", []))
    conforms = not any(r.severity == "Violation" for r in results)
    parts = [
        f"_:report <{RDF.type}> <{SH.ValidationReport}> .\n",
        f'_:report <{SH.conforms}> "{"true" if conforms else "false"}"'
        f"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n",
    ]
    for n, answer in enumerate(answers):
        kept = [answer["own_nt"]] + (
            [answer["shared_nt"]] + ([answer["dataset_nt"]] if missing else [])
            if n == 0 else [])
        for part in kept:
            parts += [f"_:report <{SH.result}> _:{r} .\n" for r in part["results"]]
            parts.append(part["nt"])
    # N-Triples are Turtle: Report.turtle readers parse it as such.
    return Report(results, "".join(parts))


def validate_dataset(
    quads: Sequence[ox.Quad],
    *,
    base: str,
    shapes: Sequence[Path] | None = None,
    cache_dir: str | None = None,
    workers: int | None = None,
    stats: UnitStats | None = None,
    protect_plan: bool = True,
) -> Report:
    """Validate unit by unit, or the whole union when the units disagree.

    ``protect_plan`` says whether the dataset must hold a plan
    (:data:`DATASET_SHAPES`): yes when it is to replace published data that holds
    one (see :func:`holds_plan`); a deployment that serves other data, or its first
    load, is not held to it.
    """
    try:
        report = validate_units(
            quads, base=base, shapes=shapes, cache_dir=cache_dir, workers=workers, stats=stats
        )
    except UnitsDisagree:
        from .validation import validate_quads

        report = validate_quads(quads, load_shapes(shapes) if shapes is not None else None)
    if protect_plan or not any(r.shape in DATASET_SHAPES for r in report.results):
        return report
    kept = [r for r in report.results if r.shape not in DATASET_SHAPES]
    return Report(kept, "", dict(report.omitted))


#: What :data:`DATASET_SHAPES` asks for, as one query.
PLAN_QUERY = (
    "ASK { ?plan a <https://w3id.org/kgraph/ontology#ClimateActionPlan> . "
    "?direction <https://w3id.org/kgraph/ontology#inPlan> ?plan . "
    "?policy <https://w3id.org/kgraph/ontology#underDirection> ?direction . "
    "?entry <https://w3id.org/kgraph/ontology#underPolicy> ?policy }"
)


def holds_plan(store: ox.Store | None) -> bool:
    """Whether published data (a store; ``None``: nothing published yet) holds a plan
    with a direction, a policy and an entry: then no publication may remove it."""
    if store is None:
        return False
    return bool(store.query(PLAN_QUERY, use_default_graph_as_union=True))
