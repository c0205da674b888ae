"""The report as a SHACL report graph in Turtle.

Its ``sh:conforms`` follows SHACL (§3.6.1): true iff the report has no result of any
severity.  pySHACL, run with ``allow_warnings`` (its own extension, so that warnings
do not fail the publish gate), says ``true`` beside warnings; the graph is corrected
here, so that every RDF report (``kgraph validate --format turtle``, ``/validation``,
a refused SPARQL Update) follows the standard.  The human verdict and the gate keep
their rule, "no Violation" (:attr:`kgraph.validation.Report.conforms`).

It is pySHACL's report graph (exact values and property paths), changed in one more way:
``sh:sourceShape`` names the *named* shape.  For a property shape, which pySHACL
gives as a blank node, that is the node shape holding it (``sh:resultPath`` says
which property).  The focus nodes' labels are added so the graph reads on its
own.  Results stay blank nodes, as SHACL has them, written inline (``[ … ]``).
"""

from __future__ import annotations

from collections import defaultdict

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from ..iris import PREFIXES
from ..validation import Report, Result, _path, _term, simple_path_iri
from .labels import Labels


def render_turtle(report: Report, labels: Labels) -> str:
    graph = report_graph(report, labels)
    return graph.serialize(format="turtle")


def report_graph(report: Report, labels: Labels) -> rdflib.Graph:
    """The SHACL report graph with named shapes and focus-node labels."""
    graph = _from_pyshacl(report) if report.turtle else None
    if graph is None:
        graph = _from_results(report)
    conforms = rdflib.Literal(report.sh_conforms)
    roots = set(graph.subjects(RDF.type, SH.ValidationReport)) or {rdflib.BNode()}
    for root in roots:
        graph.add((root, RDF.type, SH.ValidationReport))
        graph.set((root, SH.conforms, conforms))
    for prefix in ("sh", "kgo", "kgs", "rdfs", "xsd", "rdf"):
        graph.bind(prefix, PREFIXES[prefix])
    focus_nodes = {
        str(f) for f in graph.objects(None, SH.focusNode) if isinstance(f, rdflib.URIRef)
    }
    for iri in sorted(focus_nodes):
        for lang in ("ja", "en"):
            text = labels.exact(iri, lang)
            if text is not None:
                graph.add((rdflib.URIRef(iri), RDFS.label, rdflib.Literal(text, lang=lang)))
    return graph


def _key(
    focus: str,
    severity: str,
    constraint: str,
    path: str | None,
    value: str | None,
    messages: dict[str, str],
) -> tuple:
    return (focus, severity, constraint, path or "", value or "", tuple(sorted(messages.items())))


def _from_pyshacl(report: Report) -> rdflib.Graph | None:
    """pySHACL's graph with each blank source shape replaced by the named one."""
    try:
        graph = rdflib.Graph().parse(data=report.turtle, format="turtle")
    except Exception:  # a cached report whose Turtle is damaged: rebuild from results
        return None
    named: dict[tuple, list[str]] = defaultdict(list)
    for r in report.results:
        named[_key(r.focus, r.severity, r.constraint, r.path, r.value, r.messages)].append(r.shape)
    dropped: set[rdflib.term.Node] = set()
    for node in list(graph.subjects(RDF.type, SH.ValidationResult)):
        shape = graph.value(node, SH.sourceShape)
        if not isinstance(shape, rdflib.BNode):
            continue
        messages: dict[str, str] = {}
        for message in graph.objects(node, SH.resultMessage):
            messages.setdefault(getattr(message, "language", None) or "", str(message))
        path = graph.value(node, SH.resultPath)
        value = graph.value(node, SH.value)
        key = _key(
            _term(graph.value(node, SH.focusNode)),
            str(graph.value(node, SH.resultSeverity) or "").rsplit("#", 1)[-1] or "Violation",
            _term(graph.value(node, SH.sourceConstraintComponent)),
            _path(path, graph) if path is not None else None,
            _term(value) if value is not None else None,
            messages,
        )
        candidates = named.get(key)
        if not candidates or candidates[0].startswith("_:"):
            continue
        graph.set((node, SH.sourceShape, rdflib.URIRef(candidates.pop(0))))
        dropped.add(shape)
    for shape in dropped:
        if not any(True for _ in graph.subject_predicates(shape)):
            _remove_tree(graph, shape)
    return graph


def _remove_tree(graph: rdflib.Graph, node: rdflib.term.Node) -> None:
    """Remove a blank node's description (and the blank nodes only it uses)."""
    for _, predicate, obj in list(graph.triples((node, None, None))):
        graph.remove((node, predicate, obj))
        if isinstance(obj, rdflib.BNode) and not any(True for _ in graph.subject_predicates(obj)):
            _remove_tree(graph, obj)


def _from_results(report: Report) -> rdflib.Graph:
    """A report graph rebuilt from the results alone (simple paths only)."""
    graph = rdflib.Graph()
    root = rdflib.BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, rdflib.Literal(report.sh_conforms)))
    for r in report.results:
        graph.add((root, SH.result, _result_node(graph, r)))
    return graph


def _result_node(graph: rdflib.Graph, r: Result) -> rdflib.BNode:
    node = rdflib.BNode()
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.focusNode, _node(r.focus)))
    graph.add((node, SH.resultSeverity, SH[r.severity]))
    if r.shape:
        graph.add((node, SH.sourceShape, _node(r.shape)))
    if r.constraint:
        graph.add((node, SH.sourceConstraintComponent, rdflib.URIRef(r.constraint)))
    path = simple_path_iri(r.path)
    if path is not None:  # a complex path is not rebuilt from its text: left out
        graph.add((node, SH.resultPath, rdflib.URIRef(path)))
    if r.value is not None:
        value = _node(r.value) if r.value.startswith(("http://", "https://")) \
            and rdflib.term._is_valid_uri(r.value) else None
        graph.add((node, SH.value, value if value is not None else rdflib.Literal(r.value)))
    for lang, text in sorted(r.messages.items()):
        graph.add((node, SH.resultMessage, rdflib.Literal(text, lang=lang or None)))
    return node


def _node(text: str) -> rdflib.term.Node:
    return rdflib.BNode() if text.startswith("_:") else rdflib.URIRef(text)
