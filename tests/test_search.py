"""Keyword search: the index and ranking (on small stores made here), and ``/search`` on
the shipped data through Flask's test client (HTML and JSON)."""

from __future__ import annotations

import json

import html5lib
import pyoxigraph as ox
import pytest

from kgraph.config import Config
from kgraph.dataset import parse_sources
from kgraph.iris import KGO, PREFIXES
from kgraph.search import SearchIndex, normalise, terms_of
from kgraph.sources import shipped_sources
from kgraph.web import create_app
from kgraph.web.state import AppState

BASE = "http://kgraph.test/"
LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
OVERVIEW = ox.NamedNode(KGO + "overview")
VALUE = ox.NamedNode(PREFIXES["prov"] + "value")
TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + "id/" + name)


def ja(text: str) -> ox.Literal:
    return ox.Literal(text, language="ja")


def small_store() -> ox.Store:
    """Four resources that all contain 水素 somewhere, and one that does not."""
    store = ox.Store()
    quads = [
        (node("text-only"), OVERVIEW, ox.Literal("水素社会の実現に向けた取組", language="ja")),
        (node("raw-only"), VALUE, ox.Literal("055\t水素戦略・カーボン…")),
        (node("label-inside"), LABEL, ox.Literal("川崎水素戦略", language="ja")),
        (node("label-exact"), LABEL, ox.Literal("水素", language="ja")),
        (node("label-exact"), LABEL, ox.Literal("Hydrogen", language="en")),
        (node("other"), LABEL, ox.Literal("港湾計画策定事業", language="ja")),
        (node("other"), OVERVIEW, ox.Literal("ＣＯ２排出量の削減", language="ja")),
        (node("entry"), TYPE, ox.NamedNode(KGO + "PlanEntry")),
        (node("entry"), LABEL, ja("057 川崎港カーボンニュートラル化推進事業")),
        (node("activity"), TYPE, ox.NamedNode(KGO + "Activity")),
        (node("activity"), LABEL, ja("川崎港のカーボンニュートラル化の推進")),
    ]
    store.extend(ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in quads)
    return store


def names(hits) -> list[str]:
    return [h.doc.iri[len(BASE) + 3:] for h in hits]


def test_names_rank_before_texts_and_raw_text_last() -> None:
    hits = SearchIndex.build(small_store()).search("水素")
    assert names(hits) == ["label-exact", "label-inside", "text-only", "raw-only"]
    assert [h.name_match for h in hits] == [True, True, False, False]


def test_japanese_is_matched_inside_words_without_spaces() -> None:
    index = SearchIndex.build(small_store())
    assert names(index.search("計画策定")) == ["other"]  # inside 港湾計画策定事業
    assert names(index.search("港")) == ["entry", "activity", "other"]  # one character


def test_width_and_case_are_normalised() -> None:
    index = SearchIndex.build(small_store())
    assert names(index.search("co2")) == ["other"]  # ＣＯ２ in the text
    assert names(index.search("HYDROGEN")) == ["label-exact"]
    assert normalise("Ⅱ-ア") == "ii-ア"
    assert terms_of("水素\u3000戦略  水素") == ["水素", "戦略"]  # ideographic space, duplicates


def test_all_terms_must_match() -> None:
    index = SearchIndex.build(small_store())
    assert names(index.search("川崎 水素")) == ["label-inside"]
    assert names(index.search("川崎 ニュートラル")) == ["entry", "activity"]  # entry kind first
    assert index.search("水素 存在しない語") == []
    assert index.search("   ") == []


def test_snippet_highlights_the_original_text() -> None:
    hits = SearchIndex.build(small_store()).search("co2")
    segments = hits[0].matches[0].snippet()
    assert ("ＣＯ２", True) in segments  # the original full-width form, highlighted
    assert "".join(text for text, _ in segments) == "ＣＯ２排出量の削減"


# -- /search on the shipped data ----------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    config = Config(base=BASE, cache_dir=None)
    store = ox.Store()
    store.bulk_extend(parse_sources(shipped_sources(BASE), BASE))
    app = create_app(config, AppState.for_store(config, store))
    return app.test_client()


def result_hrefs(html: bytes) -> list[str]:
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    return [a.get("href") for a in tree.iterfind(".//ol[@class='search-results']/li/div/a")]


def test_search_page_finds_entry_055_first_for_hydrogen(client) -> None:
    headers = {"Accept": "text/html", "Accept-Language": "ja"}
    response = client.get("/search?q=水素", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    hrefs = result_hrefs(response.data)
    assert hrefs[0] == "/id/plan/kawasaki-2022/entry/055"
    # the programme, the activities naming 水素 and the hydrogen strategy are found too
    assert "/id/plan/kawasaki-2022/entry/055/activity/1" in hrefs
    text = response.get_data(as_text=True)
    assert "<mark>水素</mark>" in text
    assert "「水素」の検索結果" in text


def test_search_page_speaks_english(client) -> None:
    response = client.get("/search?q=hydrogen&lang=en", headers={"Accept": "text/html"})
    text = response.get_data(as_text=True)
    assert "results for “hydrogen”" in text
    assert result_hrefs(response.data)[0] == "/id/plan/kawasaki-2022/entry/055"


def test_search_json_by_accept_and_by_format(client) -> None:
    by_accept = client.get("/search?q=水素", headers={"Accept": "application/json"})
    by_format = client.get("/search?q=水素&format=json", headers={"Accept": "text/html"})
    for response in (by_accept, by_format):
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        body = json.loads(response.data)
        assert body["query"] == "水素" and body["terms"] == ["水素"]
        first = body["results"][0]
        assert first["iri"] == BASE + "id/plan/kawasaki-2022/entry/055"
        assert first["href"] == "/id/plan/kawasaki-2022/entry/055"
        assert first["matchedIn"] == "name"
        assert {"iri": KGO + "PlanEntry", "label": first["types"][0]["label"]} in first["types"]
        assert "水素" in first["matches"][0]["highlighted"]
        assert body["total"] == len(body["results"])


def test_search_ranks_label_matches_before_text_matches(client) -> None:
    body = json.loads(client.get("/search?q=水素&format=json").data)
    kinds = [r["matchedIn"] for r in body["results"]]
    assert kinds == sorted(kinds, key=["name", "text", "raw"].index)
    assert kinds[0] == "name" and "text" in kinds and "raw" in kinds


def test_search_finds_english_texts_and_entry_numbers(client) -> None:
    body = json.loads(client.get("/search?q=UNEP&format=json").data)
    hrefs = [r["href"] for r in body["results"]]
    assert hrefs[0] == "/id/org/unep"
    assert "/id/plan/kawasaki-2022/entry/068" in hrefs
    body = json.loads(client.get("/search?q=073&format=json").data)
    assert body["results"][0]["href"] == "/id/plan/kawasaki-2022/entry/073"


def test_activity_results_say_which_entry_they_belong_to(client) -> None:
    body = json.loads(client.get("/search?q=ワンストップ窓口&format=json").data)
    activity = next(r for r in body["results"] if r["href"].endswith("/activity/1"))
    assert activity["partOf"] == BASE + "id/plan/kawasaki-2022/entry/062"


def test_search_limit_and_bad_requests(client) -> None:
    body = json.loads(client.get("/search?q=事業&format=json&limit=3").data)
    assert len(body["results"]) == 3 and body["total"] > 3
    for url in ("/search?q=" + "あ" * 201, "/search?q=x&limit=0", "/search?q=x&limit=abc"):
        html = client.get(url, headers={"Accept": "text/html", "Accept-Language": "en"})
        assert html.status_code == 400, url
        assert b'role="alert"' in html.data
        data = client.get(url + "&format=json")
        assert data.status_code == 400, url
        assert "error" in json.loads(data.data)
    missing = client.get("/search?format=json", headers={"Accept-Language": "en"})
    assert missing.status_code == 400
    assert json.loads(missing.data)["error"] == "Give the search terms as the parameter q."
    assert client.get("/search", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/search?q=x", headers={"Accept": "text/csv"}).status_code == 406


def test_search_text_is_escaped(client) -> None:
    response = client.get("/search?q=<script>alert(1)</script>", headers={"Accept": "text/html"})
    assert b"<script>alert(1)" not in response.data
    assert b"&lt;script&gt;alert(1)" in response.data
