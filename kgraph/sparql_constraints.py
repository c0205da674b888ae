"""A few SPARQL-based constraints evaluated once for all focus nodes, by Oxigraph.

pyshacl-turbo (like pySHACL) evaluates a SPARQL-based constraint once per focus node,
and for some of our constraints each evaluation reads the whole plan: numbering of
activities and sub-activities, uniqueness of entry numbers.  On one synthetic
municipality (10,000 triples) these three take ~70% of the validation time, and
their cost grows with the square of the data in one validation call.

Here each of them becomes one query: ``$this`` becomes a variable bound by the
shape's targets (``rdf:type/rdfs:subClassOf*`` for ``sh:targetClass``, as SHACL
defines it), joined at the start of the query's WHERE clause, and Oxigraph evaluates
it once over the data.  Each solution becomes a result in the engine's report graph
with the engine's own form (focus node, path, value, severity, source shape and
constraint, and the messages with ``{?var}`` filled in), so everything after sees
no difference.  ``tests/test_validation_scale.py`` compares with the engine on these
shapes' fixtures and on planted errors.

Only the shapes named in :data:`BATCHED`, whose queries were checked to mean the same
under this rewriting (no sub-select, MINUS, VALUES or BIND of ``$this``), are
evaluated this way; a shape with anything else than targets, ``sh:sparql``,
``sh:severity``, ``sh:message`` and documentation is left to the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD

from .iris import KGS

#: Shapes evaluated here (local names in the kgs: namespace).
BATCHED = ("ActivityNumberingShape", "SubActivityNumberingShape", "EntryNumberUniqueShape")

_ALLOWED = {
    RDF.type, RDFS.label, RDFS.comment, SH.description, SH.name, SH.targetClass,
    SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.sparql, SH.severity, SH.message,
}
_THIS = re.compile(r"\$this\b")
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


@dataclass(frozen=True)
class BatchedConstraint:
    shape: rdflib.URIRef
    constraint: rdflib.term.Node  # the sh:sparql node
    query: str
    severity: rdflib.URIRef
    messages: tuple[rdflib.Literal, ...]


def _term(node: rdflib.term.Node) -> str:
    return node.n3()


def _targets(shapes: rdflib.Graph, shape: rdflib.URIRef) -> str | None:
    patterns = []
    for cls in shapes.objects(shape, SH.targetClass):
        patterns.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {_term(cls)} .")
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        patterns.append(f"?this {_term(prop)} ?kgraphTargetObject .")
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        patterns.append(f"?kgraphTargetSubject {_term(prop)} ?this .")
    for node in shapes.objects(shape, SH.targetNode):
        patterns.append(f"VALUES ?this {{ {_term(node)} }}")
    if not patterns:
        return None
    return " UNION ".join(f"{{ {p} }}" for p in patterns)


def _prefixes(shapes: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines)


def batched_constraints(
    shapes: rdflib.Graph, names: tuple[str, ...] = BATCHED
) -> list[BatchedConstraint]:
    """The constraints of the named shapes that can be evaluated here."""
    out = []
    for name in names:
        shape = rdflib.URIRef(KGS + name)
        predicates = set(shapes.predicates(shape, None))
        if not predicates or not predicates <= _ALLOWED:
            continue
        target = _targets(shapes, shape)
        if target is None:
            continue
        severity = shapes.value(shape, SH.severity) or SH.Violation
        for constraint in shapes.objects(shape, SH.sparql):
            select = shapes.value(constraint, SH.select)
            if select is None or shapes.value(constraint, SH.deactivated) is not None:
                continue
            text = _THIS.sub("?this", str(select))
            brace = text.index("{")
            query = (
                _prefixes(shapes, constraint) + "\n" + text[: brace + 1]
                + f" {{ SELECT DISTINCT ?this WHERE {{ {target} }} }} " + text[brace + 1 :]
            )
            messages = tuple(shapes.objects(constraint, SH.message)) or tuple(
                shapes.objects(shape, SH.message)
            )
            out.append(BatchedConstraint(shape, constraint, query, severity, messages))
    return out


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _fill(template: str, row: ox.QuerySolution, names: set[str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        term = row[name] if name in names else None
        return term.value if term is not None else match[0]

    return _TEMPLATE.sub(value, template)


def add_results(
    report: rdflib.Graph, store: ox.Store, constraints: list[BatchedConstraint]
) -> int:
    """Evaluate the constraints on the store's default graph; add their results to
    the engine's report graph.  Returns how many results were added."""
    root = next(report.subjects(RDF.type, SH.ValidationReport))
    added = 0
    for c in constraints:
        solutions = store.query(c.query)
        names = {v.value for v in solutions.variables}
        for row in solutions:
            node = rdflib.BNode()
            report.add((root, SH.result, node))
            report.add((node, RDF.type, SH.ValidationResult))
            report.add((node, SH.focusNode, _rdflib(row["this"])))
            report.add((node, SH.resultSeverity, c.severity))
            report.add((node, SH.sourceShape, c.shape))
            report.add((node, SH.sourceConstraint, c.constraint))
            report.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            if "path" in names and row["path"] is not None:
                report.add((node, SH.resultPath, _rdflib(row["path"])))
            if "value" in names and row["value"] is not None:
                report.add((node, SH.value, _rdflib(row["value"])))
            for message in c.messages:
                report.add((node, SH.resultMessage, rdflib.Literal(_fill(str(message), row,
                                                                         names))))
            if c.severity == SH.Violation:
                report.set((root, SH.conforms, rdflib.Literal(False, datatype=XSD.boolean)))
            added += 1
    return added
