"""Rendering RDF terms for people: prefixed names, literals with their language."""

from __future__ import annotations

import pyoxigraph as ox

from .iris import PREFIXES


def short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """``kgo:PlanEntry`` for known namespaces, ``<iri>`` otherwise, literals as text."""
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def compact(iri: str) -> str:
    """An IRI as a prefixed name when a declared prefix covers it."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            local = iri[len(namespace):]
            if local and all(c.isalnum() or c in "_-." for c in local):
                best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]):]}"
    return f"<{iri}>"
