"""``/query``: write and run SPARQL in the browser, with the example catalogue beside it.

The page is served as HTML with its own script (``static/js/query-page.js``, no
inline script: the CSP has no ``'unsafe-inline'``).  The script sends the query to the
SPARQL endpoint (``/sparql``), draws the results table with links to the resource
pages and their labels, and offers CSV / TSV / JSON downloads.  When the YASQE editor
has been installed (``python -m kgraph.web.pages.assets install``) it gives SPARQL syntax
highlighting; whether it is there is checked on every request, and without it the
page is a plain text box driven by the same script.

``/query?query=…`` opens the page with a query (the shareable link), and
``/query?example=NAME`` with an example from ``queries/``.

``/sparql`` opened by a browser (``Accept`` preferring ``text/html``, no query) shows
this page too, as Fuseki and Oxigraph do; programs asking for RDF there still get
the Service Description (:func:`wants_endpoint_page`).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import NotFound

from ...examples import Example, ExampleError, find_example, load_examples
from ...iris import INSTANCE_ROOT, KGO, KGS, ONTOLOGY_IRI, PREFIXES, SHAPES_IRI
from ..http import conneg
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import current_state
from . import assets
from .frontdoor_i18n import script_messages

bp = Blueprint("query_page", __name__)

#: Where the page sends queries (the SPARQL protocol blueprint's route).
ENDPOINT_PATH = "/sparql"
#: The example the page opens with when no query is given.
DEFAULT_EXAMPLE = "01-plan-structure"
MAX_QUERY_PARAM = 20_000


@bp.get("/query")
def query_page() -> Response:
    examples = load_examples()
    text, current = _initial_query(examples)
    state = current_state()
    vendor = assets.vendor_dir(state.config)
    editor = assets.editor_installed(vendor)
    lang = get_lang()
    root = request.script_root
    config = {
        "endpoint": root + ENDPOINT_PATH,
        "base": state.config.base,
        "root": root,
        "instanceRoot": INSTANCE_ROOT,
        "lang": lang,
        "prefixes": PREFIXES,
        "localNamespaces": {
            KGO: root + "/ontology#",
            ONTOLOGY_IRI: root + "/ontology",
            KGS: root + "/shapes#",
            SHAPES_IRI: root + "/shapes",
        },
        "pageUrl": root + "/query",
        "editor": "yasqe" if editor else "plain",
        "examples": {e.name: e.text for e in examples},
        "messages": script_messages(lang),
    }
    return html_page(
        "frontdoor/query.html",
        query_text=text,
        examples=examples,
        current=current,
        editor=editor,
        editor_css=url_for("assets.vendor", filename=assets.EDITOR_CSS.target) if editor else None,
        editor_js=url_for("assets.vendor", filename=assets.EDITOR_JS.target) if editor else None,
        config_json=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
        prefixes=PREFIXES,
        endpoint=root + ENDPOINT_PATH,
    )


def wants_endpoint_page() -> bool:
    """Whether a request to the endpoint without a query is a person's browser.

    ``?format=html`` says so; otherwise ``Accept`` must prefer HTML to every RDF form
    (``*/*`` or no ``Accept`` is a program: it gets the Service Description).
    """
    fmt = request.args.get("format")
    if fmt:
        return fmt.strip().lower() in ("html", conneg.HTML)
    if not request.accept_mimetypes:
        return False
    try:
        return conneg.choose(request.accept_mimetypes, [*conneg.RDF_TYPES, conneg.HTML]) \
            == conneg.HTML
    except conneg.NotAcceptable:
        return False


def endpoint_page() -> Response:
    """The query page, answered at the endpoint's own address (``Vary: Accept``)."""
    response = query_page()
    response.vary.add("Accept")
    response.headers["Link"] = f'<{request.script_root}/query>; rel="alternate"; type="text/html"'
    return response


def _initial_query(examples: list[Example]) -> tuple[str, str | None]:
    """The editor's text: ``?query=``, else ``?example=``, else the first example."""
    text = request.args.get("query")
    if text is not None:
        return text[:MAX_QUERY_PARAM], None
    name = request.args.get("example") or DEFAULT_EXAMPLE
    try:
        example = find_example(name)
    except KeyError:
        raise NotFound(f"no example called {name!r}") from None
    except ExampleError:  # pragma: no cover - the catalogue's own tests catch this
        raise
    return example.text, example.name


@bp.get("/query/examples.json")
def examples_json() -> Response:
    """The catalogue as JSON (titles and descriptions in both languages, and the text)."""
    body = json.dumps([e.as_json() for e in load_examples()], ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json")
