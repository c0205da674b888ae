"""Descriptions of the dataset for harvesters: VoID and a DCAT-AP catalogue.

``/.well-known/void`` (VoID) gives the size of the data, its class and property
partitions, the vocabularies it uses, its URI space, the SPARQL endpoint and the
dumps.  ``/catalog`` (DCAT 3, DCAT-AP 3.0.1) gives the catalogue, the dataset, one
distribution per dump and the SPARQL endpoint as a data service.

Both start from what the data says about the dataset (``data/dataset.ttl``: title,
description, publisher, keywords, licence statement, contact point) and add what
only the server knows (counts, download and endpoint addresses, modification date).
Statistics are computed once per served data version.  All addresses are built from
the configured base, like the instance IRIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, request

from ...iris import INSTANCE_ROOT, KGO, ONTOLOGY_IRI, PREFIXES
from ...terms import compact
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import AppState, current_state
from . import rdfmedia
from .dumps import DUMPS, built, data_version
from .labels import RDF_TYPE, RDFS_LABEL, Labeller, pick

bp = Blueprint("catalog", __name__)

P = PREFIXES
VOID = "http://rdfs.org/ns/void#"
DCAT = P["dcat"]
DCT = P["dcterms"]
FOAF = P["foaf"]
SKOS = P["skos"]
XSD = P["xsd"]
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
EU = "http://publications.europa.eu/resource/authority/"
ADMS_LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
GZIP_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/application/gzip"
FORMATS_NS = "http://www.w3.org/ns/formats/"
VOID_FEATURES = {"nquads": FORMATS_NS + "N-Quads", "turtle": FORMATS_NS + "Turtle"}
#: prefLabels of the controlled-vocabulary concepts the catalogue uses (their own labels).
CONCEPT_LABELS: dict[str, str] = {
    EU + "data-theme/ENVI": "Environment",
    EU + "data-theme/GOVE": "Government and public sector",
    ADMS_LOCAL_AUTHORITY: "Local Authority",
    "http://purl.org/adms/licencetype/UnknownIPR": "Unknown IPR",
    "http://purl.org/adms/licencetype/Attribution": "Attribution",
}
#: kgo organisation types that are ADMS "Local Authority" publishers.
PUBLISHER_TYPES = {KGO + "LocalGovernment": ADMS_LOCAL_AUTHORITY}

VOID_PATH = ".well-known/void"
CATALOG_PATH = "catalog"
SPARQL_PATH = "sparql"


def N(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def lit(value: object, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype:
        return ox.Literal(str(value), datatype=N(datatype))
    return ox.Literal(str(value))


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Counts over the union of all graphs (each triple once)."""

    triples: int
    quads: int
    distinct_subjects: int
    distinct_objects: int
    classes: tuple[tuple[str, int], ...]
    properties: tuple[tuple[str, int], ...]
    graphs: tuple[tuple[str, int], ...]
    vocabularies: tuple[str, ...]
    #: Every IRI of the URI space that the data mentions (the dereferenceable resources).
    resources: tuple[str, ...]

    @property
    def entities(self) -> int:
        return len(self.resources)


def dataset_stats(state: AppState) -> Stats:
    """The statistics of the served data (computed once per data version)."""
    return state.per_version("dataset-stats",
                             lambda: compute_stats(state.reader(), uri_space(state)))


def compute_stats(store: ox.Store, space: str) -> Stats:
    def rows(query: str) -> list[ox.QuerySolution]:
        return list(store.query(query, use_default_graph_as_union=True))

    def count(query: str) -> int:
        return int(rows(query)[0]["n"].value)

    distinct = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
    classes = tuple(
        (r["c"].value, int(r["n"].value))
        for r in rows(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
            "GROUP BY ?c ORDER BY DESC(?n) ?c"
        )
    )
    properties = tuple(
        (r["p"].value, int(r["n"].value))
        for r in rows(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {distinct} }} GROUP BY ?p "
                      "ORDER BY DESC(?n) ?p")
    )
    graphs = tuple(
        (r["g"].value, int(r["n"].value))
        for r in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
    )
    literal = _sparql_string(space)
    resources = tuple(
        r["r"].value
        for r in rows(
            "SELECT DISTINCT ?r WHERE { { ?r ?p ?o } UNION { ?s ?p ?r } "
            f"FILTER(isIRI(?r) && STRSTARTS(STR(?r), {literal})) }} ORDER BY ?r"
        )
    )
    vocabularies = sorted(
        {_vocabulary(iri) for iri, _ in (*classes, *properties) if not iri.startswith(space)}
    )
    return Stats(
        triples=count(f"SELECT (COUNT(*) AS ?n) WHERE {{ {distinct} }}"),
        quads=len(store),
        distinct_subjects=count("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_objects=count("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        classes=classes,
        properties=properties,
        graphs=graphs,
        vocabularies=tuple(vocabularies),
        resources=resources,
    )


def _sparql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _vocabulary(term: str) -> str:
    """The vocabulary a term belongs to: ``...#`` namespaces without the ``#``."""
    if "#" in term:
        return term.rsplit("#", 1)[0]
    return term.rsplit("/", 1)[0] + "/"


# ---------------------------------------------------------------------------
# Addresses and the dataset resource
# ---------------------------------------------------------------------------


def uri_space(state: AppState) -> str:
    return state.config.base + INSTANCE_ROOT


@dataclass(frozen=True)
class Addresses:
    """Where things are, as absolute IRIs under the configured base."""

    base: str

    @property
    def home(self) -> str:
        return self.base

    @property
    def void(self) -> str:
        return self.base + VOID_PATH

    @property
    def catalog(self) -> str:
        return self.base + CATALOG_PATH

    @property
    def sparql(self) -> str:
        return self.base + SPARQL_PATH

    @property
    def service(self) -> str:
        return self.catalog + "#sparql-service"

    def dump(self, dump) -> str:
        return self.base + dump.path

    def distribution(self, dump) -> str:
        return f"{self.catalog}#distribution-{dump.key}"


def dataset_iri(state: AppState) -> str:
    """The dataset the data describes (a ``dcat:Dataset`` in the URI space)."""
    store = state.reader()
    space = uri_space(state)
    found = sorted(
        q.subject.value
        for q in store.quads_for_pattern(None, RDF_TYPE, N(DCAT + "Dataset"))
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(space)
    )
    return found[0] if found else Addresses(state.config.base).catalog + "#dataset"


def _own(store: ox.Store, iri: str) -> list[ox.Triple]:
    return list(dict.fromkeys(q.triple for q in store.quads_for_pattern(N(iri), None, None)))


def _objects(store: ox.Store, iri: str, prop: str) -> list[ox.Term]:
    return list(dict.fromkeys(q.object for q in store.quads_for_pattern(N(iri), N(prop), None)))


def _labels(store: ox.Store, iri: str, prop: str = P["rdfs"] + "label") -> list[ox.Triple]:
    return [ox.Triple(N(iri), N(prop), o) for o in _objects(store, iri, P["rdfs"] + "label")]


def _dataset_titles(store: ox.Store, dataset: str) -> list[ox.Literal]:
    titles = [o for o in _objects(store, dataset, DCT + "title") if isinstance(o, ox.Literal)]
    return titles or [lit("kgraph dataset", lang="en")]


# ---------------------------------------------------------------------------
# VoID
# ---------------------------------------------------------------------------


def void_triples(state: AppState) -> list[ox.Triple]:
    """The VoID description of the served dataset."""
    store = state.reader()
    stats = dataset_stats(state)
    where = Addresses(state.config.base)
    dataset = dataset_iri(state)
    ds = N(dataset)
    version = data_version(state)
    out: list[ox.Triple] = []

    def add(s: str | ox.NamedNode, p: str, o: ox.Term) -> None:
        out.append(ox.Triple(s if isinstance(s, ox.NamedNode) else N(s), N(p), o))

    add(where.void, P["rdf"] + "type", N(VOID + "DatasetDescription"))
    add(where.void, FOAF + "primaryTopic", ds)
    for title in _dataset_titles(store, dataset):
        add(where.void, DCT + "title", lit(f"VoID: {title.value}", lang=title.language))
    add(ds, P["rdf"] + "type", N(VOID + "Dataset"))
    for title in _dataset_titles(store, dataset):
        add(ds, DCT + "title", title)
    for licence in _objects(store, dataset, DCT + "license"):
        add(ds, DCT + "license", licence)
    for publisher in _objects(store, dataset, DCT + "publisher"):
        add(ds, DCT + "publisher", publisher)
    add(ds, DCT + "modified", lit(version.modified.isoformat(), XSD + "dateTime"))
    add(ds, VOID + "uriSpace", lit(uri_space(state)))
    add(ds, VOID + "sparqlEndpoint", N(where.sparql))
    for dump in DUMPS:
        add(ds, VOID + "dataDump", N(where.dump(dump)))
        add(ds, VOID + "feature", N(VOID_FEATURES[dump.key]))
    add(ds, VOID + "triples", lit(stats.triples, XSD + "integer"))
    add(ds, VOID + "entities", lit(stats.entities, XSD + "integer"))
    add(ds, VOID + "classes", lit(len(stats.classes), XSD + "integer"))
    add(ds, VOID + "properties", lit(len(stats.properties), XSD + "integer"))
    add(ds, VOID + "distinctSubjects", lit(stats.distinct_subjects, XSD + "integer"))
    add(ds, VOID + "distinctObjects", lit(stats.distinct_objects, XSD + "integer"))
    for vocabulary in stats.vocabularies:
        add(ds, VOID + "vocabulary", N(vocabulary))
    for root in _instances(store, KGO + "ClimateActionPlan", uri_space(state)):
        add(ds, VOID + "rootResource", N(root))
    for example in example_resources(store, uri_space(state)):
        add(ds, VOID + "exampleResource", N(example))
    for cls, n in stats.classes:
        part = N(f"{where.void}#class-{_fragment(cls)}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", N(cls))
        add(part, VOID + "entities", lit(n, XSD + "integer"))
    for prop, n in stats.properties:
        part = N(f"{where.void}#property-{_fragment(prop)}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", N(prop))
        add(part, VOID + "triples", lit(n, XSD + "integer"))
    return out


def example_resources(store: ox.Store, space: str, n: int = 3) -> list[str]:
    """Plan entries described in full: with activities, not known only from a
    reference (``kgo:describedElsewhere``); the first ``n`` by number."""
    described: list[str] = []
    for entry in _instances(store, KGO + "PlanEntry", space):
        node = N(entry)
        if any(store.quads_for_pattern(node, N(KGO + "describedElsewhere"), None)):
            continue
        if any(store.quads_for_pattern(node, N(KGO + "activity"), None)):
            described.append(entry)
        if len(described) == n:
            break
    return described


def _instances(store: ox.Store, cls: str, space: str) -> list[str]:
    return sorted(
        q.subject.value
        for q in store.quads_for_pattern(None, RDF_TYPE, N(cls))
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(space)
    )


def _fragment(iri: str) -> str:
    """A readable, stable fragment id for a term: ``kgo-PlanEntry``."""
    name = compact(iri)
    if name.startswith("<"):
        name = iri.split("://", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name.replace(":", "-")).strip("-")


# ---------------------------------------------------------------------------
# DCAT-AP
# ---------------------------------------------------------------------------


def dcat_triples(state: AppState) -> list[ox.Triple]:
    """The DCAT-AP 3.0.1 catalogue: catalogue, dataset, distributions, data service."""
    store = state.reader()
    where = Addresses(state.config.base)
    dataset = dataset_iri(state)
    ds = N(dataset)
    version = data_version(state)
    modified = lit(version.modified.isoformat(), XSD + "dateTime")
    out: list[ox.Triple] = []
    typed: set[tuple[str, str]] = set()

    def add(s: str | ox.NamedNode, p: str, o: ox.Term) -> None:
        out.append(ox.Triple(s if isinstance(s, ox.NamedNode) else N(s), N(p), o))

    def typ(iri: str | ox.Term, cls: str) -> None:
        value = iri.value if isinstance(iri, ox.NamedNode) else str(iri)
        if (value, cls) not in typed:
            typed.add((value, cls))
            add(value, P["rdf"] + "type", N(cls))

    # The dataset as the data describes it, and the resources of its own metadata.
    own = _own(store, dataset)
    out.extend(own)
    typ(dataset, DCAT + "Dataset")
    if not own:  # data without a dataset description (--data files): say what it is
        for lang, text in (("ja", "kgraph で公開している RDF データ。"),
                           ("en", "RDF data published with kgraph.")):
            add(ds, DCT + "description", lit(text, lang=lang))
        for title in _dataset_titles(store, dataset):
            add(ds, DCT + "title", title)
    for prop in (DCT + "license", DCAT + "contactPoint", DCT + "temporal"):
        for obj in _objects(store, dataset, prop):
            if isinstance(obj, ox.NamedNode):
                out.extend(_own(store, obj.value))
    licences = [o for o in _objects(store, dataset, DCT + "license") if isinstance(o, ox.NamedNode)]
    for licence in licences:
        typ(licence, DCT + "LicenseDocument")
        for kind in _objects(store, licence.value, DCT + "type"):
            _concept(add, typ, kind)
    for period in _objects(store, dataset, DCT + "temporal"):
        typ(period, DCT + "PeriodOfTime")
    for contact in _objects(store, dataset, DCAT + "contactPoint"):
        typ(contact, VCARD + "Kind")
    for place in _objects(store, dataset, DCT + "spatial"):
        if isinstance(place, ox.NamedNode):
            typ(place, DCT + "Location")
            out.extend(_labels(store, place.value))
    for language in _objects(store, dataset, DCT + "language"):
        typ(language, DCT + "LinguisticSystem")
    for theme in _objects(store, dataset, DCAT + "theme"):
        _concept(add, typ, theme)
    for standard in _objects(store, dataset, DCT + "conformsTo"):
        if isinstance(standard, ox.NamedNode):
            typ(standard, DCT + "Standard")
            out.extend(_labels(store, standard.value))
            if standard.value == ONTOLOGY_IRI:
                for title in _objects(store, ONTOLOGY_IRI, DCT + "title"):
                    add(standard, DCT + "title", title)
    publishers = [
        o for o in _objects(store, dataset, DCT + "publisher") if isinstance(o, ox.NamedNode)
    ]
    for publisher in publishers:
        _agent(store, add, typ, publisher)
    add(ds, DCT + "modified", modified)
    if not _objects(store, dataset, DCT + "identifier"):
        add(ds, DCT + "identifier", lit(dataset))  # its IRI is its identifier
    add(ds, DCAT + "landingPage", N(where.home))
    typ(where.home, FOAF + "Document")

    # One distribution per dump.
    for dump in DUMPS:
        dist = where.distribution(dump)
        add(ds, DCAT + "distribution", N(dist))
        typ(dist, DCAT + "Distribution")
        add(dist, DCT + "title", lit(f"{dump.label} (gzip)", lang="en"))
        add(dist, DCT + "title", lit(f"{dump.label}（gzip圧縮）", lang="ja"))
        graphs_en = "with its named graphs" if dump.keeps_graphs else "the union of all graphs"
        graphs_ja = "名前付きグラフを保持" if dump.keeps_graphs else "すべてのグラフの和"
        add(dist, DCT + "description",
            lit(f"The whole dataset as gzip-compressed {dump.label}, {graphs_en}.", lang="en"))
        add(dist, DCT + "description",
            lit(f"データセット全体をgzip圧縮した{dump.label}（{graphs_ja}）。", lang="ja"))
        file = built(state, dump)
        add(dist, DCAT + "byteSize", lit(file.size, XSD + "nonNegativeInteger"))
        checksum = N(f"{dist}-sha256")
        add(dist, SPDX + "checksum", checksum)
        typ(checksum, SPDX + "Checksum")
        add(checksum, SPDX + "algorithm", N(SPDX + "checksumAlgorithm_sha256"))
        typ(SPDX + "checksumAlgorithm_sha256", SPDX + "ChecksumAlgorithm")
        add(checksum, SPDX + "checksumValue", lit(file.sha256, XSD + "hexBinary"))
        add(dist, VOID + "triples", lit(file.statements, XSD + "integer"))
        add(dist, DCAT + "accessURL", N(where.dump(dump)))
        add(dist, DCAT + "downloadURL", N(where.dump(dump)))
        add(dist, DCAT + "mediaType", N(dump.iana_media_type))
        typ(dump.iana_media_type, DCT + "MediaType")
        add(dist, DCAT + "compressFormat", N(GZIP_MEDIA_TYPE))
        typ(GZIP_MEDIA_TYPE, DCT + "MediaType")
        add(dist, DCT + "format", N(dump.eu_format))
        typ(dump.eu_format, DCT + "MediaTypeOrExtent")
        for licence in licences:
            add(dist, DCT + "license", licence)
        add(dist, DCT + "modified", modified)

    # The SPARQL endpoint as a data service.
    service = where.service
    typ(service, DCAT + "DataService")
    add(service, DCT + "title", lit("SPARQL エンドポイント", lang="ja"))
    add(service, DCT + "title", lit("SPARQL endpoint", lang="en"))
    add(service, DCT + "description",
        lit("データセット全体に SPARQL 1.1 プロトコルで問い合わせるための"
            "読み取り専用エンドポイント。", lang="ja"))
    add(service, DCT + "description",
        lit("A read-only endpoint for querying the whole dataset with the SPARQL 1.1 Protocol.",
            lang="en"))
    add(service, DCAT + "endpointURL", N(where.sparql))
    add(service, DCAT + "endpointDescription", N(where.sparql))
    add(service, DCAT + "servesDataset", ds)
    add(service, DCT + "conformsTo", N(SPARQL_PROTOCOL))
    typ(SPARQL_PROTOCOL, DCT + "Standard")
    for prop in (DCT + "publisher", DCAT + "contactPoint", DCT + "license", DCAT + "theme",
                 DCAT + "keyword"):
        for obj in _objects(store, dataset, prop):
            add(service, prop, obj)

    # The catalogue.
    catalog = where.catalog
    typ(catalog, DCAT + "Catalog")
    for title in _dataset_titles(store, dataset):
        suffix = " データカタログ" if title.language == "ja" else " — data catalogue"
        add(catalog, DCT + "title", lit(title.value + suffix, lang=title.language))
    add(catalog, DCT + "description",
        lit("このサーバーが公開するデータセットと、その配布形式・SPARQLエンドポイントの目録。",
            lang="ja"))
    add(catalog, DCT + "description",
        lit("The dataset this server publishes, with its downloads and its SPARQL endpoint.",
            lang="en"))
    for publisher in publishers[:1]:
        add(catalog, DCT + "publisher", publisher)
    add(catalog, DCAT + "dataset", ds)
    add(catalog, DCAT + "service", N(service))
    add(catalog, FOAF + "homepage", N(where.home))
    for prop in (DCT + "language", DCT + "spatial", DCT + "issued"):
        for obj in _objects(store, dataset, prop):
            add(catalog, prop, obj)
    for licence in licences[:1]:
        add(catalog, DCT + "license", licence)
    add(catalog, DCT + "modified", modified)
    themes = EU + "data-theme"
    add(catalog, DCAT + "themeTaxonomy", N(themes))
    typ(themes, SKOS + "ConceptScheme")
    add(themes, DCT + "title", lit("Data theme", lang="en"))
    return list(dict.fromkeys(out))


def _concept(add, typ, concept: ox.Term) -> None:
    """A controlled-vocabulary concept, typed and with its own English prefLabel."""
    if not isinstance(concept, ox.NamedNode):
        return
    typ(concept, SKOS + "Concept")
    label = CONCEPT_LABELS.get(concept.value)
    if label:
        add(concept, SKOS + "prefLabel", lit(label, lang="en"))


def _agent(store: ox.Store, add, typ, agent: ox.NamedNode) -> None:
    """A publisher as DCAT-AP wants it: a foaf:Agent with a name and an ADMS type."""
    typ(agent, FOAF + "Agent")
    for label in _objects(store, agent.value, RDFS_LABEL.value):
        add(agent, RDFS_LABEL.value, label)
        add(agent, FOAF + "name", label)
    kinds = {
        PUBLISHER_TYPES[o.value]
        for o in _objects(store, agent.value, KGO + "organisationType")
        if isinstance(o, ox.NamedNode) and o.value in PUBLISHER_TYPES
    }
    for kind in sorted(kinds)[:1]:
        add(agent, DCT + "type", N(kind))
        _concept(add, typ, N(kind))


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


def _document(build: Callable[[], list[ox.Triple]], template: str, iri: str, path: str,
              **context: object) -> Response:
    """A dataset description: HTML for people, RDF (built only then) for programs.

    These addresses are for harvesters first: a request without a preference
    (``Accept: */*``) gets Turtle; browsers ask for HTML and get it.
    """
    media = rdfmedia.negotiate(html=True, prefer=rdfmedia.TURTLE)
    page = f"{request.script_root}/{path}"
    if media == rdfmedia.HTML:
        response = html_page(template, iri=iri, page=page, formats=[
            {"label": m.label, "media_type": m.media_type, "href": f"{page}?format={m.suffix}"}
            for m in rdfmedia.RDF_MEDIA
        ], **context)
    else:
        response = rdfmedia.rdf_response(build(), media)
    response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        [*rdfmedia.alternate_links(lambda m: f"{page}?format={m.suffix}",
                                   html_url=f"{page}?format=html"),
         f'<{iri}>; rel="canonical"']
    )
    return response


def _term_rows(counts: Iterable[tuple[str, int]]) -> list[dict[str, object]]:
    """Rows of the VoID page's partition tables, in the reader's language."""
    from .linkeddata import local_href

    labeller, lang = Labeller(current_state().reader()), get_lang()
    return [{"href": local_href(term), "label": labeller.label(term, lang),
             "short": compact(term), "count": n} for term, n in counts]


@bp.get(f"/{VOID_PATH}")
def void() -> Response:
    state = current_state()
    stats = dataset_stats(state)
    return _document(lambda: void_triples(state), "void.html",
                     Addresses(state.config.base).void, VOID_PATH,
                     stats=stats, view=_overview(state), class_rows=_term_rows(stats.classes),
                     property_rows=_term_rows(stats.properties))


@bp.get(f"/{CATALOG_PATH}")
def catalog() -> Response:
    state = current_state()
    return _document(lambda: dcat_triples(state), "catalog.html",
                     Addresses(state.config.base).catalog, CATALOG_PATH,
                     stats=dataset_stats(state), view=_overview(state))


# ---------------------------------------------------------------------------
# What the HTML pages show
# ---------------------------------------------------------------------------


@dataclass
class Overview:
    """The dataset in the reader's language, for the catalogue, VoID and landing pages."""

    iri: str
    href: str | None
    title: str
    description: str
    publisher: tuple[str, str] | None
    licence: dict | None
    contact: dict | None
    temporal: str | None
    spatial: tuple[str, str] | None
    keywords: list[str]
    issued: str | None
    modified: str
    dumps: list[dict]
    sparql: str


def _overview(state: AppState) -> Overview:
    from .linkeddata import local_href

    store = state.reader()
    lang = get_lang()
    labeller = Labeller(store)
    dataset = dataset_iri(state)
    where = Addresses(state.config.base)

    def text(iri: str, prop: str) -> str:
        found = pick([o for o in _objects(store, iri, prop) if isinstance(o, ox.Literal)], lang)
        return found.value if found is not None else ""

    def first(prop: str) -> str | None:
        objs = [o for o in _objects(store, dataset, prop) if isinstance(o, ox.NamedNode)]
        return objs[0].value if objs else None

    publisher = first(DCT + "publisher")
    licence = first(DCT + "license")
    contact = first(DCAT + "contactPoint")
    temporal = first(DCT + "temporal")
    spatial = first(DCT + "spatial")
    keywords = [
        o.value for o in _objects(store, dataset, DCAT + "keyword")
        if isinstance(o, ox.Literal) and o.language in (lang, None, "")
    ]
    issued = [o.value for o in _objects(store, dataset, DCT + "issued")]
    return Overview(
        iri=dataset,
        href=local_href(dataset),
        title=text(dataset, DCT + "title") or labeller.label(dataset, lang),
        description=text(dataset, DCT + "description"),
        publisher=(labeller.label(publisher, lang), local_href(publisher)) if publisher else None,
        licence={
            "label": labeller.label(licence, lang),
            "href": local_href(licence),
            "description": text(licence, DCT + "description"),
            "sources": [o.value for o in _objects(store, licence, KGO + "externalSource")],
        } if licence else None,
        contact={
            "label": labeller.label(contact, lang),
            "href": local_href(contact),
            "urls": [o.value for o in _objects(store, contact, VCARD + "hasURL")],
        } if contact else None,
        temporal=labeller.label(temporal, lang) if temporal else None,
        spatial=(labeller.label(spatial, lang), local_href(spatial)) if spatial else None,
        keywords=keywords,
        issued=issued[0] if issued else None,
        modified=data_version(state).modified.strftime("%Y-%m-%d %H:%M:%S UTC"),
        dumps=[{"label": d.label, "filename": d.filename, "href": f"{request.script_root}/{d.path}",
                "media_type": d.media_type} for d in DUMPS],
        sparql=where.sparql,
    )
