"""The published JSON-LD context: ``/ontology/context/VERSION.jsonld``.

``/ontology/context/1.1.0.jsonld`` is the context of ontology version 1.1.0 (made
from the served ontology and the project's prefixes, :mod:`kgraph.web.pages.jsonld`);
``/ontology/context.jsonld`` redirects to the current version's.  Both are served as
``application/ld+json; profile="http://www.w3.org/ns/json-ld#context"`` with
``Access-Control-Allow-Origin: *``, so that a JSON-LD processor in a browser (the
JSON-LD Playground, Comunica) may load them.  The context is made once per data
version and kept by the app state, with pyld's processed form cached under its hash.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request
from werkzeug.exceptions import NotFound

from ...iris import ONTOLOGY_VERSION
from ..state import current_state
from . import jsonld
from .ontology_docs import ontology_triples

bp = Blueprint("jsonld_context", __name__)

SCHEMA_POSITION = ox.NamedNode(jsonld.SCHEMA_POSITION)


def current_context() -> jsonld.Context:
    """The context of the served ontology (made once per data version)."""
    state = current_state()
    return state.per_version(
        "jsonld-context", lambda: jsonld.Context.make(ontology_triples(state), state.config.base))


def position_of(iri: str) -> int | None:
    """A node's ``schema:position`` in the served data (how framing orders nested nodes)."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return None
    for quad in current_state().reader().quads_for_pattern(node, SCHEMA_POSITION, None):
        if isinstance(quad.object, ox.Literal):
            try:
                return int(quad.object.value)
            except ValueError:
                continue
    return None


@bp.get("/ontology/context/<version>.jsonld")
def context(version: str) -> Response:
    if version != ONTOLOGY_VERSION:
        raise NotFound()
    response = Response(current_context().text)
    response.headers["Content-Type"] = (
        f'application/ld+json; profile="{jsonld.CONTEXT}"; charset=utf-8')
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/ontology/context.jsonld")
def current() -> Response:
    """The current version's context (a redirect: the versioned URL is the stable one)."""
    target = f"{request.script_root}/" + jsonld.CONTEXT_PATH.format(version=ONTOLOGY_VERSION)
    response = redirect(target, code=302)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
