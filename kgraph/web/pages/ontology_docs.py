"""The ontology and the shapes, published where their namespaces point.

``https://w3id.org/kgraph/ontology`` (and every ``kgo:`` term, a fragment of it) is
served at ``/ontology``; ``https://w3id.org/kgraph/shapes`` at ``/shapes``.  Browsers
get HTML documentation generated from the RDF itself, in Japanese or English; programs
get the RDF (Turtle, JSON-LD, RDF/XML, N-Triples) by ``Accept``, ``format`` or a suffix
(``/ontology.ttl``).

The ontology is read from the served store (its ``graph/ontology``), so that the
documentation, the RDF and the data always agree; the shapes are read from
``shapes/*.ttl``, which the server validates with.  pyLODE was considered and not
used: its 3.4.1 release cannot be imported from an installed wheel (it reads
``pyproject.toml`` from ``site-packages``, RDFLib/pyLODE#260), it writes one language
only, and its pages carry inline styles that a strict Content-Security-Policy blocks.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, request
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from werkzeug.exceptions import NotFound

from ...iris import (
    KGO,
    KGS,
    ONTOLOGY_IRI,
    ONTOLOGY_VERSION,
    SHAPES_IRI,
    graph_iri,
)
from ...sources import shapes_files
from ...terms import compact
from ...validation import _path as shacl_path
from ...validation import shapes_version
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import AppState, current_state
from . import rdfmedia
from .dumps import data_version

bp = Blueprint("ontology_docs", __name__)

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
VANN = rdflib.Namespace("http://purl.org/vocab/vann/")


# ---------------------------------------------------------------------------
# Where the RDF comes from
# ---------------------------------------------------------------------------


def ontology_triples(state: AppState) -> list[ox.Triple]:
    """The ontology as served: the store's ontology graph, else ``ontology/*.ttl``."""
    store = state.reader()
    graph = ox.NamedNode(graph_iri(state.config.base, "ontology"))
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
    if triples:
        return triples
    from ...config import PROJECT_ROOT

    return _parse_files(sorted((PROJECT_ROOT / "ontology").glob("*.ttl")))


def shapes_triples() -> list[ox.Triple]:
    """The shapes the server validates with (``shapes/*.ttl``)."""
    return _parse_files(shapes_files())


def _parse_files(paths: list[Path]) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    for path in paths:
        triples.extend(q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return triples


def _to_rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if data:
        graph.parse(data=data, format="nt")
    return graph


# ---------------------------------------------------------------------------
# The documentation model
# ---------------------------------------------------------------------------


@dataclass
class Link:
    text: str
    href: str | None
    iri: str
    #: Shown as code (a term or value) rather than as prose (a message).
    code: bool = True


@dataclass
class Term:
    """One documented term (class, property, concept scheme, concept or shape)."""

    iri: str
    anchor: str
    label: str
    other_labels: list[tuple[str, str]]
    definition: str
    facts: list[tuple[str, list[Link]]] = field(default_factory=list)
    children: list[Term] = field(default_factory=list)


@dataclass
class Section:
    key: str
    anchor: str
    terms: list[Term]


@dataclass
class Document:
    """A documented vocabulary or shapes graph."""

    iri: str
    title: str
    description: str
    metadata: list[tuple[str, list[Link]]]
    sections: list[Section]


def _text(graph: rdflib.Graph, node, props, lang: str) -> str:
    for prop in props:
        values = [v for v in graph.objects(node, prop) if isinstance(v, rdflib.Literal)]
        if values:
            for wanted in (lang, None, "en"):
                for value in values:
                    if value.language == wanted:
                        return str(value)
            return str(values[0])
    return ""


def _name(iri: str) -> str:
    """A prefixed name where a prefix covers the IRI, else the IRI itself."""
    name = compact(iri)
    return iri if name.startswith("<") else name


def _anchor(iri: str, namespace: str) -> str:
    return iri[len(namespace):] if iri.startswith(namespace) else compact(iri).replace(":", "-")


class _Builder:
    """Builds documentation in one language, linking terms locally where it can."""

    def __init__(self, graph: rdflib.Graph, lang: str, namespace: str) -> None:
        self.graph = graph
        self.lang = lang
        self.namespace = namespace
        from .linkeddata import local_href

        self.local_href = local_href

    def label(self, node) -> str:
        text = _text(self.graph, node, (RDFS.label, SKOS.prefLabel, DCT.title), self.lang)
        return text or _name(str(node))

    def link(self, node) -> Link:
        if isinstance(node, rdflib.BNode):
            return Link(shacl_path(node, self.graph), None, "")
        if isinstance(node, rdflib.Literal):
            return Link(str(node), None, "")
        iri = str(node)
        text = self.label(node) if (node, None, None) in self.graph else _name(iri)
        return Link(text, self.local_href(iri), iri)

    def links(self, subject, prop) -> list[Link]:
        return sorted((self.link(o) for o in self.graph.objects(subject, prop)),
                      key=lambda link: link.text)

    def term(self, node, facts: list[tuple[str, object]]) -> Term:
        iri = str(node)
        others = [
            (v.language or "", str(v))
            for v in self.graph.objects(node, RDFS.label)
            if isinstance(v, rdflib.Literal) and v.language != self.lang
        ]
        term = Term(
            iri=iri,
            anchor=_anchor(iri, self.namespace),
            label=self.label(node),
            other_labels=sorted(others),
            definition=_text(self.graph, node, (SKOS.definition, RDFS.comment, SH.description,
                                                DCT.description), self.lang),
        )
        for key, prop in facts:
            found = self.links(node, prop)
            if found:
                term.facts.append((key, found))
        return term

    def subjects(self, cls) -> list:
        found = {s for s in self.graph.subjects(RDF.type, cls) if isinstance(s, rdflib.URIRef)}
        return sorted(found, key=lambda s: (not str(s).startswith(self.namespace), str(s)))


def _literals(graph: rdflib.Graph, subject, prop) -> list[Link]:
    return [Link(str(v), None, "") for v in graph.objects(subject, prop)]


def ontology_document(graph: rdflib.Graph, lang: str) -> Document:
    """The ontology's documentation in ``lang``."""
    b = _Builder(graph, lang, KGO)
    ontology = rdflib.URIRef(ONTOLOGY_IRI)
    metadata = [
        ("onto.version", _literals(graph, ontology, OWL.versionInfo)),
        ("onto.version_iri", b.links(ontology, OWL.versionIRI)),
        ("onto.namespace", [Link(KGO, None, "")]),
        ("onto.prefix", _literals(graph, ontology, VANN.preferredNamespacePrefix)),
        ("onto.created", _literals(graph, ontology, DCT.created)),
        ("onto.modified", _literals(graph, ontology, DCT.modified)),
        ("onto.see_also", b.links(ontology, RDFS.seeAlso)),
    ]
    class_facts = [("onto.subclass_of", RDFS.subClassOf)]
    prop_facts = [("onto.subproperty_of", RDFS.subPropertyOf), ("onto.domain", RDFS.domain),
                  ("onto.range", RDFS.range)]
    schemes = []
    for scheme in b.subjects(SKOS.ConceptScheme):
        term = b.term(scheme, [])
        concepts = sorted(set(graph.subjects(SKOS.inScheme, scheme)), key=str)
        term.children = [b.term(c, [("onto.notation", SKOS.notation)]) for c in concepts]
        schemes.append(term)
    sections = [
        Section("onto.classes", "classes", [b.term(c, class_facts) for c in b.subjects(OWL.Class)]),
        Section("onto.object_properties", "object-properties",
                [b.term(p, prop_facts) for p in b.subjects(OWL.ObjectProperty)]),
        Section("onto.datatype_properties", "datatype-properties",
                [b.term(p, prop_facts) for p in b.subjects(OWL.DatatypeProperty)]),
        Section("onto.schemes", "code-lists", schemes),
    ]
    return Document(
        iri=ONTOLOGY_IRI,
        title=b.label(ontology),
        description=_text(graph, ontology, (DCT.description, RDFS.comment), lang),
        metadata=[(key, links) for key, links in metadata if links],
        sections=[s for s in sections if s.terms],
    )


def shapes_document(graph: rdflib.Graph, lang: str) -> Document:
    """The shapes' documentation in ``lang``: node shapes with their property shapes."""
    b = _Builder(graph, lang, KGS)
    header = rdflib.URIRef(SHAPES_IRI)
    node_facts = [("shapes.target", SH.targetClass), ("shapes.target", SH.targetSubjectsOf),
                  ("shapes.target", SH.targetObjectsOf), ("shapes.target", SH.targetNode)]
    terms = []
    for shape in b.subjects(SH.NodeShape):
        term = b.term(shape, node_facts)
        for prop_shape in sorted(graph.objects(shape, SH.property), key=str):
            child = b.term(prop_shape, [("shapes.path", SH.path)])
            child.facts.append(("shapes.constraints", _constraints(b, prop_shape)))
            severity = graph.value(prop_shape, SH.severity) or SH.Violation
            child.facts.append(("shapes.severity", [Link(str(severity).rsplit("#", 1)[-1],
                                                         None, "")]))
            message = _text(graph, prop_shape, (SH.message,), lang)
            if message:
                child.facts.append(("shapes.message", [Link(message, None, "", code=False)]))
            term.children.append(child)
        terms.append(term)
    return Document(
        iri=SHAPES_IRI,
        title=b.label(header) if (header, None, None) in graph else SHAPES_IRI,
        description=_text(graph, header, (DCT.description,), lang),
        metadata=[(k, v) for k, v in [
            ("onto.version", _literals(graph, header, OWL.versionInfo)),
            ("onto.version_iri", b.links(header, OWL.versionIRI)),
            ("onto.namespace", [Link(KGS, None, "")]),
        ] if v],
        sections=[Section("shapes.title", "shapes", terms)] if terms else [],
    )


#: SHACL constraint parameters shown for a property shape.
CONSTRAINTS = (SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH.node,
               SH.pattern, SH.languageIn, SH.uniqueLang, SH["in"], SH.hasValue,
               SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount,
               SH.minInclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.sparql)


def _constraints(b: _Builder, shape) -> list[Link]:
    found = []
    for param in CONSTRAINTS:
        for value in b.graph.objects(shape, param):
            name = compact(str(param))
            if isinstance(value, rdflib.BNode):
                if (value, RDF.first, None) in b.graph:
                    items = rdflib.collection.Collection(b.graph, value)
                    shown = "(" + " ".join(str(i) if isinstance(i, rdflib.Literal)
                                           else compact(str(i)) for i in items) + ")"
                else:
                    shown = "SPARQL" if param == SH.sparql else "[…]"
                found.append(Link(f"{name} {shown}", None, ""))
            elif isinstance(value, rdflib.Literal):
                found.append(Link(f"{name} {value}", None, ""))
            else:
                link = b.link(value)
                found.append(Link(f"{name} {compact(str(value))}", link.href, link.iri))
    return found


# ---------------------------------------------------------------------------
# Caches (one per data version and language)
# ---------------------------------------------------------------------------

_cache: dict[tuple, object] = {}
_cache_lock = threading.Lock()


def _cached(key: tuple, build):
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = value
    return value


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


def _serve(kind: str, path: str, suffix: str | None) -> Response:
    state = current_state()
    if suffix is not None:
        media = rdfmedia.HTML if suffix == "html" else rdfmedia.by_suffix(suffix)
        if media is None:
            raise NotFound()
    else:
        media = rdfmedia.negotiate(html=True)
    version = data_version(state).tag if kind == "ontology" else shapes_version()
    triples = _cached((kind, "rdf", version), lambda: (
        ontology_triples(state) if kind == "ontology" else shapes_triples()))
    page = f"{request.script_root}/{path}"
    iri = ONTOLOGY_IRI if kind == "ontology" else SHAPES_IRI
    if media == rdfmedia.HTML:
        lang = get_lang()
        build = ontology_document if kind == "ontology" else shapes_document
        doc = _cached((kind, "html", version, lang, request.script_root),
                      lambda: build(_to_rdflib(triples), lang))
        response = html_page(
            "vocabulary.html", doc=doc, kind=kind, canonical=iri,
            formats=[{"label": m.label, "media_type": m.media_type,
                      "href": f"{page}.{m.suffix}"} for m in rdfmedia.RDF_MEDIA],
        )
    else:
        response = rdfmedia.rdf_response(triples, media)
    response.vary.add("Accept")
    links = rdfmedia.alternate_links(lambda m: f"{page}.{m.suffix}", html_url=f"{page}.html")
    links.append(f'<{iri}>; rel="canonical"')
    response.headers["Link"] = ", ".join(links)
    return response


@bp.get("/ontology")
@bp.get(f"/ontology/{ONTOLOGY_VERSION}")
def ontology() -> Response:
    return _serve("ontology", "ontology", None)


@bp.get("/ontology.<suffix>")
def ontology_as(suffix: str) -> Response:
    return _serve("ontology", "ontology", suffix)


@bp.get("/ontology/<version>")
def ontology_prior_version(version: str) -> Response:
    """A prior version the ontology names (``owl:priorVersion``), as it was published:
    kept in ``ontology/versions/kgo-<version>.ttl``, in the RDF form asked for."""
    from ...config import PROJECT_ROOT

    path = PROJECT_ROOT / "ontology" / "versions" / f"kgo-{version}.ttl"
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version) or not path.is_file():
        raise NotFound()
    media = rdfmedia.negotiate(html=False)
    triples = _cached(("ontology", "prior", version), lambda: _parse_files([path]))
    response = rdfmedia.rdf_response(triples, media)
    response.vary.add("Accept")
    response.headers["Link"] = f'<{ONTOLOGY_IRI}>; rel="latest-version"'
    return response


@bp.get("/shapes")
def shapes() -> Response:
    return _serve("shapes", "shapes", None)


@bp.get("/shapes.<suffix>")
def shapes_as(suffix: str) -> Response:
    return _serve("shapes", "shapes", suffix)
