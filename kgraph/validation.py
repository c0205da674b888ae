"""SHACL validation of a candidate dataset, and the report as plain data.

pySHACL does the validation.  Its report graph is turned into :class:`Report`, a
list of :class:`Result` that names every focus node, path, value, severity, message
(in each language the shapes give) and the named shape that raised it, so that the
text, table, JSON and HTML renderings all read from one place.

Validation of unchanged inputs is cached by content hash: the shipped data is
validated once, and every later start reuses the report.

pySHACL is the engine (the product's fixed stack).  For large datasets an operator
may opt in to pyshacl-turbo (a Rust engine with pySHACL's API, 10-100x faster:
``pip install 'kgraph[turbo]'`` and ``KGRAPH_SHACL_ENGINE=turbo``).  The two engines'
reports agree result for result on every shape fixture and on the shipped and
synthetic data (``tests/test_validation_scale.py``); the cache key names the engine.
Large datasets are validated per named graph, in parallel and incrementally by
:mod:`kgraph.validation_units`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from .dataset import to_rdflib
from .sources import shapes_files

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class Result:
    """One validation result, with nothing left as a blank node id."""

    focus: str
    severity: str
    shape: str
    constraint: str
    path: str | None = None
    value: str | None = None
    messages: dict[str, str] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The message in ``lang``, else English, else any language."""
        for key in (lang, "en", ""):
            if key in self.messages:
                return self.messages[key]
        return next(iter(self.messages.values()), "")


@dataclass
class Report:
    """What SHACL said about a dataset.

    ``omitted`` counts, per severity, results left out of ``results`` by
    :meth:`capped` (a report on a hostile upload may have a million); counts and
    ``conforms`` include them.
    """

    results: list[Result]
    turtle: str = ""
    omitted: dict[str, int] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """True when nothing is wrong: no Violation (warnings and infos allowed).

        The publish gate's rule and the human verdict ("conforms (no violations)");
        not SHACL's ``sh:conforms`` (:attr:`sh_conforms`)."""
        return self.count("Violation") == 0

    @property
    def sh_conforms(self) -> bool:
        """SHACL's ``sh:conforms`` (SHACL §3.6.1): true iff there is no validation
        result at all, of any severity (pySHACL's ``allow_warnings`` is its own
        extension).  Every RDF report says this."""
        return not self.results and not any(self.omitted.values())

    def count(self, severity: str) -> int:
        shown = sum(1 for r in self.results if r.severity == severity)
        return shown + self.omitted.get(severity, 0)

    def by_severity(self) -> dict[str, int]:
        counts = Counter(r.severity for r in self.results)
        return {s: counts.get(s, 0) + self.omitted.get(s, 0) for s in SEVERITIES}

    def capped(self, limit: int) -> Report:
        """At most ``limit`` results, the rest only counted: the most severe first, and
        within a severity one result of each shape before a second of any, so that every
        kind of problem (a missing plan among thousands of broken links) is shown."""
        if len(self.results) <= limit:
            return self
        seen: dict[tuple[str, str], int] = {}
        order = []
        for r in sorted(self.results, key=_result_order):
            key = (r.severity, r.shape)
            seen[key] = seen.get(key, 0) + 1
            order.append((SEVERITIES.index(r.severity), seen[key] > 1, r))
        ranked = [r for *_, r in sorted(order, key=lambda item: item[:2])]
        kept, left = ranked[:limit], ranked[limit:]
        omitted = dict(self.omitted)
        for r in left:
            omitted[r.severity] = omitted.get(r.severity, 0) + 1
        return Report(sorted(kept, key=_result_order), "", omitted)

    def by_shape(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for r in self.results:
            table.setdefault(r.shape, {s: 0 for s in SEVERITIES})[r.severity] += 1
        return dict(sorted(table.items()))

    def by_focus(self) -> dict[str, list[Result]]:
        groups: dict[str, list[Result]] = {}
        for r in sorted(self.results, key=_result_order):
            groups.setdefault(r.focus, []).append(r)
        return groups

    def to_json(self) -> dict:
        data = {
            "conforms": self.conforms,
            "sh_conforms": self.sh_conforms,
            "counts": self.by_severity(),
            "results": [asdict(r) for r in sorted(self.results, key=_result_order)],
        }
        if any(self.omitted.values()):
            data["omitted"] = dict(self.omitted)
        return data

    @classmethod
    def from_json(cls, data: dict, turtle: str = "") -> Report:
        omitted = {str(k): int(v) for k, v in (data.get("omitted") or {}).items()}
        return cls([Result(**r) for r in data["results"]], turtle, omitted)


def _result_order(r: Result) -> tuple:
    return (r.focus, SEVERITIES.index(r.severity), r.path or "", r.shape, r.value or "")


def load_shapes(paths: Iterable[Path] | None = None) -> rdflib.Graph:
    """The shapes graph (all ``shapes/*.ttl`` by default), parsed once per process and
    version of the files (an upload's sandbox needs it twice: to validate and to label
    the report).  The graph is shared: nobody may change it."""
    files = list(paths if paths is not None else shapes_files())
    key = shapes_version(files)
    graph = _SHAPES.get(key)
    if graph is None:
        graph = rdflib.Graph()
        for path in files:
            graph.parse(path, format="turtle")
        _SHAPES.clear()  # one set of shapes at a time: tests load a few others
        _SHAPES[key] = graph
    return graph


_SHAPES: dict[tuple, rdflib.Graph] = {}


def shapes_version(paths: Iterable[Path] | None = None) -> tuple:
    """The shapes files as they are now (path, modification time, size): what a cache
    of anything made from them is keyed by."""
    found = []
    for path in paths if paths is not None else shapes_files():
        stat = Path(path).stat()
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


ENGINES = ("turbo", "pyshacl")


def turbo_available() -> bool:
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError:
        return False
    return True


def shacl_engine() -> str:
    """The engine to use: ``KGRAPH_SHACL_ENGINE`` (``pyshacl`` or ``turbo``), else pySHACL."""
    from .config import Config

    asked = Config.from_env().shacl_engine.strip().lower()
    if asked in ENGINES and (asked != "turbo" or turbo_available()):
        return asked
    if asked == "turbo":
        raise RuntimeError("KGRAPH_SHACL_ENGINE=turbo, but pyshacl-turbo is not installed")
    if asked:
        raise RuntimeError(f"KGRAPH_SHACL_ENGINE={asked!r}: use one of {', '.join(ENGINES)}")
    return "pyshacl"


def engine_versions() -> str:
    """What the cache key needs to know about the engines."""
    turbo = version("pyshacl-turbo") if turbo_available() else "-"
    return f"{shacl_engine()} pyshacl-turbo {turbo} pyshacl {version('pyshacl')}"


_COMPILED: dict[int, tuple[rdflib.Graph, object, list, list]] = {}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def _compiled_entry(shapes: rdflib.Graph) -> tuple[rdflib.Graph, object, list, list]:
    """pyshacl-turbo's compiled form of a shapes graph (compiled once per graph object),
    the constraints evaluated in one query each (:mod:`kgraph.sparql_constraints`) and
    the other shapes with targets, which the engine evaluates."""
    import pyshacl_turbo

    from .sparql_constraints import batched_constraints

    entry = _COMPILED.get(id(shapes))
    if entry is None or entry[0] is not shapes:
        if len(_COMPILED) >= 8:
            _COMPILED.clear()
        batched = batched_constraints(shapes)
        skip = {c.shape for c in batched}
        others = sorted({s for t in _TARGETS for s in shapes.subjects(t, None)} - skip, key=str)
        entry = (shapes, pyshacl_turbo.compile_shapes(shapes, advanced=True), batched, others)
        _COMPILED[id(shapes)] = entry
    return entry




def report_graph_of(
    data: rdflib.Graph | ox.Store, shapes: rdflib.Graph, engine: str | None = None
) -> rdflib.Graph:
    """The engine's SHACL report graph for ``data`` (a graph, or a store's default graph).

    With pySHACL, the data is validated in place (the shapes have no ``sh:rule``,
    so nothing is added to it) through a view that parses each SPARQL query only
    once; a dataset (whose union a view of one graph would not see) is validated as
    it is, by pySHACL.
    """
    engine = engine or shacl_engine()
    if engine == "turbo" and not isinstance(data, rdflib.ConjunctiveGraph):
        _, compiled, batched, others = _compiled_entry(shapes)
        if not isinstance(data, ox.Store):
            batched = []
        options = {"use_shapes": others} if batched else {}
        _, report_graph, _ = compiled.validate(  # type: ignore[attr-defined]
            data, allow_warnings=True, allow_infos=True, abort_on_first=False, **options
        )
        if batched:
            from .sparql_constraints import add_results

            add_results(report_graph, data, batched)
        return report_graph
    if isinstance(data, ox.Store):
        data = to_rdflib(data.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    from pyshacl import validate

    if not isinstance(data, rdflib.ConjunctiveGraph):
        data = _ParsedQueryGraph(store=data.store, identifier=data.identifier)
    _, report_graph, _ = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
        abort_on_first=False,
    )
    return report_graph


def validate_graph(
    data: rdflib.Graph, shapes: rdflib.Graph, engine: str | None = None
) -> Report:
    """Validate one rdflib graph against the shapes (see :func:`report_graph_of`)."""
    return report_from_graph(report_graph_of(data, shapes, engine), shapes)


class _ParsedQueryGraph(rdflib.Graph):
    """A view of a graph that answers SPARQL text from a cache of parsed queries.

    pySHACL hands rdflib the text of a SPARQL-based constraint once per focus node
    and rdflib parses it every time; parsing, not evaluation, then dominates the
    validation time.  A parsed query can be evaluated with any initial bindings.
    """

    def query(self, query_object, *args, **kwargs):  # type: ignore[override]
        if isinstance(query_object, str):
            query_object = _parsed_query(query_object, tuple(self.namespaces()))
        return super().query(query_object, *args, **kwargs)


@functools.lru_cache(maxsize=1024)
def _parsed_query(text: str, namespaces: tuple) -> Any:
    # rdflib's SPARQL parser only here (pySHACL's path): building its grammar takes
    # ~0.2 s, and every upload's sandbox, a fresh process, imports this module.
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text, initNs=dict(namespaces))


def validate_quads(
    quads: Iterable[ox.Quad], shapes: rdflib.Graph | None = None, engine: str | None = None
) -> Report:
    """Validate the union of the quads' graphs."""
    shapes = shapes if shapes is not None else load_shapes()
    engine = engine or shacl_engine()
    if engine == "turbo":
        store = ox.Store()
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        return report_from_graph(report_graph_of(store, shapes, engine), shapes)
    return validate_graph(to_rdflib(quads), shapes, engine)


def report_from_graph(
    report: rdflib.Graph, shapes: rdflib.Graph, with_turtle: bool = True
) -> Report:
    """Turn pySHACL's report graph into a :class:`Report` (``with_turtle``: and keep the
    graph as Turtle)."""
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(node, SH.resultSeverity)
        messages = _messages(report, node, shapes)
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        results.append(
            Result(
                focus=_term(report.value(node, SH.focusNode)),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=_named_shape(report.value(node, SH.sourceShape), shapes),
                constraint=_term(report.value(node, SH.sourceConstraintComponent)),
                path=_path(path, report) if path is not None else None,
                value=_term(value) if value is not None else None,
                messages=messages,
            )
        )
    return Report(results, report.serialize(format="turtle") if with_turtle else "")


def _messages(report: rdflib.Graph, node: rdflib.term.Node, shapes: rdflib.Graph) -> dict[str, str]:
    """A result's messages by language tag.

    pySHACL fills ``{?var}`` templates of SPARQL-based constraints into plain
    literals, dropping the language tag; such a message gets back the language of
    the ``sh:message`` template (on the shape or the constraint) that it matches.
    """
    templates = [
        m
        for m in (
            *shapes.objects(report.value(node, SH.sourceShape), SH.message),
            *report.objects(report.value(node, SH.sourceConstraint), SH.message),
        )
        if getattr(m, "language", None)
    ]
    messages: dict[str, str] = {}
    for message in report.objects(node, SH.resultMessage):
        lang = getattr(message, "language", None) or next(
            (t.language for t in templates if _fills(str(t), str(message))), ""
        )
        messages.setdefault(lang, str(message))
    return messages


def _fills(template: str, message: str) -> bool:
    """Whether ``message`` is ``template`` with its ``{?var}``/``{$var}`` filled in."""
    parts = re.split(r"\{[?$]\w+\}", template)
    return re.fullmatch(".*".join(map(re.escape, parts)), message, re.DOTALL) is not None


def _term(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.Literal):
        return str(term)
    return str(term) if not isinstance(term, rdflib.BNode) else f"_:{term}"


def _path(path: rdflib.term.Node, graph: rdflib.Graph) -> str:
    """A SPARQL-like rendering of a SHACL property path."""
    if not isinstance(path, rdflib.BNode):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path(inverse, graph)
    for key, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, key)
        if inner is not None:
            return _path(inner, graph) + suffix
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_path(p, graph) for p in rdflib.collection.Collection(graph, alternatives))
    if graph.value(path, RDF.first) is not None:
        return "/".join(_path(p, graph) for p in rdflib.collection.Collection(graph, path))
    return f"_:{path}"


#: Where a path string of :func:`_path` splits into steps: at ``/`` or ``|`` followed
#: by what starts an IRI (slashes inside IRIs are left alone).
PATH_SPLIT = re.compile(r"([/|])(?=\^*(?:[A-Za-z][A-Za-z0-9+.-]*://|urn:))")


def simple_path_iri(path: str | None) -> str | None:
    """The IRI of a path string that is one predicate, else ``None`` (a complex path,
    or one that cannot be told from one: never a wrong ``sh:resultPath``)."""
    if not path or path.startswith("^") or path.endswith(("*", "+", "?")):
        return None
    if len(PATH_SPLIT.split(path)) != 1 or "|" in path:
        return None
    return path if rdflib.term._is_valid_uri(path) and ":" in path else None


def _named_shape(shape: rdflib.term.Node | None, shapes: rdflib.Graph) -> str:
    """The shape's IRI; for an anonymous property shape, the named shape holding it."""
    seen = set()
    while isinstance(shape, rdflib.BNode) and shape not in seen:
        seen.add(shape)
        parent = shapes.value(predicate=SH.property, object=shape) or shapes.value(
            predicate=SH.node, object=shape
        )
        if parent is None:
            break
        shape = parent
    return _term(shape)
