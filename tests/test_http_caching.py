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
    sent = f"W/{etag}" if weak else etag  # a compressing proxy makes an ETag weak
    again = client.get(url, headers={"Accept": "text/turtle", "If-None-Match": sent})
    assert again.status_code == 304
    assert again.get_data() == b""
    for name in ("ETag", "Cache-Control"):
        assert again.headers[name] == first.headers[name], name
    assert vary(again) == vary(first) == {"accept"}


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
