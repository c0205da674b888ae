"""Dumps: content, files written once per version with their size and SHA-256, ETag /
Last-Modified, ranges, conditional GET and HEAD."""

from __future__ import annotations

import gzip
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from linkeddata_support import fixture_app

from kgraph.web.pages import dumps

NQ = "/dumps/kgraph.nq.gz"
TTL = "/dumps/kgraph.ttl.gz"


@pytest.fixture(scope="module")
def app():
    return fixture_app()


@pytest.fixture()
def client(app):
    return app.test_client()


def store_of(app) -> ox.Store:
    return app.extensions["kgraph"].reader()


def test_nquads_dump_is_every_quad(app, client):
    response = client.get(NQ)
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert response.headers["Content-Disposition"] == "attachment; filename=kgraph.nq.gz"
    quads = set(ox.parse(gzip.decompress(response.data), format=ox.RdfFormat.N_QUADS))
    assert quads == set(store_of(app))


def test_turtle_dump_is_the_union_of_the_graphs(app, client):
    response = client.get(TTL)
    triples = list(ox.parse(gzip.decompress(response.data), format=ox.RdfFormat.TURTLE))
    expected = {q.triple for q in store_of(app)}
    assert len(triples) == len(set(triples)) == len(expected)
    assert {ox.Triple(t.subject, t.predicate, t.object) for t in triples} == expected


def test_dumps_have_their_length_and_checksum(app, client):
    """A dump is a file: its Content-Length, and the size, statement count and SHA-256
    that the dumps page and the catalogue state, are those of the bytes served."""
    import hashlib

    catalog = client.get("/catalog", headers={"Accept": "application/n-triples"}).get_data(
        as_text=True)
    page = client.get("/dumps/").get_data(as_text=True)
    for path, statements in ((NQ, len(store_of(app))),
                             (TTL, len({q.triple for q in store_of(app)}))):
        response = client.get(path)
        body = response.get_data()
        assert int(response.headers["Content-Length"]) == len(body)
        digest = hashlib.sha256(body).hexdigest()
        assert response.headers["ETag"] == f'"{digest[:32]}"'  # strong: these very bytes
        assert f'"{digest}"^^<http://www.w3.org/2001/XMLSchema#hexBinary>' in catalog
        assert f'"{len(body)}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in catalog
        assert f'"{statements}"^^<http://www.w3.org/2001/XMLSchema#integer>' in catalog
        assert digest in page and f"{len(body):,}" in page and f"{statements:,}" in page


def test_a_range_of_a_dump(client):
    whole = client.get(NQ).get_data()
    part = client.get(NQ, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.get_data() == whole[10:20]


@pytest.mark.parametrize("dump", dumps.DUMPS, ids=lambda d: d.key)
def test_batches_concatenate_to_the_whole_dump(app, monkeypatch, dump):
    monkeypatch.setattr(dumps, "BATCH", 50)
    store = store_of(app)
    chunks = list(dumps.serialized_chunks(store, dump))
    assert len(chunks) > 5
    data = gzip.decompress(b"".join(dumps.gzip_stream(chunks)))
    fmt = ox.RdfFormat.N_QUADS if dump.keeps_graphs else ox.RdfFormat.TURTLE
    parsed = set(ox.parse(data, format=fmt))
    if dump.keeps_graphs:
        assert parsed == set(store)
    else:
        assert {ox.Triple(t.subject, t.predicate, t.object) for t in parsed} == {
            q.triple for q in store}


def test_etag_and_last_modified(client):
    response = client.get(NQ)
    etag, weak = response.get_etag()
    assert etag and not weak  # the file's own SHA-256
    assert response.last_modified is not None
    assert client.get(TTL).get_etag()[0] != etag  # one tag per dump


@pytest.mark.parametrize("path", [NQ, TTL])
def test_if_none_match_gives_304_without_body(client, path):
    etag = client.get(path).headers["ETag"]
    for value in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        response = client.get(path, headers={"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.data == b""
        assert response.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since(client):
    last_modified = parsedate_to_datetime(client.get(NQ).headers["Last-Modified"])
    same = client.get(NQ, headers={"If-Modified-Since": format_datetime(last_modified,
                                                                        usegmt=True)})
    assert same.status_code == 304
    earlier = last_modified.replace(year=last_modified.year - 1)
    older = client.get(NQ, headers={"If-Modified-Since": format_datetime(earlier, usegmt=True)})
    assert older.status_code == 200
    assert gzip.decompress(older.data)


def test_head_has_the_get_headers_and_no_body(client):
    get = client.get(TTL)
    head = client.head(TTL)
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Content-Disposition",
                 "Cache-Control"):
        assert head.headers[name] == get.headers[name], name
    conditional = client.head(TTL, headers={"If-None-Match": get.headers["ETag"]})
    assert conditional.status_code == 304


def test_a_dump_is_written_once_per_version(app, monkeypatch):
    """HEAD, 304s and later GETs read the file written the first time; another
    process serving the same snapshot finds it too."""
    from kgraph.web import create_app
    from kgraph.web.state import AppState

    state = app.extensions["kgraph"]
    client = app.test_client()
    client.get(NQ)  # written (if it was not yet)
    started = []

    def spy(store, dump, counted=None):
        started.append(dump.key)
        yield b""

    monkeypatch.setattr(dumps, "serialized_chunks", spy)
    etag = client.head(NQ).headers["ETag"]
    assert client.get(NQ, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(NQ).status_code == 200
    other_process = create_app(state.config, AppState.local(state.config, state.store_root))
    assert other_process.test_client().head(NQ).headers["ETag"] == etag
    assert started == []


def test_unknown_dump_is_404(client):
    assert client.get("/dumps/kgraph.zip").status_code == 404


def test_one_snapshot_one_etag_a_new_publication_another(app):
    """Every process serving a snapshot gives it the same ETag (the file's SHA-256);
    a publication that changes the data gives another, and the old file is removed
    once its snapshot is gone."""
    from kgraph.snapshots import SnapshotStore

    state = app.extensions["kgraph"]
    first = app.test_client().get(NQ).headers["ETag"]
    extra = ox.Quad(ox.NamedNode("http://example.org/x"), ox.NamedNode("http://example.org/p"),
                    ox.Literal("x"), ox.NamedNode("http://example.org/g"))
    SnapshotStore(state.store_root).publish_quads([*store_of(app), extra], label="changed")
    assert app.test_client().get(NQ).headers["ETag"] != first


def test_dumps_page_lists_the_files(client):
    html = client.get("/dumps/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/dumps/kgraph.nq.gz"' in html and 'href="/dumps/kgraph.ttl.gz"' in html


@pytest.mark.server
def test_real_server_conditional_get_and_head(server):
    url = server + NQ.lstrip("/")
    first = requests.get(url, timeout=60)
    assert first.status_code == 200
    assert gzip.decompress(first.content)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=30).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": last_modified},
                        timeout=30).status_code == 304
    head = requests.head(url, timeout=30)
    assert head.status_code == 200
    assert head.headers["ETag"] == etag
    assert head.headers["Last-Modified"] == last_modified
    assert head.content == b""


@pytest.mark.server
def test_versions_follow_the_served_snapshot_across_workers():
    """Two worker processes give one ETag; a published update changes it everywhere.

    The update also shows at once in resource descriptions and in the VoID counts
    (the per-process in-memory copies and statistics follow the new snapshot).
    """
    from support.server import running_server

    token = "linked-data-test-token"
    data = str(Path(__file__).parent / "fixtures" / "linkeddata" / "tiny.ttl")
    thing = "http://localhost:8000/id/thing/a"
    with running_server("--workers", "2", "--data", data,
                        env={"KGRAPH_UPDATE_TOKEN": token}) as url:
        before = {requests.head(url + NQ.lstrip("/"), timeout=30).headers["ETag"]
                  for _ in range(12)}
        assert len(before) == 1
        void = requests.get(url + ".well-known/void", headers={"Accept": "text/turtle"},
                            timeout=30).text
        assert "void:triples 5 " in void
        text = (f"INSERT DATA {{ GRAPH <http://localhost:8000/graph/tiny> {{ <{thing}> "
                f'<http://www.w3.org/2000/01/rdf-schema#comment> "added"@en }} }}')
        response = requests.post(url + "sparql", data={"update": text},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=300)
        assert response.status_code == 200, response.text
        after = {requests.head(url + NQ.lstrip("/"), timeout=30).headers["ETag"]
                 for _ in range(12)}
        assert len(after) == 1 and after != before
        changed = requests.get(url + NQ.lstrip("/"), headers={"If-None-Match": before.pop()},
                               timeout=60)
        assert changed.status_code == 200
        assert b'"added"@en' in gzip.decompress(changed.content)
        # The update's publication is recorded in graph/publications (docs/staff.md).
        recorded = requests.get(url + "sparql", timeout=30, params={"query": (
            "SELECT (COUNT(*) AS ?n) { GRAPH <http://localhost:8000/graph/publications> "
            "{ ?s ?p ?o } }")}, headers={"Accept": "application/sparql-results+json"})
        recorded = int(recorded.json()["results"]["bindings"][0]["n"]["value"])
        assert recorded > 0
        for _ in range(6):  # whichever worker answers
            description = requests.get(url + "id/thing/a", headers={"Accept": "text/turtle"},
                                       timeout=30).text
            assert '"added"@en' in description
            void = requests.get(url + ".well-known/void", headers={"Accept": "text/turtle"},
                                timeout=30).text
            assert f"void:triples {6 + recorded} " in void
