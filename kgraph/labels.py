"""The one label policy: which words name a resource, in the reader's language.

Pages, reports, diffs and the catalogue all name a resource the same way:

1. its labels from the data, by property, best first: ``skos:prefLabel``,
   ``rdfs:label``, ``dcterms:title``, ``schema:name``, ``foaf:name``;
2. among them, by language: the reader's, then untagged, then English, then
   Japanese, then any (the language wins over the property: a Japanese reader
   sees a Japanese ``rdfs:label`` before an English ``skos:prefLabel``);
3. a term of a reused vocabulary that the data does not label gets its name from
   the catalogue (``term.<IRI>``: ``rdf:type`` is 「種類」 or "type");
4. else the prefixed name (``kgo:activity``), else the IRI.

>>> import pyoxigraph as ox
>>> labels = [ox.Literal("Plan", language="en"), ox.Literal("計画", language="ja")]
>>> best(labels, "ja").value, best(labels, "fr").value
('計画', 'Plan')
>>> term_label("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "ja")
'種類'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from .messages import has, text
from .terms import compact

#: Properties whose literal values name a resource, best first.
LABEL_PREDICATES: tuple[str, ...] = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "https://schema.org/name",
    "http://xmlns.com/foaf/0.1/name",
)


def languages(lang: str) -> tuple[str, ...]:
    """The languages to look for, in order (``""`` is untagged)."""
    return tuple(dict.fromkeys((lang, "", "en", "ja")))


def _matches(tag: str | None, wanted: str) -> bool:
    tag = (tag or "").lower()
    return tag == wanted or (bool(wanted) and tag.startswith(wanted + "-"))


def best(literals: Sequence[ox.Literal], lang: str) -> ox.Literal | None:
    """The label to show among literals given best property first (rule 2)."""
    if not literals:
        return None
    for wanted in languages(lang):
        for literal in literals:
            if _matches(literal.language, wanted):
                return literal
    return literals[0]


def ordered(found: Iterable[tuple[str, ox.Literal]]) -> list[ox.Literal]:
    """(predicate, literal) pairs as one list, best property first (rule 1)."""
    rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    pairs = [(rank[p], i, lit) for i, (p, lit) in enumerate(found) if p in rank]
    return [lit for _, _, lit in sorted(pairs, key=lambda x: (x[0], x[1]))]


def term_label(iri: str, lang: str) -> str | None:
    """The catalogue's name of a reused vocabulary's term (rule 3), or ``None``."""
    return text(f"term.{iri}", lang) if has(f"term.{iri}") else None


def name(iri: str, literals: Sequence[ox.Literal], lang: str) -> str:
    """What to call ``iri``: its best label, else the term's name, else a short form."""
    found = best(literals, lang)
    if found is not None:
        return found.value
    return term_label(iri, lang) or compact(iri)
