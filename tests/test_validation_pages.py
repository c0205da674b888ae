"""``/validation``: the report of the served data, and of uploads, without touching the store.

First through Flask's test client (an app on the shipped data), then against the
real server (``server`` fixture) with ``requests``.
"""

from __future__ import annotations

import io
import re

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.namespace import SH

from kgraph.config import PROJECT_ROOT, Config
from kgraph.iris import graph_iri
from kgraph.snapshots import SnapshotStore
from kgraph.sources import shipped_sources
from kgraph.table.files import context_for, export_table, shipped_entries
from kgraph.web import create_app

BASE = "http://localhost:8000/"
ENTRY = BASE + "id/plan/kawasaki-2022/entry/"
ENTRIES_TTL = (PROJECT_ROOT / "data" / "entries.ttl").read_bytes()
ENTRY_NUMBER_055 = b'kgo:entryNumber "055" ;'


@pytest.fixture(scope="module")
def app():
    return create_app(Config.from_env().replace(base=BASE))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def table_csv() -> bytes:
    config = Config(base=BASE)
    return export_table(shipped_entries(config), context_for(config), "csv")


def served(app) -> tuple[str, list[str]]:
    state = app.extensions["kgraph"]
    return state.snapshot_id, sorted(str(q) for q in state.backend.store())


def upload(client, name: str, data: bytes, accept: str = "application/json", **headers):
    return client.post(
        "/validation",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept": accept, **headers},
    )


@pytest.mark.parametrize(
    ("lang", "title", "verdict", "kind"),
    [
        ("ja", "SHACL 検証レポート", "適合しています（違反なし）", "事業"),
        ("en", "SHACL validation report", "conforms (no violations)", "plan entry"),
    ],
)
def test_served_report_in_the_readers_language(client, lang, title, verdict, kind):
    response = client.get("/validation", headers={"Accept-Language": lang, "Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{title}</h1>" in html
    assert verdict in html
    counts = client.get("/validation?format=json").get_json()["counts"]
    assert counts["Violation"] == 0 and counts["Warning"] >= 21  # entries 055-075: no department
    assert 'data-count="Violation">0<' in html
    assert f'data-count="Warning">{counts["Warning"]}<' in html
    # each focus node links to its page on this server
    assert '<a href="/id/plan/kawasaki-2022/entry/055">' in html
    assert f'<span class="kind">{kind}</span>' in html
    assert "reports.css" in html and "<style>" not in html  # the page's CSP allows no inline style
    assert re.search(r'<form class="upload" method="post" enctype="multipart/form-data"', html)


def test_served_report_as_json_and_turtle(client):
    data = client.get("/validation", headers={"Accept": "application/json"}).get_json()
    assert data["conforms"] is True and data["counts"]["Warning"] >= 21
    assert data["upload"] is None and data["served_data_changed"] is False
    group = next(g for g in data["focus_nodes"] if g["iri"] == ENTRY + "055")
    assert group["link"] == "/id/plan/kawasaki-2022/entry/055"
    response = client.get("/validation", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format="turtle")
    report = next(graph.subjects(rdflib.RDF.type, SH.ValidationReport))
    # SHACL 3.6.1: results (here warnings) mean sh:conforms false (docs/reports.md).
    assert graph.value(report, SH.conforms) == rdflib.Literal(False)
    assert data["sh_conforms"] is False
    assert client.get("/validation?format=json").mimetype == "application/json"


def test_a_store_of_the_shipped_data_validates_as_the_data(tmp_path, client):
    """Served from an operator's store, the report is computed from the store's quads."""
    root = tmp_path / "store"
    SnapshotStore(root).publish_sources(shipped_sources(BASE), BASE, label="test")
    # No cache: the report is computed again, with the run's engine (see conftest.py).
    config = Config.from_env().replace(base=BASE, store=str(root), cache_dir=None)
    from_store = create_app(config).test_client().get("/validation?format=json").get_json()
    assert from_store["conforms"] is True
    assert from_store["counts"] == client.get("/validation?format=json").get_json()["counts"]


def test_unchanged_spreadsheet_upload_conforms(client, app, table_csv):
    before = served(app)
    response = upload(client, "plan.csv", table_csv)
    assert response.status_code == 200
    data = response.get_json()
    assert data["conforms"] is True and data["upload"] == "plan.csv"
    assert data["counts"] == client.get("/validation?format=json").get_json()["counts"]
    assert served(app) == before


def test_spreadsheet_with_mistakes_is_refused_with_places(client, app, table_csv):
    before = served(app)
    bad = table_csv.replace(b"PJ2", b"PJ two", 1)
    response = upload(client, "plan.csv", bad)
    assert response.status_code == 400
    data = response.get_json()
    assert data["served_data_changed"] is False
    problem = data["problems"][0]
    assert (problem["sheet"], problem["row"], problem["column"], problem["header"]) == (
        "plan.csv",
        3,
        "G",
        "PJ",
    )
    assert problem["message"]["en"].startswith("'PJ two' is not a leading project code")
    page = upload(client, "plan.csv", bad, accept="text/html", **{"Accept-Language": "ja"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "シート「plan.csv」 3行目 G列（PJ）：「PJ two」" in html
    assert "公開中のデータは変更していません。" in html
    assert served(app) == before


def test_turtle_upload_that_breaks_the_shapes_is_reported_and_not_served(client, app):
    before = served(app)
    assert ENTRY_NUMBER_055 in ENTRIES_TTL
    broken = ENTRIES_TTL.replace(ENTRY_NUMBER_055, b"", 1)
    response = upload(client, "entries.ttl", broken)
    assert response.status_code == 200
    data = response.get_json()
    assert data["conforms"] is False and data["counts"]["Violation"] >= 1
    group = next(g for g in data["focus_nodes"] if g["iri"] == ENTRY + "055")
    assert group["worst"] == "Violation"
    paths = {r["path"] for r in group["results"] if r["severity"] == "Violation"}
    assert "https://w3id.org/kgraph/ontology#entryNumber" in paths
    # the same upload answered as the Turtle report graph
    turtle = upload(client, "entries.ttl", broken, accept="text/turtle")
    graph = rdflib.Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert graph.value(next(graph.subjects(rdflib.RDF.type, SH.ValidationReport)), SH.conforms) == (
        rdflib.Literal(False)
    )
    # and nothing changed in what is served
    assert served(app) == before
    assert client.get("/validation?format=json").get_json()["conforms"] is True


def test_raw_body_upload_for_scripts(client):
    response = client.post(
        "/validation?name=entries.ttl",
        data=ENTRIES_TTL,
        headers={"Content-Type": "text/turtle", "Accept": "*/*"},
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["conforms"] is True


def test_dataset_upload_replaces_the_graphs_it_holds(client):
    entries = graph_iri(BASE, "entries")
    quads = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(entries))
        for q in ox.parse(ENTRIES_TTL, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    ]
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    response = upload(client, "change.nq", data)
    assert response.status_code == 200
    assert response.get_json()["conforms"] is True


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.pdf", b"%PDF-1.4", "unknown file type '.pdf'"),
        ("entries.ttl", b'<a> <b> "open', "cannot parse: entries.ttl:1"),
        ("plan.csv", "施策No.\n".encode("cp932"), "the file is not UTF-8 here"),
    ],
)
def test_unreadable_uploads_are_400(client, name, data, expected):
    response = upload(client, name, data)
    assert response.status_code == 400
    assert expected in response.get_json()["problems"][0]["message"]["en"]


def test_empty_post_is_400(client):
    response = client.post("/validation", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["message"]["en"].startswith("no file was sent")


def test_too_large_upload_is_413(app, client):
    state = app.extensions["kgraph"]
    config = state.config
    try:
        state.config = config.replace(max_upload_bytes=1000)
        response = upload(client, "entries.ttl", ENTRIES_TTL)
        assert response.status_code == 413
        assert "1000 bytes" in response.get_data(as_text=True)
    finally:
        state.config = config


def test_a_body_sent_to_a_read_only_page_is_refused_unread(client):
    """Only /sparql, /validation and the staff area take bodies; a POST anywhere
    else is refused as a wrong method (the front does not read it: finding 3)."""
    response = client.post("/catalog", data=b"x" * 5000, headers={"Accept": "text/plain"})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.post("/no/such/page", data=b"x").status_code == 404


# ---------------------------------------------------------------------------
# The real server
# ---------------------------------------------------------------------------


@pytest.mark.server
def test_real_server_page_in_both_languages(server):
    ja = requests.get(server + "validation", headers={"Accept-Language": "ja"}, timeout=60)
    en = requests.get(server + "validation", headers={"Accept-Language": "en"}, timeout=60)
    assert ja.status_code == en.status_code == 200
    assert "SHACL 検証レポート" in ja.text and "SHACL validation report" in en.text
    assert "Content-Security-Policy" in ja.headers
    link = re.search(r'<a href="(/id/plan/kawasaki-2022/entry/055)">', en.text).group(1)
    page = requests.get(server + link.lstrip("/"), headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and "055" in page.text


@pytest.mark.server
def test_real_server_post_answers_scripts(server, table_csv):
    response = requests.post(
        server + "validation", files={"file": ("plan.csv", table_csv, "text/csv")}, timeout=300
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["conforms"] is True
    bad = requests.post(
        server + "validation",
        files={"file": ("plan.csv", table_csv.replace(b"PJ2", b"P J2", 1), "text/csv")},
        timeout=300,
    )
    assert bad.status_code == 400
    assert bad.json()["problems"][0]["column"] == "G"
    turtle = requests.post(
        server + "validation",
        files={"file": ("plan.csv", table_csv, "text/csv")},
        headers={"Accept": "text/turtle"},
        timeout=300,
    )
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    rdflib.Graph().parse(data=turtle.text, format="turtle")
