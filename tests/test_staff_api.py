"""The staff area's contract (issue 14), through Flask's test client over a real store.

An on-disk store of the shipped data, a staff tokens file (alice, bob) and the
operator token; uploads are compared, published and restored by the real
validation sandboxes.  Every status of the contract is checked with its message in
English and Japanese, and what a publication leaves behind: the history, the
provenance graph, the entry's page, the kept version's dump.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from test_catalog import shapes_graph
from test_catalog import validate as dcat_ap

from kgraph import service
from kgraph.config import Config
from kgraph.snapshots import SnapshotStore
from kgraph.staff import provenance
from kgraph.staff.accounts import make_line, merge_line
from kgraph.web import create_app
from kgraph.web.state import AppState

BASE = "http://localhost:8000/"
ENTRY_055 = "/id/plan/kawasaki-2022/entry/055"
OPERATOR = "operator-token-for-tests"
PROV = "http://www.w3.org/ns/prov#"
OVERVIEW = "事業概要"
OLD_END = "取組を進めます。"


# ---------------------------------------------------------------------------
# Helpers (also used by test_staff_faults.py and test_staff_browser.py)
# ---------------------------------------------------------------------------


def make_store(root: Path) -> Path:
    """The shipped data published into ``root`` through the service layer."""
    config = Config.from_env().replace(base=BASE, store=str(root))
    with service.writing(root) as published:
        checked = service.validate(config, service.from_files(config), published)
        service.publish(root, checked, published)
    return root


def make_tokens(path: Path, *names: str) -> dict[str, str]:
    """A tokens file with a line per name; the tokens by name."""
    tokens = {}
    for name in names:
        line, tokens[name] = make_line(name)
        merge_line(path, line)
    return tokens


def edit_csv(data: bytes, number: str, header: str, change) -> bytes:  # type: ignore[no-untyped-def]
    """The CSV table with one cell of entry ``number`` changed by ``change(text)``."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column, entry = rows[0].index(header), rows[0].index("事業No.")
    for row in rows[2:]:
        if row[entry] == number:
            row[column] = change(row[column])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(client, name: str, data: bytes, headers: dict | None = None, **form):  # type: ignore[no-untyped-def]
    return client.post("/staff/changes", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data", headers=headers or {})


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff-api")
    store = make_store(folder / "store")
    tokens = make_tokens(folder / "staff-tokens", "alice", "bob")
    config = Config.from_env().replace(
        base=BASE, store=str(store), staff_accounts=str(folder / "staff-tokens"),
        update_token=OPERATOR, run_dir=str(folder / "run"))
    (folder / "run").mkdir()
    app = create_app(config, AppState.start(config))
    return {"app": app, "store": store, "tokens": tokens, "folder": folder, "config": config}


@pytest.fixture(scope="module")
def client(site):
    return site["app"].test_client()


@pytest.fixture(scope="module")
def alice(site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site['tokens']['alice']}"}


@pytest.fixture(scope="module")
def table(client, alice) -> bytes:
    answer = client.get("/staff/table.csv", headers=alice)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.data


def current(site) -> str:
    return SnapshotStore(site["store"]).current().name


# ---------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------

CONTRACT = [
    ("GET", "/staff/history"),
    ("POST", "/staff/changes"),
    ("GET", "/staff/changes/0123456789abcdef"),
    ("POST", "/staff/changes/0123456789abcdef/publish"),
    ("POST", "/staff/history/20260101T000000-01234567/restore"),
    ("GET", "/staff/table.csv"),
]


@pytest.mark.parametrize(("method", "path"), CONTRACT)
def test_no_credentials_is_401_in_both_languages(client, method, path):
    answer = client.open(path, method=method)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "needs you to sign in" in answer.get_json()["error"]
    japanese = client.open(path, method=method, headers={"Accept-Language": "ja"})
    assert "サインインが必要です" in japanese.get_json()["error"]


@pytest.mark.parametrize(("method", "path"), CONTRACT)
def test_a_wrong_token_is_403(client, site, method, path):
    tokens = site["tokens"]
    for token in ("nope", tokens["alice"][:-2] + "xx", f"kgs_00000000_{'a' * 43}"):
        answer = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403, token
        assert "does not sign anyone in" in answer.get_json()["error"]
    japanese = client.open(path, method=method, headers={
        "Authorization": "Bearer nope", "Accept-Language": "ja"})
    assert "サインインできません" in japanese.get_json()["error"]


def test_the_operator_and_staff_accounts_sign_in(client, alice):
    assert client.get("/staff", headers=alice).get_json() == {"account": "alice",
                                                              "kind": "staff"}
    operator = client.get("/staff", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert operator.get_json() == {"account": "operator", "kind": "operator"}


def test_no_accounts_means_the_staff_area_is_off(site):
    config = site["config"].replace(staff_accounts=str(site["folder"] / "missing"))
    config.update_token = None
    app = create_app(config, AppState.start(config))
    answer = app.test_client().get("/staff/history")
    assert answer.status_code == 403
    assert "staff area is off" in answer.get_json()["error"]


def test_the_tokens_file_holds_no_token(site):
    text = (site["folder"] / "staff-tokens").read_text()
    for token in site["tokens"].values():
        assert token not in text and token.split("_")[-1] not in text
    assert (site["folder"] / "staff-tokens").stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------------
# Upload, compare, publish
# ---------------------------------------------------------------------------


def test_upload_answers_201_with_report_and_field_level_diff(client, alice, table, site):
    edited = edit_csv(table, "055", OVERVIEW, lambda t: t.replace(OLD_END, "取組を推進します。"))
    answer = upload(client, "plan.csv", edited, alice)
    assert answer.status_code == 201, answer.data
    body = answer.get_json()
    assert answer.headers["Location"] == f"/staff/changes/{body['id']}"
    assert {"id", "conforms", "report", "diff"} <= set(body)
    assert body["conforms"] is True and body["current"] is True
    assert body["report"]["conforms"] is True
    assert body["diff"]["summary"] == {"added": 0, "removed": 0, "changed": 1,
                                       "statements_added": 1, "statements_removed": 1}
    [resource] = body["diff"]["resources"]
    assert resource["iri"] == BASE + ENTRY_055[1:] and resource["name"] == "plan entry 055"
    [field] = resource["changes"]
    assert field["label"] == "overview" and field["lang"] == "ja"
    [(before, after)] = field["changed"]
    assert before["text"].endswith(OLD_END) and after["text"].endswith("取組を推進します。")
    # The same JSON again, and the page; the Japanese diff names the field in Japanese.
    again = client.get(f"/staff/changes/{body['id']}", headers=alice)
    assert again.get_json() == body
    japanese = client.get(f"/staff/changes/{body['id']}",
                          headers={**alice, "Accept-Language": "ja"}).get_json()
    assert japanese["diff"]["resources"][0]["changes"][0]["label"] == "事業概要"
    page = client.get(f"/staff/changes/{body['id']}", headers={**alice, "Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<del>進め</del>" in html and "<ins>推進し</ins>" in html
    assert 'id="publish"' in html
    assert current(site) == body["based_on"]  # nothing published yet


def test_a_file_that_cannot_be_read_is_400_with_row_and_column(client, alice, table, site):
    before = current(site)
    broken = edit_csv(table, "056", "PJ", lambda t: "PJ99")
    answer = upload(client, "plan.csv", broken, alice)
    assert answer.status_code == 400
    body = answer.get_json()
    [problem] = body["problems"]
    assert problem["row"] == 4 and problem["column"] == "G" and problem["header"] == "PJ"
    assert "cannot be read" in body["error"]
    japanese = upload(client, "plan.csv", broken, {**alice, "Accept-Language": "ja"})
    assert "読めません" in japanese.get_json()["error"]
    page = upload(client, "plan.csv", broken, {**alice, "Accept": "text/html"})
    assert page.status_code == 400 and "row 4" in page.get_data(as_text=True)
    assert current(site) == before


def test_a_wrong_sheet_names_the_sheet(client, alice, table):
    import openpyxl

    export = client.get("/staff/table.xlsx", headers=alice)
    workbook = openpyxl.load_workbook(io.BytesIO(export.data))
    del workbook["事業一覧"]  # only the guide sheet is left
    out = io.BytesIO()
    workbook.save(out)
    answer = upload(client, "plan.xlsx", out.getvalue(), alice)
    assert answer.status_code == 400
    first = answer.get_json()["problems"][0]
    assert first["sheet"] == "説明 Guide" and first["row"] == 1
    assert "事業No." in first["message"]["ja"] and "Entry No." in first["message"]["en"]


def test_no_file_is_400(client, alice):
    answer = client.post("/staff/changes", data={}, headers=alice,
                         content_type="multipart/form-data")
    assert answer.status_code == 400 and "No file" in answer.get_json()["error"]


def modified(client) -> str:
    """The dataset's dct:modified as VoID says it."""
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    [found] = [t.object.value for t in ox.parse(void.data, format=ox.RdfFormat.N_TRIPLES)
               if t.predicate.value == "http://purl.org/dc/terms/modified"
               and "dataset" in t.subject.value]
    return found


def test_publish_then_history_then_restore(client, alice, table, site):
    store = SnapshotStore(site["store"])
    first = current(site)
    was_modified = modified(client)
    edited = edit_csv(table, "057", OVERVIEW, lambda t: t + "（職員による修正）")
    change = upload(client, "plan.csv", edited, alice).get_json()
    published = client.post(f"/staff/changes/{change['id']}/publish", headers=alice,
                            data={"summary": "057 の概要を修正"})
    assert published.status_code == 200, published.data
    made = published.get_json()
    assert made["status"] == "published" and made["by"] == "alice" and made["changed"]
    assert current(site) == made["snapshot"]
    # VoID (and DCAT, from the same version) say when the data last changed.
    now_modified = datetime.fromisoformat(modified(client))
    published_at = datetime.fromisoformat(made["published_at"].replace("Z", "+00:00"))
    assert now_modified >= datetime.fromisoformat(was_modified)
    assert abs((now_modified - published_at).total_seconds()) < 30
    catalog = client.get("/catalog", headers={"Accept": "application/n-triples"})
    graph = rdflib.Graph().parse(data=catalog.data, format="nt")
    assert dcat_ap(graph, shapes_graph("dcat-ap-SHACL.ttl")) == []
    # The entry's page shows it; the history lists it first, marked current.
    assert "職員による修正" in client.get("/id/plan/kawasaki-2022/entry/057").get_data(
        as_text=True)
    history = client.get("/staff/history", headers=alice).get_json()
    assert history[0]["id"] == made["snapshot"] and history[0]["current"] is True
    assert history[0]["by"] == "alice" and history[0]["summary"] == "057 の概要を修正"
    assert {"id", "published_at", "by", "summary"} <= set(history[0])
    assert history[1]["id"] == first and history[1]["current"] is False
    record = client.get(f"/staff/history/{made['snapshot']}", headers=alice).get_json()
    assert record["diff"]["resources"][0]["name"] == "plan entry 057"
    # Publishing the same change again is a conflict that says so.
    again = client.post(f"/staff/changes/{change['id']}/publish", headers=alice)
    assert again.status_code == 409 and "already published" in again.get_json()["error"]
    # Restore the first version: a new publication, by whoever restores.
    bob = {"Authorization": f"Bearer {site['tokens']['bob']}"}
    restored = client.post(f"/staff/history/{first}/restore", headers=bob)
    assert restored.status_code == 200, restored.data
    assert restored.get_json()["restored"] == first
    assert "職員による修正" not in client.get("/id/plan/kawasaki-2022/entry/057").get_data(
        as_text=True)
    history = client.get("/staff/history", headers=alice).get_json()
    assert history[0]["by"] == "bob" and history[0]["restored_from"] == first
    assert [h["id"] for h in history[1:3]] == [made["snapshot"], first]
    # The graph records each publication: who, when, what it replaced.
    served = ox.Store.read_only(str(store.current()))
    graph = ox.NamedNode(provenance.graph(BASE))
    activity = ox.NamedNode(provenance.publication_iri(BASE, made["snapshot"]))
    facts = {(q.predicate.value, q.object.value)
             for q in served.quads_for_pattern(activity, None, None, graph)}
    assert (PROV + "wasAssociatedWith", BASE + "id/agent/staff/alice") in facts
    assert (PROV + "used", provenance.version_iri(BASE, first)) in facts
    assert any(p == PROV + "endedAtTime" for p, _ in facts)
    # The publication's page answers, and the earlier version's dump still downloads.
    assert client.get(f"/id/publication/{made['snapshot']}").status_code == 200
    dump = client.get(f"/versions/{made['snapshot']}/kgraph.nq.gz")
    assert dump.status_code == 200
    assert "職員による修正".encode() in gzip.decompress(dump.data)
    assert client.get("/versions/20200101T000000-01234567/kgraph.nq.gz").status_code == 404


def test_a_change_based_on_old_data_is_409_with_the_new_diff(client, alice, table, site):
    one = edit_csv(table, "058", OVERVIEW, lambda t: t + "（一）")
    two = edit_csv(table, "059", OVERVIEW, lambda t: t + "（二）")
    first = upload(client, "one.csv", one, alice).get_json()
    second = upload(client, "two.csv", two, alice).get_json()
    assert first["based_on"] == second["based_on"]
    assert client.post(f"/staff/changes/{first['id']}/publish", headers=alice).status_code == 200
    conflict = client.post(f"/staff/changes/{second['id']}/publish", headers=alice)
    assert conflict.status_code == 409
    body = conflict.get_json()
    assert "changed since this upload was compared" in body["message"]
    # The new comparison: against the data with the first change, which the second
    # table (made before it) would undo.
    assert body["based_on"] == current(site) and body["current"] is True
    names = {r["name"] for r in body["diff"]["resources"]}
    assert names == {"plan entry 058", "plan entry 059"}
    # Now based on the current data, it publishes.
    again = client.post(f"/staff/changes/{second['id']}/publish", headers=alice)
    assert again.status_code == 200, again.data


def test_a_change_that_does_not_conform_is_422(client, alice, site):
    before = current(site)
    bad = (b"@prefix kgo: <https://w3id.org/kgraph/ontology#> .\n"
           b"<id/plan/kawasaki-2022/entry/055> a kgo:PlanEntry .\n")
    change = upload(client, "entries.ttl", bad, alice).get_json()
    assert change["conforms"] is False
    assert change["report"]["counts"]["Violation"] > 0
    answer = client.post(f"/staff/changes/{change['id']}/publish", headers=alice)
    assert answer.status_code == 422
    assert "does not conform" in answer.get_json()["message"]
    assert current(site) == before


def test_the_record_of_publications_cannot_be_uploaded(client, alice):
    forged = b'<http://localhost:8000/id/publication/x> <http://purl.org/dc/terms/title> "x" .\n'
    answer = upload(client, "publications.nt", forged, alice)
    assert answer.status_code == 400
    assert "kept by kgraph" in answer.get_json()["error"]


def test_restoring_what_is_not_in_the_history_is_404(client, alice):
    answer = client.post("/staff/history/20200101T000000-01234567/restore", headers=alice)
    assert answer.status_code == 404 and "no publication" in answer.get_json()["error"]
    assert client.post("/staff/history/..%2f..%2fetc/restore",
                       headers=alice).status_code == 404


def test_the_table_downloads_round_trip(client, alice):
    for fmt in ("csv", "xlsx"):
        data = client.get(f"/staff/table.{fmt}", headers=alice).data
        change = upload(client, f"plan.{fmt}", data, alice).get_json()
        assert change["conforms"] is True
        assert change["diff"]["resources"] == [], fmt


def test_the_served_data_with_its_publications_still_conforms(site):
    config = site["config"]
    published = service.Published(str(site["store"]))
    candidate = service.Candidate(published.quads(), "served", published.snapshot, BASE)
    checked = service.validate(config, candidate, published, workers=1)
    assert checked.conforms
    assert checked.report.count("Violation") == 0


# ---------------------------------------------------------------------------
# Browser sessions
# ---------------------------------------------------------------------------


def _cookie(answer) -> str:  # type: ignore[no-untyped-def]
    return next(v for k, v in answer.headers.items()
                if k == "Set-Cookie" and v.startswith("kgraph_staff="))


def test_a_session_needs_its_csrf_token_on_every_form(site, table):
    client = site["app"].test_client()
    html = {"Accept": "text/html"}
    signin = client.get("/staff", headers=html)
    assert signin.status_code == 200 and 'name="token"' in signin.get_data(as_text=True)
    wrong = client.post("/staff/login", data={"token": "nope"}, headers=html)
    assert wrong.status_code == 403
    answer = client.post("/staff/login", data={"token": site["tokens"]["bob"],
                                               "next": "/staff/history"}, headers=html)
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/history"
    cookie = _cookie(answer)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie  # the base is http
    # An open redirect is not offered.
    other = client.post("/staff/login", data={"token": site["tokens"]["bob"],
                                              "next": "//evil.example/staff"}, headers=html)
    assert other.headers["Location"] == "/staff"
    page = client.get("/staff", headers=html).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    # Without the token (or with another), a form is refused; with it, it works.
    edited = edit_csv(table, "060", OVERVIEW, lambda t: t + "（セッション）")
    for form in ({}, {"csrf": "x" * len(csrf)}):
        refused = upload(client, "plan.csv", edited, html, **form)
        assert refused.status_code == 403
        assert "check token" in refused.get_data(as_text=True)
    made = upload(client, "plan.csv", edited, html, csrf=csrf)
    assert made.status_code == 303 and made.headers["Location"].startswith("/staff/changes/")
    # Signing out needs the token too, and ends the session.
    assert client.post("/staff/logout", headers=html).status_code == 403
    out = client.post("/staff/logout", data={"csrf": csrf}, headers=html)
    assert out.status_code == 303
    assert client.get("/staff/history").status_code == 401


def test_a_session_ends_when_the_token_is_replaced(site):
    client = site["app"].test_client()
    line, token = make_line("carol")
    path = site["folder"] / "staff-tokens"
    merge_line(path, line)
    client.post("/staff/login", data={"token": token})
    assert client.get("/staff/history").status_code == 200
    merge_line(path, make_line("carol")[0])  # a new token for carol
    assert client.get("/staff/history").status_code == 401


def test_the_session_cookie_is_secure_under_https(site):
    config = site["config"].replace(base="https://data.example.jp/kawasaki/")
    app = create_app(config, AppState.start(config))
    answer = app.test_client().post("/staff/login", data={"token": OPERATOR})
    assert answer.status_code == 303 and "Secure" in _cookie(answer)


def test_uploads_over_the_limit_are_413(site):
    config = site["config"].replace(max_upload_bytes=1000)
    app = create_app(config, AppState.start(config))
    answer = upload(app.test_client(), "plan.csv", b"x" * 5000,
                    {"Authorization": f"Bearer {OPERATOR}"})
    assert answer.status_code == 413


def test_pages_link_the_staff_area(client):
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/staff"' in html


def test_a_version_no_longer_kept_is_gone(client, alice, site):
    """Its record in the graph stays; its dump answers 410 and it cannot be restored."""
    import shutil

    store = SnapshotStore(site["store"])
    oldest = store.history()[-1]
    assert not oldest["current"]
    shutil.rmtree(store.snapshots / oldest["id"])  # as pruning does
    assert client.get(f"/versions/{oldest['id']}/kgraph.nq.gz").status_code == 410
    listed = next(h for h in client.get("/staff/history", headers=alice).get_json()
                  if h["id"] == oldest["id"])
    assert listed["kept"] is False
    answer = client.post(f"/staff/history/{oldest['id']}/restore", headers=alice)
    assert answer.status_code == 404


def test_a_server_on_a_remote_engine_does_not_publish(site):
    """A remote engine owns its data: 501, with what to do instead."""
    config = site["config"].replace(sparql_backend="http://127.0.0.1:9/sparql")
    app = create_app(config, AppState.start(config))
    client = app.test_client()
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    for method, path in (("GET", "/staff/history"), ("POST", "/staff/changes")):
        answer = client.open(path, method=method, headers=operator)
        assert answer.status_code == 501, answer.data
        assert "remote SPARQL engine" in answer.get_json()["error"]
