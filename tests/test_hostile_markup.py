"""Markup and script in the data and in requests are shown as text, never run.

The server serves the shipped data plus ``tests/hostile/uploads/script-in-literal.ttl``
(labels and comments holding ``<script>``, an ``onerror`` image, a ``</script>`` meant
to end a JSON-LD block, template syntax, a ``javascript:`` IRI).  Every page that
shows that resource, and every page that echoes a request parameter or path, is
parsed as a browser would and must contain nothing that could act
(:func:`support.markup.assert_no_active_markup`).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from support.hostile import CORPUS
from support.markup import assert_no_active_markup
from support.server import ROOT, running_server

pytestmark = pytest.mark.server

MARKUP_FILE = CORPUS / "uploads" / "script-in-literal.ttl"
SCRIPT = "<script>alert(1)</script>"
ECHOES = [
    "/id/hostile/markup",
    "/id/hostile/markup?lang=en",
    "/id/hostile/markup.html",
    "/search?q=" + quote(SCRIPT),
    "/search?q=alert",
    "/query?query=" + quote("</textarea>" + SCRIPT),
    "/query?query=" + quote("<!--<script>") + "&lang=en",
    "/?lang=" + quote(SCRIPT),
    "/id/" + quote(SCRIPT),
    "/id/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/no/such/page/" + quote('"><svg onload=alert(1)>'),
    "/validation",
    "/plan",
    "/catalog",
    "/ontology",
]


@pytest.fixture(scope="module")
def server():
    files = [str(p) for p in sorted((ROOT / "ontology").glob("*.ttl"))]
    files += [str(p) for p in sorted((ROOT / "data").glob("*.ttl"))]
    with running_server("--data", *files, str(MARKUP_FILE)) as url:
        yield url


@pytest.mark.parametrize("path", ECHOES)
def test_pages_show_markup_as_text(server, path):
    response = requests.get(server + path.lstrip("/"), headers={"Accept": "text/html"},
                            timeout=60)
    assert response.status_code < 500, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    assert_no_active_markup(response.text)


def test_the_markup_is_there_as_text(server):
    """The literals are shown (escaped), not dropped."""
    page = requests.get(server + "id/hostile/markup", headers={"Accept": "text/html"},
                        timeout=60).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def test_rdf_answers_keep_the_literal_exact(server):
    turtle = requests.get(server + "id/hostile/markup.ttl", timeout=60)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert SCRIPT in turtle.text
    assert turtle.headers["X-Content-Type-Options"] == "nosniff"

