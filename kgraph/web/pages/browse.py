"""Browsing without SPARQL: paged lists of the resources, by address and by class.

Every directory of the URI space is a list (``/id/``, ``/id/org/``,
``/id/plan/kawasaki-2022/entry/`` …): its members are the resources one path segment
below it, then the lists one segment below it.  A directory no
resource lies under names no list (404).  Every class the data uses has a list of
its instances at ``/class/<prefix>:<Name>`` (``/class/kgo:PlanEntry``; a class no
declared prefix covers: ``/class/?iri=<IRI>``), and ``/class/`` lists the classes.

Each list is HTML for people, with labels in the reader's language (the one label
policy), and RDF for programs (content negotiation, or ``?format=``): a
``hydra:Collection`` with ``hydra:totalItems``, the members of the page asked for
(``hydra:member``, with their labels) and a ``hydra:PartialCollectionView`` with
``hydra:first``/``previous``/``next``/``last`` (why Hydra and not VoID subsets:
``docs/linked-data.md``).  Pages hold :data:`PAGE_SIZE` members: ``?page=N``; a page
number that is not a whole number from 1 is 400, one past the end 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ...iris import INSTANCE_ROOT, KGO, PREFIXES
from ...messages import Group, has, text
from ...terms import compact
from ..http.errors import ApiError
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import AppState, current_state
from . import rdfmedia
from .catalog import dataset_stats
from .labels import LABEL_PROPERTIES, RDF_TYPE, RDFS_LABEL, Labeller, pick
from .linkeddata import local_href

bp = Blueprint("browse", __name__)

MSG = Group("browse")
#: Members shown on one page of a list.
PAGE_SIZE = 50
#: Where the class lists live, relative to the base.
CLASS_ROOT = "class/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
#: Longest ``page`` value repeated back in an error.
ECHO = 40
_PAGE = re.compile(r"[1-9][0-9]{0,8}")


@bp.app_context_processor
def _words() -> dict[str, object]:
    """``b(key)`` in every template: the ``browse.*`` words in the reader's language."""
    return {"b": words}


def words(key: str, **values: object) -> str:
    """The ``browse.key`` message in the reader's language."""
    return text(f"browse.{key}", get_lang(), **values)


def N(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def H(local: str) -> ox.NamedNode:
    return ox.NamedNode(HYDRA + local)


def natural_key(iri: str) -> tuple:
    """``…/policy/9`` before ``…/policy/10``, ``entry/001`` before ``entry/038``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", iri))


# ---------------------------------------------------------------------------
# The lists of the URI space (computed once per data version)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """The directories of the URI space: path (relative to the base, ending in ``/``)
    to its members, absolute IRIs: resources first, then sub-lists (ending in ``/``)."""

    members: dict[str, tuple[str, ...]]
    resources: frozenset[str]


def tree(state: AppState) -> Tree:
    base = state.config.base
    return state.per_version(
        "browse-tree", lambda: build_tree(base, dataset_stats(state).resources))


def build_tree(base: str, resources: tuple[str, ...] | list[str]) -> Tree:
    """Every directory above a resource of the URI space, with its direct members."""
    direct: dict[str, set[str]] = {}
    subs: dict[str, set[str]] = {}
    for iri in resources:
        rel = iri[len(base):]
        if not rel.startswith(INSTANCE_ROOT) or rel == INSTANCE_ROOT:
            continue
        stem = rel[:-1] if rel.endswith("/") else rel
        folder = stem.rpartition("/")[0] + "/"
        direct.setdefault(folder, set()).add(iri)
        while folder != INSTANCE_ROOT and len(folder) > len(INSTANCE_ROOT):
            parent = folder[:-1].rpartition("/")[0] + "/"
            subs.setdefault(parent, set()).add(base + folder)
            folder = parent
    members = {
        folder: tuple(sorted(direct.get(folder, ()), key=natural_key))
        + tuple(sorted(subs.get(folder, ()), key=natural_key))
        for folder in {*direct, *subs}
    }
    return Tree(members, frozenset(resources))


# ---------------------------------------------------------------------------
# One list, and one page of it
# ---------------------------------------------------------------------------


@dataclass
class Listing:
    """A list as both forms show it."""

    #: The collection's IRI (absolute).
    iri: str
    #: Where it is served (path without the script root) and its fixed query parameters.
    path: str
    params: list[tuple[str, str]]
    #: Title in each language.
    titles: dict[str, str]
    members: tuple[str, ...]
    #: The class whose instances these are (a class list), else ``None``.
    cls: str | None = None
    #: The resource this list hangs off (``…/entry/`` under the plan), else ``None``.
    parent: str | None = None
    #: Number of members of each member that is itself a list.
    counts: dict[str, int] = field(default_factory=dict)

    def url(self, page: int | None = None, fmt: str | None = None, absolute: bool = False) -> str:
        params = list(self.params)
        if fmt:
            params.append(("format", fmt))
        if page is not None:
            params.append(("page", str(page)))
        query = f"?{urlencode(params)}" if params else ""
        if absolute:
            return current_state().config.base + self.path.lstrip("/") + query
        return f"{request.script_root}{self.path}{query}"


def container(rel: str) -> Listing:
    """The list of the URI-space directory ``rel`` (after ``id/``; ``""`` is ``/id/``)."""
    state = current_state()
    base = state.config.base
    folder = INSTANCE_ROOT + rel
    known = tree(state)
    members = known.members.get(folder)
    if not members:
        raise NotFound()
    counts = {m: len(known.members.get(m[len(base):], ())) for m in members if m.endswith("/")}
    parent = base + folder[:-1]
    return Listing(
        iri=base + folder, path="/" + folder, params=[],
        titles={lang: folder_title(folder, lang) for lang in ("ja", "en")},
        members=members, parent=parent if parent in known.resources else None, counts=counts,
    )


def folder_title(folder: str, lang: str) -> str:
    """``id/org/`` is 「組織」 / "Organisations"; a directory named after no known
    kind is named after the resource it hangs off, else after its path."""
    if folder == INSTANCE_ROOT:
        return text("browse.kind.root", lang)
    key = f"browse.kind.{folder[:-1].rpartition('/')[2]}"
    if has(key):
        return text(key, lang)
    state = current_state()
    parent = state.config.base + folder[:-1]
    if parent in tree(state).resources:
        name = Labeller(state.reader()).label(parent, lang)
        return text("browse.under", lang, name=name)
    return text("browse.under", lang, name="/" + folder)


def class_path(cls: str) -> tuple[str, list[tuple[str, str]]]:
    """Where a class's list is served: ``/class/kgo:PlanEntry``, else ``/class/?iri=``."""
    name = compact(cls)
    if name.startswith("<"):
        return "/" + CLASS_ROOT, [("iri", cls)]
    return "/" + CLASS_ROOT + name, []


def class_iri_of(name: str) -> str | None:
    """The class a ``/class/<prefix>:<Name>`` path names, if the prefix is declared."""
    prefix, colon, local = name.partition(":")
    if not colon or prefix not in PREFIXES or not local:
        return None
    return PREFIXES[prefix] + local


def class_listing(cls: str) -> Listing:
    """The instances of ``cls`` (IRIs only; blank nodes cannot be linked)."""
    state = current_state()
    counts = dict(dataset_stats(state).classes)
    if cls not in counts:
        raise NotFound()
    store = state.reader()
    members = tuple(sorted(
        {q.subject.value for q in store.quads_for_pattern(None, RDF_TYPE, N(cls))
         if isinstance(q.subject, ox.NamedNode)},
        key=natural_key,
    ))
    if not members:
        raise NotFound()
    path, params = class_path(cls)
    labeller = Labeller(store)
    return Listing(
        iri=state.config.base + path.lstrip("/") + (f"?{urlencode(params)}" if params else ""),
        path=path, params=params,
        titles={lang: text("browse.class_title", lang, name=labeller.label(cls, lang))
                for lang in ("ja", "en")},
        members=members, cls=cls,
    )


def class_index() -> Listing:
    """Every class the data uses, as a list of class lists (most instances first)."""
    state = current_state()
    base = state.config.base
    members, counts = [], {}
    for cls, n in dataset_stats(state).classes:
        path, params = class_path(cls)
        iri = base + path.lstrip("/") + (f"?{urlencode(params)}" if params else "")
        members.append(iri)
        counts[iri] = n
    return Listing(
        iri=base + CLASS_ROOT, path="/" + CLASS_ROOT, params=[],
        titles={lang: text("browse.classes", lang) for lang in ("ja", "en")},
        members=tuple(members), counts=counts,
    )


def page_number(pages: int) -> int:
    """The ``page`` asked for: 400 unless a whole number from 1, 404 past the end."""
    values = request.args.getlist("page")
    if len(values) > 1:
        raise ApiError(400, MSG["page_repeated"])
    if not values:
        return 1
    raw = values[0]
    if not _PAGE.fullmatch(raw):
        shown = raw if len(raw) <= ECHO else raw[:ECHO] + "…"
        raise ApiError(400, MSG["bad_page"].format(value=repr(shown)))
    page = int(raw)
    if page > pages:
        raise ApiError(404, MSG["past_end"].format(page=page, pages=pages))
    return page


# ---------------------------------------------------------------------------
# The two forms
# ---------------------------------------------------------------------------


def respond(listing: Listing) -> Response:
    """One page of a list, as HTML or RDF (``Vary: Accept``)."""
    pages = max(1, -(-len(listing.members) // PAGE_SIZE))
    page = page_number(pages)
    media = rdfmedia.negotiate(html=True)
    chunk = listing.members[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    store = current_state().reader()
    if media == rdfmedia.HTML:
        response = html_page(
            "browse.html", listing=listing, title=listing.titles[get_lang()],
            rows=_rows(store, listing, chunk), page=page, pages=pages,
            first=(page - 1) * PAGE_SIZE + 1, last=(page - 1) * PAGE_SIZE + len(chunk),
            total=len(listing.members), nav=_nav(listing, page, pages),
            parent=_parent(store, listing), cls=_class_link(store, listing),
            canonical=_canonical(listing, page),
            formats=[{"label": m.label, "media_type": m.media_type,
                      "href": listing.url(page if page > 1 else None, m.suffix)}
                     for m in rdfmedia.RDF_MEDIA],
        )
    else:
        response = rdfmedia.rdf_response(
            collection_triples(store, listing, chunk, page, pages), media)
    response.vary.add("Accept")
    links = rdfmedia.alternate_links(
        lambda m: listing.url(page if page > 1 else None, m.suffix),
        html_url=listing.url(page if page > 1 else None, "html"))
    links.append(f'<{_canonical(listing, page)}>; rel="canonical"')
    for rel, number in _nav(listing, page, pages).items():
        if rel in ("prev", "next"):
            links.append(f'<{listing.url(number)}>; rel="{rel}"')
    response.headers["Link"] = ", ".join(links)
    return response


def _canonical(listing: Listing, page: int) -> str:
    return listing.iri if page == 1 else listing.url(page, absolute=True)


def _nav(listing: Listing, page: int, pages: int) -> dict[str, int]:
    """Neighbouring pages by their ``rel`` (first, prev, next, last)."""
    nav = {"first": 1}
    if page > 1:
        nav["prev"] = page - 1
    if page < pages:
        nav["next"] = page + 1
    nav["last"] = pages
    return nav


def _rows(store, listing: Listing, chunk: tuple[str, ...]) -> list[dict]:  # type: ignore[no-untyped-def]
    """What the HTML table shows of each member, in the reader's language."""
    lang = get_lang()
    labeller = Labeller(store)
    base = current_state().config.base
    rows = []
    for iri in chunk:
        if iri in listing.counts:  # a list: a sub-directory or a class list
            cls = _listed_class(iri, base)
            rows.append({
                "href": _local(iri, base),
                "label": labeller.label(cls, lang) if cls else folder_title(iri[len(base):], lang),
                "lang": None, "kind": compact(cls) if cls else iri[len(base):],
                "count": listing.counts[iri], "iri": iri,
            })
            continue
        literal = _best_label(labeller, iri, lang)
        types = sorted({q.object.value for q in store.quads_for_pattern(N(iri), RDF_TYPE, None)
                        if isinstance(q.object, ox.NamedNode)})
        rows.append({
            "href": local_href(iri),
            "label": literal.value if literal is not None else labeller.label(iri, lang),
            "lang": literal.language if literal is not None else None,
            "kind": ", ".join(labeller.label(t, lang) for t in types) or None,
            "count": None, "iri": iri,
        })
    return rows


def _best_label(labeller: Labeller, iri: str, lang: str) -> ox.Literal | None:
    return pick(labeller.literals(iri), lang)


def _listed_class(iri: str, base: str) -> str | None:
    """The class a class-list IRI names (``None`` for a directory)."""
    rel = iri[len(base):]
    if not rel.startswith(CLASS_ROOT):
        return None
    rest = rel[len(CLASS_ROOT):]
    if rest.startswith("?"):
        from urllib.parse import parse_qs

        found = parse_qs(rest[1:]).get("iri")
        return found[0] if found else None
    return class_iri_of(rest)


def _local(iri: str, base: str) -> str:
    return request.script_root + "/" + iri[len(base):]


def _parent(store, listing: Listing) -> dict | None:  # type: ignore[no-untyped-def]
    if listing.parent is None:
        return None
    return {"href": local_href(listing.parent),
            "label": Labeller(store).label(listing.parent, get_lang())}


def _class_link(store, listing: Listing) -> dict | None:  # type: ignore[no-untyped-def]
    if listing.cls is None:
        return None
    return {"href": local_href(listing.cls), "short": compact(listing.cls),
            "label": Labeller(store).label(listing.cls, get_lang())}


def collection_triples(store, listing: Listing, chunk: tuple[str, ...], page: int,  # type: ignore[no-untyped-def]
                       pages: int) -> list[ox.Triple]:
    """The page as a ``hydra:Collection`` with a ``hydra:PartialCollectionView``."""
    coll = N(listing.iri)
    view = N(listing.url(page, absolute=True))
    xsd_integer = N(PREFIXES["xsd"] + "integer")
    out = [
        ox.Triple(coll, RDF_TYPE, H("Collection")),
        ox.Triple(coll, H("totalItems"), ox.Literal(str(len(listing.members)),
                                                    datatype=xsd_integer)),
        ox.Triple(coll, H("view"), view),
        ox.Triple(view, RDF_TYPE, H("PartialCollectionView")),
    ]
    out += [ox.Triple(coll, RDFS_LABEL, ox.Literal(title, language=lang))
            for lang, title in listing.titles.items()]
    if listing.cls is not None:
        assertion = ox.BlankNode("memberAssertion")
        out += [ox.Triple(coll, H("memberAssertion"), assertion),
                ox.Triple(assertion, H("property"), RDF_TYPE),
                ox.Triple(assertion, H("object"), N(listing.cls))]
    if listing.parent is not None:
        out.append(ox.Triple(N(listing.parent), H("collection"), coll))
    for rel, number in _nav(listing, page, pages).items():
        prop = {"prev": "previous"}.get(rel, rel)
        out.append(ox.Triple(view, H(prop), N(listing.url(number, absolute=True))))
    base = current_state().config.base
    for iri in chunk:
        member = N(iri)
        out.append(ox.Triple(coll, H("member"), member))
        if iri in listing.counts:
            out += [ox.Triple(member, RDF_TYPE, H("Collection")),
                    ox.Triple(member, H("totalItems"),
                              ox.Literal(str(listing.counts[iri]), datatype=xsd_integer))]
            cls = _listed_class(iri, base)
            out += [ox.Triple(member, RDFS_LABEL, ox.Literal(title, language=lang))
                    for lang, title in _list_titles(store, iri, cls, base).items()]
            if cls is not None:
                assertion = ox.BlankNode(f"memberAssertion{len(out)}")
                out += [ox.Triple(member, H("memberAssertion"), assertion),
                        ox.Triple(assertion, H("property"), RDF_TYPE),
                        ox.Triple(assertion, H("object"), N(cls))]
            continue
        for prop in LABEL_PROPERTIES:
            out += [q.triple for q in store.quads_for_pattern(member, prop, None)
                     if isinstance(q.object, ox.Literal)]
    return list(dict.fromkeys(out))


def _list_titles(store, iri: str, cls: str | None, base: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if cls is None:
        return {lang: folder_title(iri[len(base):], lang) for lang in ("ja", "en")}
    labeller = Labeller(store)
    return {lang: text("browse.class_title", lang, name=labeller.label(cls, lang))
            for lang in ("ja", "en")}


# ---------------------------------------------------------------------------
# Routes (directories below /id/ are dispatched here by the resource route)
# ---------------------------------------------------------------------------


@bp.get(f"/{INSTANCE_ROOT}")
def root() -> Response:
    return respond(container(""))


def directory(rel: str) -> Response:
    """``/id/<rel>`` where ``rel`` ends in ``/`` and names no resource."""
    return respond(container(rel))


@bp.get(f"/{CLASS_ROOT}")
def classes() -> Response:
    iri = request.args.get("iri")
    if iri is not None:
        return respond(class_listing(iri))
    return respond(class_index())


@bp.get(f"/{CLASS_ROOT}<path:name>")
def class_page(name: str) -> Response:
    cls = class_iri_of(name)
    if cls is None:
        raise NotFound()
    return respond(class_listing(cls))


# ---------------------------------------------------------------------------
# What other pages show of the lists
# ---------------------------------------------------------------------------


def home_lists(lang: str) -> list[dict]:
    """The lists the home page starts from: each directory right below ``/id/`` and
    the directories of each plan (its entries, policies …)."""
    state = current_state()
    base = state.config.base
    members = tree(state).members
    wanted = [m for m in members.get(INSTANCE_ROOT, ()) if m.endswith("/")]
    plans = sorted(q.subject.value for q in state.reader().quads_for_pattern(
        None, RDF_TYPE, N(KGO + "ClimateActionPlan")) if isinstance(q.subject, ox.NamedNode))
    for plan in plans:
        if plan.startswith(base):
            wanted += [m for m in members.get(plan[len(base):] + "/", ()) if m.endswith("/")]
    return [{"href": _local(iri, base), "label": folder_title(iri[len(base):], lang),
             "path": "/" + iri[len(base):], "count": len(members.get(iri[len(base):], ()))}
            for iri in dict.fromkeys(wanted)]


def list_of(iri: str) -> dict | None:
    """The list a resource is a member of (for its page): href and title."""
    state = current_state()
    base = state.config.base
    if not iri.startswith(base + INSTANCE_ROOT):
        return None
    folder = iri[len(base):].rstrip("/").rpartition("/")[0] + "/"
    if folder not in tree(state).members:
        return None
    return {"href": _local(base + folder, base), "label": folder_title(folder, get_lang())}
