"""JSON-LD in the three forms the JSON-LD 1.1 media type names: compacted, framed, expanded.

Every JSON-LD answer of the site is made here from a list of triples:

* **the context** (:func:`build_context`) is made from the ontology's own terms
  (each ``kgo:`` class and property becomes a term of its local name) and
  :data:`kgraph.iris.PREFIXES`; an object property is coerced to ``@id``, a datatype
  property to its ``xsd:`` range (never ``xsd:string``, which a plain JSON string
  already is), a ``rdf:langString`` property and the labels (``label``,
  ``prefLabel``, ``altLabel``) are language maps.  It is published, versioned with
  the ontology, at ``ontology/context/VERSION.jsonld``;
* **compacted** (:func:`compacted`): pyld's compaction of the triples with that
  context: one node object per subject, in the order the triples give;
* **framed** (:func:`framed`): the compacted nodes with each node reached by one of
  :data:`NESTED` (an entry's activities, an activity's sub-activities) embedded where
  it is referred to, in ``schema:position`` order, the first subject's node first.
  It holds the same triples as the compacted form (nothing is added or dropped);
* **expanded**: what pyoxigraph writes, untouched.

An answer carries the context inline, cut to the terms it uses (every definition
word for word the published one), so that reading it never needs a second request or
the network: a processor that would fetch a context from the data's base (which a
local or staging deployment may not serve) has nothing to fetch.  pyld never fetches
anything either: its document loader (:func:`document_loader`) serves our own context
from memory and refuses every other URL.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from ...iris import KGO, ONTOLOGY_VERSION, PREFIXES

#: The JSON-LD 1.1 profile URIs (the ``profile`` parameter of ``application/ld+json``).
JSONLD_NS = "http://www.w3.org/ns/json-ld#"
EXPANDED = JSONLD_NS + "expanded"
COMPACTED = JSONLD_NS + "compacted"
FLATTENED = JSONLD_NS + "flattened"
FRAMED = JSONLD_NS + "framed"
CONTEXT = JSONLD_NS + "context"
#: The ``Link`` relation that names a JSON document's context.
CONTEXT_REL = JSONLD_NS + "context"

#: Where the context is published, relative to the base (``{version}`` filled in).
CONTEXT_PATH = "ontology/context/{version}.jsonld"
#: The stable name of the current version's context, relative to the base.
CURRENT_CONTEXT_PATH = "ontology/context.jsonld"

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
XSD = PREFIXES["xsd"]
SKOS = PREFIXES["skos"]
SCHEMA_POSITION = PREFIXES["schema"] + "position"

#: Properties whose values an entry's (or activity's) framed form embeds, in order.
NESTED: tuple[str, ...] = (KGO + "activity", KGO + "subActivity")

#: Language maps for reused label properties (term -> property).
LABEL_TERMS: dict[str, str] = {
    "label": RDFS + "label",
    "prefLabel": SKOS + "prefLabel",
    "altLabel": SKOS + "altLabel",
}


class ContextError(ValueError):
    """The ontology cannot be made into a context (two meanings for one term)."""


def _compact_iri(iri: str) -> str:
    """``kgo:activity`` for an IRI in a namespace of :data:`PREFIXES`, else the IRI."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def build_context(ontology: Iterable[ox.Triple]) -> dict[str, Any]:
    """The ``@context`` object for the ontology's terms and the project's prefixes."""
    types: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    rdf_type, rdfs_range = RDF + "type", RDFS + "range"
    for triple in ontology:
        subject = triple.subject
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(KGO):
            continue
        if triple.predicate.value == rdf_type and isinstance(triple.object, ox.NamedNode):
            types.setdefault(subject.value, set()).add(triple.object.value)
        elif triple.predicate.value == rdfs_range and isinstance(triple.object, ox.NamedNode):
            ranges.setdefault(subject.value, set()).add(triple.object.value)
    context: dict[str, Any] = dict(PREFIXES)
    terms: dict[str, Any] = {}
    for term, iri in LABEL_TERMS.items():
        terms[term] = {"@id": _compact_iri(iri), "@container": "@language"}
    for iri in sorted(types):
        definition = _definition(iri, types[iri], ranges.get(iri, set()))
        if definition is None:
            continue
        name = iri[len(KGO):]
        if name in terms or name in context:
            raise ContextError(f"the term {name!r} would have two meanings")
        terms[name] = definition
    context.update(terms)
    return context


def _definition(iri: str, kinds: set[str], ranges: set[str]) -> str | dict[str, str] | None:
    """The term definition of one ``kgo:`` class or property (``None``: not a term)."""
    compact = _compact_iri(iri)
    if OWL + "Class" in kinds or RDFS + "Class" in kinds:
        return compact
    if OWL + "ObjectProperty" in kinds:
        return {"@id": compact, "@type": "@id"}
    if OWL + "DatatypeProperty" in kinds:
        if len(ranges) == 1:
            (value_range,) = ranges
            if value_range == RDF + "langString":
                return {"@id": compact, "@container": "@language"}
            if value_range.startswith(XSD) and value_range != XSD + "string":
                return {"@id": compact, "@type": _compact_iri(value_range)}
        return compact
    if OWL + "AnnotationProperty" in kinds or RDF + "Property" in kinds:
        return compact
    return None


# ---------------------------------------------------------------------------
# The published context and the loader that serves it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """A context document, where it is published and how pyld finds it."""

    document: dict[str, Any]
    #: The published URL (``BASE/ontology/context/VERSION.jsonld``).
    url: str
    #: The name pyld knows it by: a hash of its content, so that pyld's own cache of
    #: processed contexts can never hand back an older context under the same name.
    key: str = ""
    version: str = ONTOLOGY_VERSION
    _text: bytes = field(default=b"", repr=False, compare=False)

    @classmethod
    def make(cls, ontology: Iterable[ox.Triple], base: str,
             version: str = ONTOLOGY_VERSION) -> Context:
        document = {"@context": build_context(ontology)}
        text = json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"
        key = "urn:kgraph:context:" + hashlib.sha256(text).hexdigest()
        url = base + CONTEXT_PATH.format(version=version)
        return cls(document, url, key, version, text)

    @property
    def text(self) -> bytes:
        """The document as published (UTF-8 JSON)."""
        return self._text

    @property
    def terms(self) -> dict[str, Any]:
        return self.document["@context"]

    def loader(self) -> Callable[[str, Any], dict[str, Any]]:
        return document_loader({self.key: self.document, self.url: self.document})


def document_loader(
    documents: Mapping[str, dict[str, Any]],
) -> Callable[[str, Any], dict[str, Any]]:
    """A pyld document loader that serves ``documents`` from memory and refuses any
    other URL: no JSON-LD processing of ours ever reaches the network."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        document = documents.get(url)
        if document is None:
            raise jsonld.JsonLdError(
                f"loading {url!r} refused: only kgraph's own context is loaded",
                "jsonld.LoadDocumentError", {"url": url},
                code="loading remote context failed")
        # "tag": pyld keeps a loaded context's processed form across calls only when
        # the loader tags it (our documents never change under one name).
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": copy.deepcopy(document), "tag": "static"}

    return load


# ---------------------------------------------------------------------------
# The forms
# ---------------------------------------------------------------------------


def expanded(triples: list[ox.Triple]) -> list[dict[str, Any]]:
    """Expanded JSON-LD, as pyoxigraph writes it."""
    return json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]")


def compacted(triples: list[ox.Triple], context: Context) -> dict[str, Any]:
    """The triples compacted with ``context`` (one node object per subject, in
    order), with the context inline and cut to what the document uses."""
    nodes = _compact_nodes(expanded(triples), context)
    return {"@context": used_context(nodes, context), "@graph": nodes}


def framed(
    triples: list[ox.Triple],
    context: Context,
    position: Callable[[str], int | None] | None = None,
) -> dict[str, Any]:
    """The compacted form with :data:`NESTED` values embedded in ``schema:position``
    order (from the triples, else ``position(iri)``), the first subject first."""
    nodes = _compact_nodes(expanded(triples), context)
    nodes = nest(nodes, triples, context, position)
    return {"@context": used_context(nodes, context), "@graph": nodes}


def document(
    triples: list[ox.Triple],
    context: Context | None,
    form: str | None = None,
    position: Callable[[str], int | None] | None = None,
) -> tuple[bytes, str]:
    """The triples as a JSON-LD document in ``form`` (a profile URI; default framed),
    and the profile of what was made: ``#framed`` when something was nested, else
    ``#compacted``; without a context, always ``#expanded``."""
    form = form or FRAMED
    if form == EXPANDED or context is None:
        return dumps(expanded(triples)), EXPANDED
    if form == COMPACTED:
        return dumps(compacted(triples, context)), COMPACTED
    subjects = len({t.subject for t in triples})
    made = framed(triples, context, position)
    return dumps(made), FRAMED if len(made["@graph"]) < subjects else COMPACTED


def dumps(data: Any) -> bytes:
    """JSON as served: UTF-8, indented for people who read it with ``curl``."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n"


def _compact_nodes(data: list[dict[str, Any]], context: Context) -> list[dict[str, Any]]:
    if not data:
        return []
    for node in data:
        _types_as_keyword(node)
    # pyoxigraph writes expanded form already (and @type stays so): no second expansion.
    options = {"documentLoader": context.loader(), "base": "", "compactArrays": True,
               "graph": True, "skipExpansion": True}
    result = jsonld.compact(data, context.key, options)
    return list(result.get("@graph", []))


def _types_as_keyword(node: dict[str, Any]) -> None:
    """``rdf:type`` with IRI values as ``@type`` (the same triples; pyoxigraph writes
    them as a property, pyld's compaction then keeps them so)."""
    values = node.get(RDF + "type")
    if not values:
        return
    iris = [v["@id"] for v in values if isinstance(v, dict) and set(v) == {"@id"}
            and not v["@id"].startswith("_:")]
    rest = [v for v in values if not (isinstance(v, dict) and v.get("@id") in iris)]
    if iris:
        node["@type"] = [*node.get("@type", []), *iris]
    if rest:
        node[RDF + "type"] = rest
    else:
        del node[RDF + "type"]


def nest(
    nodes: list[dict[str, Any]],
    triples: list[ox.Triple],
    context: Context,
    position: Callable[[str], int | None] | None = None,
) -> list[dict[str, Any]]:
    """Embed every node that one :data:`NESTED` reference reaches where it is
    referred to (each at most once, never the first node, never into itself)."""
    if not nodes:
        return nodes
    names = _nested_terms(context)
    by_id = {node.get("@id"): node for node in nodes if "@id" in node}
    references = _references(nodes, context)
    positions = _positions(triples)
    root = nodes[0].get("@id")

    def order(ref: str) -> tuple:
        found = positions.get(ref)
        if found is None and position is not None:
            found = position(_expand(ref, context))
        return (found is None, found if found is not None else 0, ref)

    embedded: set[str] = set()

    def embed(node: dict[str, Any], path: frozenset[str]) -> None:
        for term in names:
            value = node.get(term)
            if value is None:
                continue
            refs = value if isinstance(value, list) else [value]
            if not all(isinstance(r, str) for r in refs):
                continue
            refs = sorted(refs, key=order)
            out: list[Any] = []
            for ref in refs:
                child = by_id.get(ref)
                if (child is None or ref == root or ref in path or ref in embedded
                        or references.get(ref, 0) != 1):
                    out.append(ref)
                    continue
                embedded.add(ref)
                embed(child, path | {ref})
                out.append(child)
            node[term] = out if len(out) != 1 or isinstance(value, list) else out[0]

    for node in nodes:
        if node.get("@id") not in embedded:
            embed(node, frozenset({node.get("@id")}))
    return [node for node in nodes if node.get("@id") not in embedded]


def _references(nodes: list[dict[str, Any]], context: Context) -> dict[str, int]:
    """How often each node is referred to (by ``{"@id": …}`` or an ``@id``-coerced
    term's string); a plain literal's string is not a reference."""
    coerced = {term for term, definition in context.terms.items()
               if isinstance(definition, dict) and definition.get("@type") == "@id"}
    references: dict[str, int] = {}
    for node in nodes:
        for key, value in node.items():
            if key.startswith("@"):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    ref = item.get("@id")
                else:
                    ref = item if key in coerced else None
                if isinstance(ref, str):
                    references[ref] = references.get(ref, 0) + 1
    return references


def _nested_terms(context: Context) -> list[str]:
    """The context's terms for :data:`NESTED`, in that order."""
    wanted = {_compact_iri(iri): iri for iri in NESTED}
    found = {}
    for term, definition in context.terms.items():
        target = definition.get("@id") if isinstance(definition, dict) else None
        if target in wanted and definition.get("@type") == "@id":
            found[wanted[target]] = term
    return [found[iri] for iri in NESTED if iri in found]


def _positions(triples: list[ox.Triple]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for triple in triples:
        if triple.predicate.value == SCHEMA_POSITION and isinstance(triple.object, ox.Literal):
            try:
                positions[_subject_key(triple.subject)] = int(triple.object.value)
            except ValueError:
                continue
    return positions


def _subject_key(term: ox.Term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _expand(ref: str, context: Context) -> str:
    """A compact IRI of the context back to the full IRI."""
    prefix, colon, rest = ref.partition(":")
    if colon and not rest.startswith("//") and isinstance(context.terms.get(prefix), str):
        return context.terms[prefix] + rest
    return ref


def used_context(nodes: list[dict[str, Any]], context: Context) -> dict[str, Any]:
    """The context's prefixes and the terms ``nodes`` use (definitions unchanged)."""
    terms = context.terms
    used: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "@type":
                    for name in item if isinstance(item, list) else [item]:
                        used.add(name)
                elif not key.startswith("@"):
                    used.add(key)
                    definition = terms.get(key)
                    if isinstance(definition, dict) and definition.get("@container") \
                            == "@language":
                        continue  # its keys are language tags, its values strings
                    visit(item)
                else:
                    visit(item)

    visit(nodes)
    out = {name: value for name, value in terms.items() if isinstance(value, str)
           and name in PREFIXES}
    out.update({name: terms[name] for name in terms if name in used and name not in out})
    return out
