"""The description of one resource: what dereferencing its IRI returns.

A description holds the resource's own statements (in every named graph), the
statements that point to it, and the labels of everything it links to or is linked
from.  Every triple comes from the store, so the union of all descriptions is the
dataset itself (the crawler test checks this).

:func:`build_view` turns a description into what the HTML page shows: property rows
labelled with the ontology's labels in the reader's language, values with their
labels and local links, ordered lists in ``schema:position`` order (activities with
their sub-activities), a "referred to by" section and the source passages.
Lookups are store pattern lookups, not SPARQL, so that a page costs few round trips.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ...iris import KGO, PREFIXES
from ...terms import compact
from .labels import RDF_TYPE, RDFS_LABEL, Labeller, pick

P = PREFIXES
SCHEMA_POSITION = ox.NamedNode(P["schema"] + "position")
PROV_DERIVED = ox.NamedNode(P["prov"] + "wasDerivedFrom")
PROV_VALUE = ox.NamedNode(P["prov"] + "value")
KGO_START_LINE = ox.NamedNode(KGO + "startLine")
KGO_END_LINE = ox.NamedNode(KGO + "endLine")

#: A value of the key property is shown with its own children of the value property.
NESTED: dict[str, str] = {KGO + "activity": KGO + "subActivity"}

#: Rows shown first, in this order; the rest follow sorted by their label.
ROW_ORDER: tuple[str, ...] = (
    P["rdfs"] + "label",
    P["skos"] + "prefLabel",
    P["skos"] + "altLabel",
    P["dcterms"] + "title",
    KGO + "entryNumber",
    KGO + "policyNumber",
    KGO + "policyCode",
    KGO + "numeral",
    KGO + "directionNumber",
    KGO + "inPlan",
    KGO + "underDirection",
    KGO + "underPolicy",
    KGO + "administrativeProgramme",
    KGO + "overview",
    KGO + "statedAim",
    KGO + "activity",
    KGO + "subActivity",
    KGO + "fileName",
    KGO + "startLine",
    KGO + "endLine",
)
#: Rows shown last, in this order.
ROW_LAST: tuple[str, ...] = (
    P["schema"] + "position",
    KGO + "normalisation",
    KGO + "externalSource",
    P["prov"] + "wasDerivedFrom",
)

#: Datatypes whose values read the same without a tag (numbers, booleans, strings).
#: Oxigraph keeps every derived integer type (``xsd:int``, ``xsd:positiveInteger`` …)
#: as ``xsd:integer``, so those never come out of the store.
PLAIN_DATATYPES = frozenset(
    P["xsd"] + name for name in ("string", "integer", "decimal", "boolean")
)

Linker = Callable[[str], "str | None"]


@dataclass
class Description:
    """The triples that describe one resource."""

    iri: str
    own: list[ox.Triple]
    incoming: list[ox.Triple]
    labels: list[ox.Triple]

    @property
    def triples(self) -> list[ox.Triple]:
        """All of it, each triple once."""
        return list(dict.fromkeys([*self.own, *self.incoming, *self.labels]))


def describe(store: ox.Store, iri: str) -> Description | None:
    """The description of ``iri``, or ``None`` when the store does not mention it."""
    node = ox.NamedNode(iri)
    own = list(dict.fromkeys(q.triple for q in store.quads_for_pattern(node, None, None)))
    incoming = list(dict.fromkeys(q.triple for q in store.quads_for_pattern(None, None, node)))
    if not own and not incoming:
        return None
    linked: dict[ox.NamedNode, None] = {}
    for triple in own:
        if isinstance(triple.object, ox.NamedNode) and triple.object != node:
            linked[triple.object] = None
    for triple in incoming:
        if isinstance(triple.subject, ox.NamedNode) and triple.subject != node:
            linked[triple.subject] = None
    labels: list[ox.Triple] = []
    for other in linked:
        labels.extend(
            dict.fromkeys(q.triple for q in store.quads_for_pattern(other, RDFS_LABEL, None))
        )
    return Description(iri, own, incoming, labels)


def exists(store: ox.Store, iri: str) -> bool:
    """Whether the store mentions ``iri`` as a subject or an object.

    A string that is not a valid IRI (a request path with a space, a NUL or invalid
    UTF-8) names nothing in the store.
    """
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return any(True for _ in store.quads_for_pattern(node, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node)
    )


# ---------------------------------------------------------------------------
# The HTML view
# ---------------------------------------------------------------------------


@dataclass
class Value:
    """One value as shown: text, language, link, and nested ordered children."""

    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None
    position: int | None = None
    multiline: bool = False
    children: list[Value] = field(default_factory=list)


@dataclass
class Row:
    """One property with its values."""

    iri: str
    label: str
    href: str | None
    values: list[Value]
    ordered: bool = False


@dataclass
class Passage:
    """A source passage the resource was transcribed from."""

    iri: str
    href: str | None
    label: str
    text: str | None
    start: str | None
    end: str | None


@dataclass
class ResourceView:
    """Everything the resource page shows."""

    iri: str
    title: str
    title_lang: str | None
    subtitles: list[Value]
    types: list[Value]
    rows: list[Row]
    referred_by: list[Row]
    passages: list[Passage]
    jsonld: str


def build_view(
    store: ox.Store, desc: Description, lang: str, link: Linker, labeller: Labeller | None = None
) -> ResourceView:
    """The page model of a description in the reader's language."""
    labeller = labeller or Labeller(store)
    node = ox.NamedNode(desc.iri)
    title_literal = pick(labeller.literals(desc.iri), lang)
    title = title_literal.value if title_literal is not None else compact(desc.iri)
    subtitles = [_literal_value(lit) for lit in labeller.other_labels(desc.iri, lang)]

    by_predicate: dict[str, list[ox.Term]] = {}
    for triple in desc.own:
        by_predicate.setdefault(triple.predicate.value, []).append(triple.object)
    types = [
        _node_value(obj, labeller, lang, link)
        for obj in by_predicate.pop(RDF_TYPE.value, [])
    ]
    passages = _passages(store, node, by_predicate, labeller, lang, link)
    rows = [
        _row(store, predicate, objects, labeller, lang, link)
        for predicate, objects in by_predicate.items()
        if predicate != PROV_VALUE.value  # a passage's own text is shown in its <pre>
    ]
    rows.sort(key=lambda r: _row_key(r))

    incoming: dict[str, list[ox.Term]] = {}
    for triple in desc.incoming:
        incoming.setdefault(triple.predicate.value, []).append(triple.subject)
    referred_by = [
        _row(store, predicate, subjects, labeller, lang, link, nested=False)
        for predicate, subjects in incoming.items()
    ]
    referred_by.sort(key=lambda r: r.label)

    return ResourceView(
        iri=desc.iri,
        title=title,
        title_lang=title_literal.language if title_literal is not None else None,
        subtitles=subtitles,
        types=types,
        rows=rows,
        referred_by=referred_by,
        passages=passages,
        jsonld=jsonld_for_html(desc.triples),
    )


def _row_key(row: Row) -> tuple[int, int, str]:
    if row.iri in ROW_ORDER:
        return (0, ROW_ORDER.index(row.iri), "")
    if row.iri in ROW_LAST:
        return (2, ROW_LAST.index(row.iri), "")
    return (1, 0, row.label)


def _row(
    store: ox.Store,
    predicate: str,
    objects: list[ox.Term],
    labeller: Labeller,
    lang: str,
    link: Linker,
    nested: bool = True,
) -> Row:
    values = [_node_value(obj, labeller, lang, link) for obj in dict.fromkeys(objects)]
    child_property = NESTED.get(predicate) if nested else None
    for value in values:
        if value.iri is not None:
            value.position = _position(store, value.iri)
            if child_property:
                value.children = _children(store, value.iri, child_property, labeller, lang, link)
    ordered = any(v.position is not None for v in values)
    if ordered:
        values.sort(key=lambda v: (v.position is None, v.position or 0, v.text))
    else:
        literal_first = [v for v in values if v.iri is None]
        values = _by_language(literal_first, lang) + sorted(
            (v for v in values if v.iri is not None), key=lambda v: v.text
        )
    return Row(predicate, labeller.label(predicate, lang), link(predicate), values, ordered)


def _children(
    store: ox.Store, iri: str, prop: str, labeller: Labeller, lang: str, link: Linker
) -> list[Value]:
    children = []
    for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None):
        if isinstance(quad.object, ox.NamedNode):
            child = _node_value(quad.object, labeller, lang, link)
            child.position = _position(store, quad.object.value)
            children.append(child)
    children = list({c.iri: c for c in children}.values())
    children.sort(key=lambda v: (v.position is None, v.position or 0, v.text))
    return children


def _position(store: ox.Store, iri: str) -> int | None:
    for quad in store.quads_for_pattern(ox.NamedNode(iri), SCHEMA_POSITION, None):
        try:
            return int(quad.object.value)
        except (AttributeError, ValueError):
            return None
    return None


def _by_language(values: list[Value], lang: str) -> list[Value]:
    def rank(v: Value) -> int:
        tag = (v.lang or "").lower()
        return 0 if tag == lang else 1 if not tag else 2

    return sorted(values, key=rank)


def _node_value(term: ox.Term, labeller: Labeller, lang: str, link: Linker) -> Value:
    if isinstance(term, ox.NamedNode):
        label_literal = pick(labeller.literals(term.value), lang)
        text = label_literal.value if label_literal is not None else labeller.label(
            term.value, lang
        )
        return Value(
            text=text,
            href=link(term.value),
            iri=term.value,
            lang=label_literal.language if label_literal is not None else None,
        )
    if isinstance(term, ox.Literal):
        return _literal_value(term)
    return Value(text=str(term))


def _literal_value(literal: ox.Literal) -> Value:
    datatype = None
    if not literal.language and literal.datatype.value not in PLAIN_DATATYPES:
        datatype = compact(literal.datatype.value)
    return Value(
        text=literal.value,
        lang=literal.language or None,
        datatype=datatype,
        multiline="\n" in literal.value,
    )


def _passages(
    store: ox.Store,
    node: ox.NamedNode,
    by_predicate: dict[str, list[ox.Term]],
    labeller: Labeller,
    lang: str,
    link: Linker,
) -> list[Passage]:
    """The source passages: the resource itself if it is one, and what it derives from."""
    targets = [node] if by_predicate.get(PROV_VALUE.value) else []
    targets += [o for o in by_predicate.get(PROV_DERIVED.value, []) if isinstance(o, ox.NamedNode)]
    passages = []
    for target in dict.fromkeys(targets):
        text = _first_literal(store, target, PROV_VALUE)
        passages.append(
            Passage(
                iri=target.value,
                href=link(target.value),
                label=labeller.label(target.value, lang),
                text=text,
                start=_first_literal(store, target, KGO_START_LINE),
                end=_first_literal(store, target, KGO_END_LINE),
            )
        )
    return passages


def _first_literal(store: ox.Store, subject: ox.NamedNode, prop: ox.NamedNode) -> str | None:
    for quad in store.quads_for_pattern(subject, prop, None):
        if isinstance(quad.object, ox.Literal):
            return quad.object.value
    return None


def jsonld_for_html(triples: list[ox.Triple]) -> str:
    """The triples as JSON-LD that is safe inside ``<script type="application/ld+json">``.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so that a literal containing
    ``</script>`` cannot end the script element.
    """
    data = json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]")
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
