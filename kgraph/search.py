"""Keyword search over the labels and texts of the served data, in Japanese and English.

Japanese is written without spaces between words, so a word cannot be found by
splitting text on spaces.  Instead every text is normalised (Unicode NFKC and case
folding, so that ``ＣＯ₂`` finds ``CO2`` and ``Ⅱ`` finds ``II``) and indexed by its
character bigrams; a query term's bigrams select candidate texts, and a substring test
confirms each one.  Terms separated by spaces must all match (AND).

Ranking: a match in a name (``rdfs:label``, ``skos:prefLabel``, an entry number, ...)
counts far more than a match in a descriptive text, and a match in the raw extracted
source text (``prov:value``) least; an exact or prefix name match counts most.  The
index is built once per served snapshot (:func:`index_for`), not per request.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from .iris import KGO, PREFIXES

P = PREFIXES
XSD_STRING = P["xsd"] + "string"
RDF_LANGSTRING = P["rdf"] + "langString"
RDF_TYPE = P["rdf"] + "type"

#: Properties whose values name a resource (a match here ranks first).
NAME_PROPERTIES = frozenset({
    P["rdfs"] + "label",
    P["skos"] + "prefLabel",
    P["skos"] + "altLabel",
    P["skos"] + "hiddenLabel",
    P["skos"] + "notation",
    P["dcterms"] + "title",
    P["dcterms"] + "alternative",
    P["schema"] + "name",
    P["schema"] + "alternateName",
    P["foaf"] + "name",
    KGO + "entryNumber",
    KGO + "policyCode",
    KGO + "numeral",
})
#: Texts kept exactly as extracted, artefacts included (a match here ranks last).
RAW_PROPERTIES = frozenset({P["prov"] + "value", KGO + "columnHeaderAsExtracted"})

NAME, TEXT, RAW = "name", "text", "raw"
#: Score of one term's best match: a whole name beats part of a name beats a text.
SCORES = {(NAME, True): 100, (NAME, False): 40, (TEXT, True): 10, (TEXT, False): 10,
          (RAW, True): 2, (RAW, False): 2}
MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 40


def normalise_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold()


def normalise(text: str) -> str:
    """NFKC and case folding, one character at a time (see :class:`Field`)."""
    return "".join(normalise_char(c) for c in text)


def terms_of(query: str) -> list[str]:
    """The query's terms: split on any white space (including the ideographic space)."""
    return list(dict.fromkeys(t for t in normalise(query).split() if t))


@dataclass
class Field:
    """One literal of one resource, with its normalised form.

    ``positions[i]`` is the index in ``text`` of the character that produced
    ``norm[i]``, so that a match in the normalised text can be highlighted in the
    original (normalising per character keeps that mapping exact).
    """

    doc: int
    prop: str
    lang: str
    text: str
    kind: str
    norm: str = ""
    positions: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts, positions = [], []
        for i, char in enumerate(self.text):
            n = normalise_char(char)
            parts.append(n)
            positions.extend([i] * len(n))
        self.norm = "".join(parts)
        self.positions = positions

    def original_span(self, start: int, length: int) -> tuple[int, int]:
        """The original text's [start, end) for a match at ``norm[start:start+length]``."""
        first = self.positions[start]
        last = self.positions[start + length - 1]
        return first, last + 1


@dataclass
class Doc:
    """A resource: its IRI, its types, and its fields."""

    iri: str
    types: list[str] = field(default_factory=list)
    fields: list[int] = field(default_factory=list)


@dataclass
class Match:
    """Where one field matched: the field and the (original) span of each term in it."""

    field: Field
    spans: list[tuple[int, int]]

    def snippet(self, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
        """The text around the first match, as (text, highlighted) segments."""
        text = self.field.text
        spans = sorted(self.spans)
        start = max(0, spans[0][0] - width)
        end = min(len(text), spans[0][1] + width * 2)
        segments: list[tuple[str, bool]] = []
        if start > 0:
            segments.append(("…", False))
        cursor = start
        for s, e in spans:
            if s < cursor or e > end:
                continue
            segments.append((text[cursor:s], False))
            segments.append((text[s:e], True))
            cursor = e
        segments.append((text[cursor:end], False))
        if end < len(text):
            segments.append(("…", False))
        return [(t, h) for t, h in segments if t]


@dataclass
class Hit:
    """One resource found, its score, and the fields that matched (best first)."""

    doc: Doc
    score: int
    matches: list[Match]
    #: Terms found at the start of a name (a tie-breaker after the kind of resource).
    prefixes: int = 0

    @property
    def name_match(self) -> bool:
        return any(m.field.kind == NAME for m in self.matches)


class SearchIndex:
    """A character n-gram index (single characters and bigrams) over a store's strings."""

    def __init__(self, docs: list[Doc], fields: list[Field]) -> None:
        self.docs = docs
        self.fields = fields
        self.grams: dict[str, set[int]] = defaultdict(set)
        for i, f in enumerate(fields):
            for gram in _index_grams(f.norm):
                self.grams[gram].add(i)

    @classmethod
    def build(cls, store: ox.Store) -> SearchIndex:
        docs: dict[str, Doc] = {}
        fields: list[Field] = []
        seen: set[tuple[str, str, str, str]] = set()
        for quad in store.quads_for_pattern(None, None, None, None):
            subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
            if not isinstance(subject, ox.NamedNode):
                continue
            doc = docs.get(subject.value)
            if doc is None:
                doc = docs[subject.value] = Doc(subject.value)
            if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                if obj.value not in doc.types:
                    doc.types.append(obj.value)
                continue
            if not isinstance(obj, ox.Literal):
                continue
            if obj.datatype.value not in (XSD_STRING, RDF_LANGSTRING):
                continue
            key = (subject.value, predicate, obj.value, obj.language or "")
            if key in seen or not obj.value.strip():
                continue
            seen.add(key)
            kind = NAME if predicate in NAME_PROPERTIES else RAW if predicate in RAW_PROPERTIES \
                else TEXT
            doc.fields.append(len(fields))
            fields.append(Field(-1, predicate, obj.language or "", obj.value, kind))
        doc_list = [d for d in docs.values() if d.fields]
        for number, doc in enumerate(doc_list):
            for i in doc.fields:
                fields[i].doc = number
        return cls(doc_list, fields)

    def _candidates(self, term: str) -> Iterable[int]:
        grams = list(_grams(term))
        if not grams:
            return ()
        sets = sorted((self.grams.get(g, set()) for g in grams), key=len)
        found = set(sets[0])
        for other in sets[1:]:
            found &= other
            if not found:
                break
        return found

    def search(self, query: str) -> list[Hit]:
        """Resources matching every term of ``query``, best first."""
        terms = terms_of(query)
        if not terms:
            return []
        per_doc: dict[int, dict[str, list[tuple[int, int, int]]]] = defaultdict(dict)
        for term in terms:
            for i in self._candidates(term):
                f = self.fields[i]
                start = f.norm.find(term)
                if start < 0:
                    continue
                per_doc[f.doc].setdefault(term, []).append((i, start, len(term)))
        hits = []
        for doc_number, by_term in per_doc.items():
            if len(by_term) < len(terms):
                continue
            hits.append(self._hit(self.docs[doc_number], by_term))
        hits.sort(
            key=lambda h: (-h.score, _kind_rank(h.doc), -h.prefixes, h.doc.iri)
        )
        return hits

    def _hit(self, doc: Doc, by_term: dict[str, list[tuple[int, int, int]]]) -> Hit:
        score = prefixes = 0
        spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for matches in by_term.values():
            best = 0
            prefix = False
            for i, start, length in matches:
                f = self.fields[i]
                best = max(best, SCORES[(f.kind, length == len(f.norm))])
                prefix = prefix or (f.kind == NAME and start == 0)
                spans[i].append(f.original_span(start, length))
            score += best
            prefixes += prefix
        order = {NAME: 0, TEXT: 1, RAW: 2}
        found = [Match(self.fields[i], s) for i, s in spans.items()]
        found.sort(key=lambda m: (order[m.field.kind], -len(m.spans), len(m.field.text)))
        return Hit(doc, score, found, prefixes)

    def names(self, doc: Doc) -> Iterator[Field]:
        return (self.fields[i] for i in doc.fields if self.fields[i].kind == NAME)


def _grams(term: str) -> Iterator[str]:
    """The keys a term is looked up by: its bigrams, or the character itself."""
    if len(term) == 1:
        yield term
        return
    for i in range(len(term) - 1):
        yield term[i : i + 2]


def _index_grams(text: str) -> Iterator[str]:
    """The keys a text is filed under: every character and every bigram."""
    yield from set(text)
    yield from _grams(text)


#: Kinds of resource a reader most likely looks for, first.
KIND_ORDER = [
    *(KGO + c for c in (
        "PlanEntry", "Policy", "BasicDirection", "ClimateActionPlan", "AdministrativeProgramme",
        "ZoneDesignationScheme", "ZoneDesignation", "PolicyInstrument",
    )),
    P["org"] + "Organization", P["org"] + "OrganizationalUnit", P["schema"] + "Place",
    KGO + "Facility", P["schema"] + "City", P["eli"] + "LegalResource", KGO + "Article",
    KGO + "Paragraph", KGO + "Activity", KGO + "SubActivity",
]


def _kind_rank(doc: Doc) -> int:
    ranks = [KIND_ORDER.index(t) for t in doc.types if t in KIND_ORDER]
    if ranks:
        return min(ranks)
    if any(t == KGO + "SourcePassage" for t in doc.types):
        return len(KIND_ORDER) + 2
    return len(KIND_ORDER) + 1
