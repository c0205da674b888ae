"""Human labels for IRIs in the reader's language, read from a store.

The policy is :mod:`kgraph.labels` (the one every part of kgraph follows); this
module looks the labels up in the served store, per request.
"""

from __future__ import annotations

import pyoxigraph as ox

from ...iris import PREFIXES
from ...labels import LABEL_PREDICATES, best, name

P = PREFIXES
RDF_TYPE = ox.NamedNode(P["rdf"] + "type")
RDFS_LABEL = ox.NamedNode(P["rdfs"] + "label")
LABEL_PROPERTIES = tuple(ox.NamedNode(p) for p in LABEL_PREDICATES)


class Labeller:
    """Looks labels up in a store, remembering them for the life of the object.

    Make one per request (or per snapshot, for labels that do not change).
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._cache: dict[str, list[ox.Literal]] = {}

    def literals(self, iri: str) -> list[ox.Literal]:
        """The label literals the data gives an IRI, best property first."""
        found = self._cache.get(iri)
        if found is None:
            node = ox.NamedNode(iri)
            found = list(dict.fromkeys(
                q.object
                for prop in LABEL_PROPERTIES
                for q in self.store.quads_for_pattern(node, prop, None)
                if isinstance(q.object, ox.Literal)
            ))
            self._cache[iri] = found
        return found

    def label(self, iri: str, lang: str) -> str:
        """What to call an IRI in ``lang`` (:func:`kgraph.labels.name`)."""
        return name(iri, self.literals(iri), lang)

    def other_labels(self, iri: str, lang: str) -> list[ox.Literal]:
        """Labels in languages other than the one shown (a subtitle)."""
        shown = best(self.literals(iri), lang)
        return [lit for lit in self.literals(iri)
                if lit != shown and lit.language != (shown.language if shown else None)]


#: The literal to show among several (:func:`kgraph.labels.best`).
pick = best
