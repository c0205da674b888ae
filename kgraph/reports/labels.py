"""Names for the IRIs a report mentions, looked up in the validated data.

A report is only useful to a person when it says "事業No.055 水素戦略…" rather than
an IRI.  :class:`Labels` holds, for each IRI, its labels per language and its
classes; it is filled from parsed quads (the CLI) or from a store (the server),
and falls back to a prefixed name when nothing is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..labels import LABEL_PREDICATES, languages, term_label
from ..terms import compact

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class Labels:
    """Labels (per language) and classes of IRIs."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)

    def add(self, iri: str, predicate: str, term: ox.Literal | ox.NamedNode) -> None:
        if predicate == RDF_TYPE and isinstance(term, ox.NamedNode):
            self.types.setdefault(iri, [])
            if term.value not in self.types[iri]:
                self.types[iri].append(term.value)
            return
        if isinstance(term, ox.Literal):
            rank = LABEL_PREDICATES.index(predicate)
            key = f"{rank}:{term.language or ''}"
            self.names.setdefault(iri, {}).setdefault(key, term.value)

    def label(self, iri: str, lang: str) -> str | None:
        """The label :mod:`kgraph.labels` chooses, or ``None`` when the data has none
        (a reused vocabulary's term then has the catalogue's name)."""
        found = self.names.get(iri)
        if not found:
            return term_label(iri, lang)
        for wanted in languages(lang):
            for rank in range(len(LABEL_PREDICATES)):
                text = found.get(f"{rank}:{wanted}")
                if text is not None:
                    return text
        return next(iter(sorted(found.items())))[1]

    def exact(self, iri: str, lang: str) -> str | None:
        """The best label tagged exactly ``lang`` (no fallback)."""
        found = self.names.get(iri, {})
        for rank in range(len(LABEL_PREDICATES)):
            text = found.get(f"{rank}:{lang}")
            if text is not None:
                return text
        return None

    def kind(self, iri: str, lang: str) -> str | None:
        """The label of the resource's first labelled class (e.g. 事業 / plan entry)."""
        for cls in self.types.get(iri, []):
            text = self.label(cls, lang)
            if text:
                return text
        return None

    def name(self, iri: str, lang: str) -> str:
        """A label, or the IRI in prefixed form when there is none."""
        return self.label(iri, lang) or compact(iri)

    def merge(self, other: Labels) -> Labels:
        for iri, found in other.names.items():
            for key, text in found.items():
                self.names.setdefault(iri, {}).setdefault(key, text)
        for iri, classes in other.types.items():
            for cls in classes:
                self.types.setdefault(iri, [])
                if cls not in self.types[iri]:
                    self.types[iri].append(cls)
        return self


def labels_from_quads(quads: Iterable[ox.Quad | ox.Triple]) -> Labels:
    """Labels and classes of every IRI the quads describe."""
    labels = Labels()
    wanted = {RDF_TYPE, *LABEL_PREDICATES}
    for quad in quads:
        if quad.predicate.value in wanted and isinstance(quad.subject, ox.NamedNode):
            labels.add(quad.subject.value, quad.predicate.value, quad.object)
    return labels


def labels_from_graph(graph) -> Labels:
    """Labels and classes from an rdflib graph (the shapes graph names its shapes)."""
    import rdflib

    labels = Labels()
    for predicate in (RDF_TYPE, *LABEL_PREDICATES):
        for subject, obj in graph.subject_objects(rdflib.URIRef(predicate)):
            if not isinstance(subject, rdflib.URIRef):
                continue
            if isinstance(obj, rdflib.Literal):
                term = (
                    ox.Literal(str(obj), language=obj.language)
                    if obj.language
                    else ox.Literal(str(obj))
                )
            elif isinstance(obj, rdflib.URIRef):
                term = ox.NamedNode(str(obj))
            else:
                continue
            labels.add(str(subject), predicate, term)
    return labels


def labels_from_store(store: ox.Store, iris: Iterable[str], chunk: int = 500) -> Labels:
    """Labels and classes of the given IRIs (and of their classes) in a store."""
    labels = Labels()
    pending = sorted({i for i in iris if i and not i.startswith("_:")})
    seen: set[str] = set()
    while pending:
        batch, pending = pending[:chunk], pending[chunk:]
        seen.update(batch)
        values = " ".join(f"<{iri}>" for iri in batch if ">" not in iri and " " not in iri)
        if not values:
            continue
        query = (
            "SELECT ?s ?p ?o WHERE { VALUES ?s { " + values + " } "
            "VALUES ?p { <" + "> <".join((RDF_TYPE, *LABEL_PREDICATES)) + "> } ?s ?p ?o }"
        )
        for row in store.query(query, use_default_graph_as_union=True):
            labels.add(row["s"].value, row["p"].value, row["o"])
        classes = {c for iri in batch for c in labels.types.get(iri, [])}
        pending.extend(sorted(classes - seen - set(pending)))
    return labels
