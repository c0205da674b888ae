"""What shared caches and generic HTTP clients rely on (RFC 9110): ``Vary`` on every
answer that negotiates, conditional requests compared weakly, 304s with the 200's
headers, ``Allow`` that names what a path accepts, and errors in the reader's language.
"""

from __future__ import annotations

import pytest

from kgraph.config import Config
from kgraph.web import create_app

BASE = "http://localhost:8000/"


@pytest.fixture(scope="module")
def client():
    # No cookie jar: each request states its own language choice.
    return create_app(Config.from_env().replace(base=BASE)).test_client(use_cookies=False)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize("accept", ["text/html", "application/json", "text/turtle"])
def test_the_validation_report_varies_on_accept_and_language(client, accept):
    response = client.get("/validation", headers={"Accept": accept})
    assert response.status_code == 200
    assert {"accept", "accept-language", "cookie"} <= vary(response)


def test_search_results_in_json_vary_on_language(client):
    en = client.get("/search?q=%E6%B0%B4%E7%B4%A0&format=json",
                    headers={"Accept-Language": "en"})
    ja = client.get("/search?q=%E6%B0%B4%E7%B4%A0&format=json",
                    headers={"Accept-Language": "ja"})
    assert en.get_data() != ja.get_data()  # the labels follow the reader
    assert {"accept", "accept-language", "cookie"} <= vary(en)


@pytest.mark.parametrize("weak", [False, True])
def test_graph_store_304_has_the_200s_headers(client, weak):
    url = "/rdf-graph-store?default"
    first = client.get(url, headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    # Compared weakly (RFC 9110 13.1.2): the tag sent back weak or strong matches.
    sent = etag if weak else etag.removeprefix("W/")
    again = client.get(url, headers={"Accept": "text/turtle", "If-None-Match": sent})
    assert again.status_code == 304
    assert again.get_data() == b""
    for name in ("ETag", "Cache-Control"):  # (Werkzeug drops Last-Modified from a 304)
        assert again.headers[name] == first.headers[name], name
    assert vary(first) == {"accept"} and vary(first) <= vary(again)


@pytest.mark.parametrize(("path", "methods"), [
    ("/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/rdf-graph-store", {"GET", "HEAD", "OPTIONS"}),
])
def test_options_names_only_the_methods_the_path_accepts(client, path, methods):
    allowed = client.options(path).headers["Allow"]
    assert {m.strip() for m in allowed.split(",")} == methods
    for method in {"PUT", "DELETE", "PATCH", "POST"} - methods:
        refused = client.open(path, method=method)
        assert refused.status_code == 405
        assert {m.strip() for m in refused.headers["Allow"].split(",")} == methods


@pytest.mark.parametrize(("how", "expected"), [
    ({"query_string": {"query": "ASK {", "lang": "ja"}}, "構文エラー"),
    ({"query_string": {"query": "ASK {"}, "headers": {"Cookie": "lang=ja",
                                                      "Accept-Language": "en"}}, "構文エラー"),
    ({"query_string": {"query": "ASK {"}, "headers": {"Accept-Language": "ja"}}, "構文エラー"),
    ({"query_string": {"query": "ASK {"}, "headers": {"Accept-Language": "en"}},
     "sparql syntax error"),
    ({"query_string": {"query": "ASK {"}, "headers": {"Accept-Language": ""}}, "構文エラー"),
])
def test_errors_follow_the_language_the_reader_chose(client, how, expected):
    """The pages' language choice (``?lang=``, its cookie) holds for error messages,
    then ``Accept-Language``; a program that states nothing reads Japanese (the one
    rule, :func:`kgraph.messages.choose`)."""
    response = client.get("/sparql", **how)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True).lower()
    assert {"accept-language", "cookie"} <= vary(response)


PAGES = ["/", "/catalog", "/dumps/", "/ontology", "/id/plan/kawasaki-2022",
         "/id/plan/kawasaki-2022/entry/055", "/.well-known/void", "/plan", "/search?q=x",
         "/sparql?default", "/sparql", "/query"]


def test_query_answers_are_not_tagged(client):
    """NOW(), RAND() and fresh blank nodes make a query's answer change without the
    data changing: no validator is promised for them."""
    response = client.get("/sparql", query_string={"query": "SELECT (NOW() AS ?t) {}"})
    assert response.status_code == 200 and "ETag" not in response.headers


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "*/*"])
def test_every_page_and_rdf_answer_is_conditional(client, path, accept):
    """ETag and Last-Modified on every page and RDF answer; the tag sent back gets a
    304 with no body, built without doing the work again; another language or format
    is another tag."""
    first = client.get(path, headers={"Accept": accept})
    if first.status_code == 406:
        return
    assert first.status_code == 200, (path, accept, first.status_code)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"') and "no-cache" in first.headers["Cache-Control"]
    again = client.get(path, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    since = client.get(path, headers={"Accept": accept, "If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get(path, headers={"Accept": accept, "Accept-Language": "ja",
                                      "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_a_new_snapshot_is_a_new_tag(tmp_path):
    """The tag follows the served data: after a publication, the old tag gets a 200."""
    import pyoxigraph as ox

    from kgraph.service import Candidate, from_files, publish, validate, writing

    config = Config.from_env().replace(base=BASE, store=str(tmp_path / "store"))
    with writing(config.store) as published:
        publish(config.store, validate(config, from_files(config), published), published)
    client = create_app(config).test_client(use_cookies=False)
    first = client.get("/catalog", headers={"Accept": "text/turtle"})
    comment = ox.Quad(ox.NamedNode(BASE + "id/plan/kawasaki-2022"),
                      ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                      ox.Literal("a new statement"), ox.NamedNode(BASE + "graph/plan"))
    with writing(config.store) as published:
        quads = list(published.store().quads_for_pattern(None, None, None, None))
        candidate = Candidate([*quads, comment], "test", published.snapshot)
        publish(config.store, validate(config, candidate, published), published)
    again = client.get("/catalog", headers={"Accept": "text/turtle",
                                            "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
