"""Hostile uploads to ``/validation`` (the staff form), against the production server.

Every file of ``tests/hostile/uploads`` is uploaded as a form would send it; the
answer is the status ``uploads/expect.toml`` gives (400 with the problem named, or a
report), never a 5xx or a dropped connection, and nothing a file contains comes
back as live markup.  Bombs (nested JSON-LD, entity expansion in RDF/XML or in a
workbook, a zip bomb) are refused before they exhaust the worker, and the server
keeps answering others.  The served data is unchanged afterwards.
"""

from __future__ import annotations

import json
import threading
import time
import tomllib
from pathlib import Path

import pytest
import requests
from support.hostile import (
    CORPUS,
    Answer,
    check_error_answer,
    load_store,
    production_server,
    served,
)
from support.markup import assert_no_active_markup

pytestmark = pytest.mark.server

UPLOADS = CORPUS / "uploads"
EXPECT = tomllib.loads((UPLOADS / "expect.toml").read_text("utf-8"))["files"]
FILES = sorted(EXPECT)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("upload-store")
    load_store(store)
    return store


@pytest.fixture(scope="module")
def server(store):
    with production_server(store) as url:
        yield url


@pytest.fixture(scope="module")
def before(server, store):
    return served(server, store)


def upload(url: str, name: str, data: bytes, accept: str) -> Answer:
    response = requests.post(
        url + "validation", files={"file": (name, data)}, headers={"Accept": accept},
        timeout=300,
    )
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                  response.content)


@pytest.mark.parametrize("name", FILES)
def test_every_hostile_upload_gets_its_answer(server, before, name):
    expected = EXPECT[name]["status"]
    answer = upload(server, name, (UPLOADS / name).read_bytes(), "application/json")
    check_error_answer(answer, [expected], name)
    body = json.loads(answer.body)
    assert body["served_data_changed"] is False
    if expected == 400:
        assert body["problems"], body
        assert all(p["message"]["en"] and p["message"]["ja"] for p in body["problems"])


@pytest.mark.parametrize("name", FILES)
def test_the_html_answer_shows_uploads_as_text(server, before, name):
    answer = upload(server, name, (UPLOADS / name).read_bytes(), "text/html")
    check_error_answer(answer, [EXPECT[name]["status"]], name)
    assert_no_active_markup(answer.text)


def test_a_file_name_with_markup_is_shown_as_text(server, before):
    name = '<script>alert(1)</script><img src=x onerror="alert(2)">.ttl'
    for accept in ("text/html", "application/json"):
        answer = upload(server, name, (UPLOADS / "latin1.ttl").read_bytes(), accept)
        check_error_answer(answer, [400], name)
        if accept == "text/html":
            assert_no_active_markup(answer.text)


def test_a_huge_literal_within_the_limit_is_validated(server, before):
    """8 MB of text in one literal: read, validated, reported; nothing else waits."""
    data = (
        b'@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
        b'<id/hostile/huge> rdfs:comment "' + b"\xe6\xb0\xb4" * 2_700_000 + b'" .\n'
    )
    answer = upload(server, "huge.ttl", data, "application/json")
    check_error_answer(answer, [200], "huge literal")


def test_bombs_do_not_stop_other_requests(server, before):
    """While sandboxes chew on the worst uploads, ordinary queries are still answered."""
    bombs = ["nested-12000.jsonld", "billion-laughs.rdf", "zip-bomb.xlsx",
             "billion-laughs.xlsx", "nested-elements-10000.rdf"]
    answers: list[Answer] = []

    def send(name: str) -> None:
        # One validation per client at a time: the others are told to come back (429).
        while True:
            answer = upload(server, name, (UPLOADS / name).read_bytes(), "application/json")
            if answer.status != 429:
                answers.append(answer)
                return
            time.sleep(0.2)

    threads = [threading.Thread(target=send, args=(n,)) for n in bombs]
    for thread in threads:
        thread.start()
    ordinary = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        response = requests.get(server + "sparql", params={"query": "ASK { ?s ?p ?o }"},
                                timeout=60)
        ordinary.append(response.status_code)
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(a.status for a in answers) == [400] * len(bombs)
    assert ordinary and set(ordinary) == {200}


def test_served_data_is_unchanged(server, store, before):
    after = served(server, store)
    assert (after.snapshot, after.etag, after.nquads) == (
        before.snapshot, before.etag, before.nquads)
