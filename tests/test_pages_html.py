"""Pages are valid HTML5, follow the reader's language and show data as text.

* Every resource page of the shipped data, in Japanese and in English, parses with
  html5lib's strict parser; its title and heading are the resource's label in that
  language, and its property names are the ontology's labels in that language.
* The other pages (landing, catalogue, VoID, ontology, shapes, downloads, 404, the
  lists, the named graphs, the query page at ``/sparql``) too.
* A literal containing ``<script>`` (fixture) is rendered as text, and the embedded
  JSON-LD cannot be closed by it.
* The language switch sticks (query parameter, then cookie); pages run no script.
"""

from __future__ import annotations

import html5lib
import pyoxigraph as ox
import pytest
from linkeddata_support import fixture_app

from kgraph.config import Config
from kgraph.labels import best, ordered
from kgraph.web import create_app
from kgraph.web.pages.catalog import dataset_stats

BASE = "http://localhost:8000/"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
KGO = "https://w3id.org/kgraph/ontology#"
NS = "{http://www.w3.org/1999/xhtml}"


def parse(data: bytes):
    """The page as an element tree; raises on any HTML5 parse error."""
    return html5lib.HTMLParser(strict=True).parse(data)


def text(element) -> str:
    return "".join(element.itertext()).strip()


@pytest.fixture(scope="module")
def real_app():
    """The app on the shipped data (validated as at server start)."""
    return create_app(Config(base=BASE, cache_dir=Config.from_env().cache_dir))


@pytest.fixture(scope="module")
def resources(real_app) -> list[str]:
    with real_app.test_request_context():
        return list(dataset_stats(real_app.extensions["kgraph"]).resources)


def labels(app, iri: str) -> dict[str, str]:
    """The label the one label policy (kgraph.labels) shows, per language the data has."""
    store = app.extensions["kgraph"].reader()
    found = ordered((q.predicate.value, q.object)
                    for q in store.quads_for_pattern(ox.NamedNode(iri), None, None)
                    if isinstance(q.object, ox.Literal))
    return {lit.language: best(found, lit.language).value for lit in found if lit.language}


# ---------------------------------------------------------------------------
# Every resource page, both languages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_resource_page_is_valid_html5_in_the_readers_language(real_app, resources, lang):
    client = real_app.test_client()
    assert len(resources) > 100
    for iri in resources:
        response = client.get(iri[len(BASE) - 1:], headers={
            "Accept": "text/html", "Accept-Language": f"{lang},xx;q=0.5"})
        assert response.status_code == 200, iri
        document = parse(response.data)
        assert document.get("lang") == lang
        assert response.headers["Content-Language"] == lang
        wanted = labels(real_app, iri).get(lang)
        if wanted:
            h1 = document.find(f".//{NS}h1")
            assert text(h1) == wanted, iri
            assert h1.get("lang") == lang
            assert text(document.find(f".//{NS}title")).startswith(wanted)


def test_property_names_are_the_ontology_labels(real_app):
    client = real_app.test_client()
    path = "/id/plan/kawasaki-2022/entry/058"
    expected = (("ja", "事業概要", "事業内容"), ("en", "overview", "activity"))
    for lang, overview, activity in expected:
        document = parse(client.get(path, headers={"Accept-Language": lang}).data)
        names = [text(th) for th in document.iter(f"{NS}th") if th.get("scope") == "row"]
        assert overview in names and activity in names


PAGES = ["/", "/catalog", "/.well-known/void", "/ontology", "/shapes", "/dumps/",
         "/id/no-such-thing", "/not-a-page", "/id/", "/id/org/",
         "/id/plan/kawasaki-2022/entry/", "/class/", "/class/kgo:PlanEntry", "/graph/",
         "/graph/entries", "/sparql"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_other_pages_are_valid_html5(real_app, path, lang):
    response = real_app.test_client().get(path, headers={"Accept": "text/html",
                                                         "Accept-Language": lang})
    assert response.status_code in (200, 404)
    assert response.mimetype == "text/html"
    document = parse(response.data)
    assert document.get("lang") == lang


# ---------------------------------------------------------------------------
# Data is text
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_client():
    return fixture_app().test_client()


def test_a_literal_with_markup_is_rendered_as_text(fixture_client):
    response = fixture_client.get("/id/plan/kawasaki-2022/entry/055",
                                  headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; an overview" in html
    document = parse(response.data)
    scripts = list(document.iter(f"{NS}script"))
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    shown = [text(span) for span in document.iter(f"{NS}span")]
    assert "<script>alert('x')</script> & an overview with markup" in shown
    # The JSON-LD holds the same text, escaped so that it cannot end the script element.
    assert "</script" not in scripts[0].text
    assert "\\u003cscript\\u003ealert" in scripts[0].text


def test_source_passage_is_shown_escaped_in_pre(fixture_client):
    document = parse(fixture_client.get("/id/plan/kawasaki-2022/entry/055").data)
    pre = [text(p) for p in document.iter(f"{NS}pre")]
    assert any('<ul style="list-style-type: none"> ●「川崎水素戦略」</ul>' in p for p in pre)


def test_ordered_lists_follow_schema_position(fixture_client):
    document = parse(fixture_client.get("/id/plan/kawasaki-2022/entry/055",
                                        headers={"Accept-Language": "en"}).data)
    lists = [ol for ol in document.iter(f"{NS}ol") if "values" in (ol.get("class") or "")]
    assert len(lists) == 1
    items = [text(li.find(f"{NS}a")) for li in lists[0].findall(f"{NS}li")]
    assert items == ["Work under the Kawasaki Hydrogen Strategy",
                     "Supply of and demand for CO2-free hydrogen", "Tenth activity"]
    sub = lists[0].find(f"{NS}li").find(f"{NS}ol")
    assert [text(li) for li in sub.findall(f"{NS}li")] == ["First sub-item", "Second sub-item"]


def test_referred_to_by_section(fixture_client):
    html = fixture_client.get("/id/plan/kawasaki-2022/entry/055/activity/1",
                              headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = html[html.index('id="h-referred"'):]
    assert 'href="/id/plan/kawasaki-2022/entry/055"' in section
    assert ">activity</a>" in section  # the property, with its ontology label


# ---------------------------------------------------------------------------
# Language switch, no script
# ---------------------------------------------------------------------------


def test_language_switch_sticks():
    client = fixture_app().test_client()
    path = "/id/plan/kawasaki-2022"
    assert parse(client.get(path, headers={"Accept-Language": "ja"}).data).get("lang") == "ja"
    switched = client.get(path + "?lang=en", headers={"Accept-Language": "ja"})
    assert parse(switched.data).get("lang") == "en"
    assert "lang=en" in switched.headers["Set-Cookie"]
    # The cookie now wins over Accept-Language, on any page.
    later = client.get("/catalog", headers={"Accept-Language": "ja", "Accept": "text/html"})
    assert parse(later.data).get("lang") == "en"
    back = client.get(path + "?lang=ja")
    assert parse(back.data).get("lang") == "ja"
    html = back.get_data(as_text=True)
    assert 'href="?lang=en"' in html  # this same page, whatever its path


def test_language_switch_never_leaves_the_page():
    """A path that a browser would read as another host (``/\\evil.example``) does not
    reach the switch's link: the link is a query-only reference (finding 8)."""
    client = fixture_app().test_client()
    for path in ("/\\evil.example/x", "//evil.example/x", "/%5Cevil.example"):
        html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        links = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
        assert not [link for link in links if "evil.example" in link]


def test_pages_run_no_script_and_send_a_strict_csp(fixture_client):
    for path in ("/", "/id/plan/kawasaki-2022/entry/055", "/catalog", "/ontology"):
        response = fixture_client.get(path, headers={"Accept": "text/html"})
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        document = parse(response.data)
        for element in document.iter():
            if element.tag == f"{NS}script":
                assert element.get("type") == "application/ld+json"
            assert element.tag != f"{NS}style"
            assert not [a for a in element.attrib if a == "style" or a.startswith("on")]
