"""The named graphs as resources: ``/graph/`` and ``/graph/<area>``.

Every quad of the dumps names its graph (``<base>graph/plan``, ``<base>graph/entries``
…, one per source area, see :mod:`kgraph.sources`), and so do the answers of
``GRAPH ?g`` queries; each such name answers here.  A graph's page says what it holds
(the area's label and description in Japanese and English), its triple count, the
classes of its subjects with counts, and where to get it: the whole dataset's dumps
and the graph alone through the Graph Store Protocol (``/rdf-graph-store?graph=``).
HTML for people; for programs (``Accept``, ``?format=`` or a suffix such as
``/graph/plan.ttl``) the same as RDF: the graph is a ``void:Dataset`` and
``sd:Graph``, a ``void:subset`` of the dataset, named by an ``sd:NamedGraph``.
A name that is not a graph of the served data is 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ...iris import GRAPH_ROOT, PREFIXES
from ...messages import has, text
from ...terms import compact
from ..http.language import get_lang
from ..http.pages import html_page
from ..sparql.service_description import SD
from ..state import AppState, current_state
from . import rdfmedia
from .browse import class_path
from .catalog import VOID, Addresses, dataset_iri
from .dumps import DUMPS
from .labels import RDF_TYPE, Labeller
from .linkeddata import local_href

bp = Blueprint("graphs", __name__)

DCT = PREFIXES["dcterms"]
XSD_INTEGER = ox.NamedNode(PREFIXES["xsd"] + "integer")
GRAPH_STORE_PATH = "rdf-graph-store"


@dataclass(frozen=True)
class GraphInfo:
    """What the served data holds in one named graph."""

    iri: str
    triples: int
    subjects: int
    #: (class IRI, distinct subjects of that class), most first.
    classes: tuple[tuple[str, int], ...]

    @property
    def name(self) -> str:
        """The area: the part of the IRI after ``graph/``."""
        return self.iri.rpartition(GRAPH_ROOT)[2]


def graph_infos(state: AppState) -> dict[str, GraphInfo]:
    """Every named graph of the served data under ``<base>graph/`` (once per version)."""
    return state.per_version("graph-pages", lambda: _compute(state))


def _compute(state: AppState) -> dict[str, GraphInfo]:
    store = state.reader()
    root = state.config.base + GRAPH_ROOT
    sizes = {
        row["g"].value: (int(row["n"].value), int(row["s"].value))
        for row in store.query(
            "SELECT ?g (COUNT(*) AS ?n) (COUNT(DISTINCT ?x) AS ?s) "
            "WHERE { GRAPH ?g { ?x ?p ?o } } GROUP BY ?g")
        if isinstance(row["g"], ox.NamedNode)
    }
    classes: dict[str, list[tuple[str, int]]] = {}
    for row in store.query(
            "SELECT ?g ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?c } "
            "FILTER(isIRI(?c)) } GROUP BY ?g ?c"):
        classes.setdefault(row["g"].value, []).append((row["c"].value, int(row["n"].value)))
    return {
        iri: GraphInfo(iri, n, s, tuple(sorted(classes.get(iri, []),
                                               key=lambda c: (-c[1], c[0]))))
        for iri, (n, s) in sorted(sizes.items())
        if iri.startswith(root) and len(iri) > len(root)
    }


def graph_store_url(base: str, graph: str, fmt: str | None = None) -> str:
    """The Graph Store Protocol address of one graph (absolute, from the base)."""
    url = f"{base}{GRAPH_STORE_PATH}?graph={quote(graph, safe='')}"
    return url + (f"&format={fmt}" if fmt else "")


def area_words(info: GraphInfo, lang: str) -> tuple[str, str]:
    """The area's label and description in ``lang`` (an area the catalogue does not
    know, from ``--data`` files, is described by its name)."""
    key = f"browse.graph.{info.name}"
    if has(key + ".label"):
        return text(key + ".label", lang), text(key + ".description", lang)
    return (text("browse.graph_other.label", lang, name=info.name),
            text("browse.graph_other.description", lang, name=info.name))


# ---------------------------------------------------------------------------
# RDF
# ---------------------------------------------------------------------------


def graph_triples(state: AppState, info: GraphInfo, with_partitions: bool = True
                  ) -> list[ox.Triple]:
    """One graph described with VoID and the Service Description vocabulary."""
    g = ox.NamedNode(info.iri)
    dataset = ox.NamedNode(dataset_iri(state))
    where = Addresses(state.config.base)

    def void(local: str) -> ox.NamedNode:
        return ox.NamedNode(VOID + local)

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=XSD_INTEGER)

    named = ox.BlankNode(f"named-{info.name}")
    out = [
        ox.Triple(g, RDF_TYPE, void("Dataset")),
        ox.Triple(g, RDF_TYPE, ox.NamedNode(SD + "Graph")),
        ox.Triple(named, RDF_TYPE, ox.NamedNode(SD + "NamedGraph")),
        ox.Triple(named, ox.NamedNode(SD + "name"), g),
        ox.Triple(named, ox.NamedNode(SD + "graph"), g),
        ox.Triple(dataset, void("subset"), g),
        ox.Triple(g, ox.NamedNode(DCT + "isPartOf"), dataset),
        ox.Triple(g, void("triples"), count(info.triples)),
        ox.Triple(g, void("distinctSubjects"), count(info.subjects)),
        ox.Triple(g, void("classes"), count(len(info.classes))),
        ox.Triple(g, void("dataDump"), ox.NamedNode(graph_store_url(state.config.base,
                                                                    info.iri))),
        ox.Triple(g, void("sparqlEndpoint"), ox.NamedNode(where.sparql)),
    ]
    for lang in ("ja", "en"):
        label, description = area_words(info, lang)
        out += [ox.Triple(g, ox.NamedNode(DCT + "title"), ox.Literal(label, language=lang)),
                ox.Triple(g, ox.NamedNode(DCT + "description"),
                          ox.Literal(description, language=lang))]
    for dump in DUMPS:
        out.append(ox.Triple(dataset, void("dataDump"), ox.NamedNode(where.dump(dump))))
    if with_partitions:
        for i, (cls, n) in enumerate(info.classes):
            part = ox.BlankNode(f"class-{info.name}-{i}")
            out += [ox.Triple(g, void("classPartition"), part),
                    ox.Triple(part, void("class"), ox.NamedNode(cls)),
                    ox.Triple(part, void("entities"), count(n))]
    return out


def subset_triples(state: AppState) -> list[ox.Triple]:
    """Every graph as a subset of the dataset, without class partitions (for ``/``)."""
    out: list[ox.Triple] = []
    for info in graph_infos(state).values():
        out += graph_triples(state, info, with_partitions=False)
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


def _answer(build, template: str, canonical: str, form_url, suffix: str | None,  # type: ignore[no-untyped-def]
            **context: object) -> Response:
    """HTML or RDF by suffix, ``format`` or ``Accept``, with the headers of every form;
    ``form_url(suffix)`` is where each form is served on its own."""
    if suffix == "html":
        media: rdfmedia.RdfMedia | str = rdfmedia.HTML
    elif suffix:
        media = rdfmedia.by_suffix(suffix)  # type: ignore[assignment]
    else:
        media = rdfmedia.negotiate(html=True)
    formats = [{"label": m.label, "media_type": m.media_type, "href": form_url(m.suffix)}
               for m in rdfmedia.RDF_MEDIA]
    if media == rdfmedia.HTML:
        response = html_page(template, canonical=canonical, formats=formats, **context)
    else:
        response = rdfmedia.rdf_response(build(), media)  # type: ignore[arg-type]
    response.vary.add("Accept")
    links = rdfmedia.alternate_links(lambda m: form_url(m.suffix), html_url=form_url("html"))
    links.append(f'<{canonical}>; rel="canonical"')
    response.headers["Link"] = ", ".join(links)
    return response


def _split_suffix(name: str, known: set[str]) -> tuple[str, str | None]:
    """(graph name, suffix): ``plan.ttl`` is the graph ``plan`` as Turtle."""
    if name in known:
        return name, None
    stem, dot, suffix = name.rpartition(".")
    if dot and stem in known and (suffix == "html" or rdfmedia.by_suffix(suffix)):
        return stem, suffix
    raise NotFound()


@bp.get(f"/{GRAPH_ROOT}")
def index() -> Response:
    state = current_state()
    infos = graph_infos(state)
    if not infos:
        raise NotFound()
    lang = get_lang()
    rows = []
    for info in infos.values():
        label, description = area_words(info, lang)
        rows.append({"href": f"{request.script_root}/{GRAPH_ROOT}{info.name}", "iri": info.iri,
                     "label": label, "description": description, "triples": info.triples})
    page = f"{request.script_root}/{GRAPH_ROOT}"
    return _answer(lambda: subset_triples(state), "graphs.html",
                   state.config.base + GRAPH_ROOT, lambda fmt: f"{page}?format={fmt}", None,
                   rows=rows)


@bp.get(f"/{GRAPH_ROOT}<path:name>")
def graph(name: str) -> Response:
    state = current_state()
    base = state.config.base
    infos = graph_infos(state)
    area, suffix = _split_suffix(name, {info.name for info in infos.values()})
    info = infos[base + GRAPH_ROOT + area]
    lang = get_lang()
    labeller = Labeller(state.reader())
    label, description = area_words(info, lang)
    root = request.script_root
    classes = []
    for cls, n in info.classes:
        path, params = class_path(cls)
        query = "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params) if params else ""
        classes.append({"label": labeller.label(cls, lang), "short": compact(cls),
                        "href": local_href(cls), "list": f"{root}{path}{query}", "count": n})
    sparql = (f"SELECT ?class (COUNT(DISTINCT ?s) AS ?n)\nFROM <{info.iri}>\n"
              "WHERE { ?s a ?class }\nGROUP BY ?class\nORDER BY DESC(?n)")
    page = f"{root}/{GRAPH_ROOT}{area}"
    return _answer(
        lambda: graph_triples(state, info), "graph.html", info.iri,
        lambda fmt: f"{page}.{fmt}", suffix,
        info=info, label=label, description=description, classes=classes,
        downloads=[{"label": m.label, "media_type": m.media_type,
                    "href": f"{root}/{GRAPH_STORE_PATH}?graph={quote(info.iri, safe='')}"
                            f"&format={m.suffix}"}
                   for m in rdfmedia.RDF_MEDIA],
        dumps=[{"label": d.label, "filename": d.filename, "href": f"{root}/{d.path}",
                "keeps_graphs": d.keeps_graphs} for d in DUMPS],
        query_href=f"{root}/query?query={quote(sparql, safe='')}",
    )
