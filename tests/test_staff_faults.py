"""Faults in the staff loop: two staff publishing at once, a publish killed at every
step, the server killed in the middle of a publish, hostile and broken files.

Whatever happens, the published data is the old version or the new one, never a
mix; the history names exactly the publications that happened; the next publish
works without anyone cleaning up; and a pending change survives a restart.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from support.kill_points import KILL_POINTS
from support.server import running_server
from test_staff_api import BASE, OPERATOR, edit_csv, make_store, make_tokens, upload

from kgraph.config import Config
from kgraph.snapshots import SnapshotStore
from kgraph.table.files import context_for, export_table, shipped_entries
from kgraph.web import create_app
from kgraph.web.state import AppState

CORPUS = Path(__file__).resolve().parent / "hostile" / "uploads"
OVERVIEW = "https://w3id.org/kgraph/ontology#overview"

#: Publishes a staff change in this process, and SIGKILLs itself at one step.
KILL_AT = KILL_POINTS + r"""
import json
root, upload, based_on = sys.argv[2:5]
from kgraph.engine.operations import _problem_json, _report_answer
from kgraph.staff import publishing
header = {"name": "plan.csv", "based_on": based_on, "base": "http://localhost:8000/",
          "cache_dir": os.environ["KGRAPH_CACHE_DIR"], "agent": {"kind": "staff", "name": "alice"}}
answer, _ = publishing.run("staff_publish", root, header, open(upload, "rb").read(),
                           report=_report_answer, problem=_problem_json)
print(json.dumps({"status": answer["status"], "snapshot": answer.get("snapshot")}))
"""


@pytest.fixture(scope="module")
def table() -> bytes:
    config = Config(base=BASE)
    return export_table(shipped_entries(config), context_for(config), "csv")


def overview(root: Path, number: str) -> str:
    """Entry ``number``'s Japanese overview as the store serves it now."""
    store = ox.Store.read_only(str(SnapshotStore(root).current()))
    entry = ox.NamedNode(f"{BASE}id/plan/kawasaki-2022/entry/{number}")
    [found] = [q.object.value for q in store.quads_for_pattern(entry, ox.NamedNode(OVERVIEW), None)
               if q.object.language == "ja"]
    return found


def consistent(root: Path) -> list[dict]:
    """The history leads from ``current`` through what each publication replaced."""
    store = SnapshotStore(root)
    history = store.history()
    assert history[0]["id"] == store.current().name and history[0]["current"]
    for newer, older in itertools.pairwise(history):
        assert newer["replaced"] == older["id"]
    return history


# ---------------------------------------------------------------------------
# Two publishers at once
# ---------------------------------------------------------------------------


def test_two_staff_publishing_at_once_one_wins_the_other_409(tmp_path, table):
    root = make_store(tmp_path / "store")
    tokens = make_tokens(tmp_path / "tokens", "alice", "bob")
    config = Config.from_env().replace(base=BASE, store=str(root),
                                       staff_accounts=str(tmp_path / "tokens"),
                                       run_dir=str(tmp_path))
    app = create_app(config, AppState.start(config))
    edits = {"alice": ("062", "（アリス）"), "bob": ("063", "（ボブ）")}
    changes, answers = {}, {}
    for name, (number, mark) in edits.items():
        client = app.test_client()
        data = edit_csv(table, number, "事業概要", lambda t, m=mark: t + m)
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        changes[name] = (client, headers, upload(client, "plan.csv", data, headers).get_json())
    before = SnapshotStore(root).current().name

    def publish(name: str, address: str) -> None:
        client, headers, change = changes[name]
        client.environ_base["REMOTE_ADDR"] = address  # two people, two machines
        answers[name] = client.post(f"/staff/changes/{change['id']}/publish", headers=headers)

    threads = [threading.Thread(target=publish, args=(name, f"10.0.0.{n}"))
               for n, name in enumerate(edits, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [200, 409], {k: a.data[:300] for k, a in answers.items()}
    winner = next(k for k, a in answers.items() if a.status_code == 200)
    loser = next(k for k in answers if k != winner)
    history = consistent(root)
    assert history[0]["by"] == winner and history[1]["id"] == before
    number, mark = edits[winner]
    assert overview(root, number).endswith(mark)
    assert not overview(root, edits[loser][0]).endswith(edits[loser][1])
    # The loser sees the new comparison: its table would undo the winner's edit.
    names = {r["name"] for r in answers[loser].get_json()["diff"]["resources"]}
    assert names == {f"plan entry {edits[winner][0]}", f"plan entry {edits[loser][0]}"}


# ---------------------------------------------------------------------------
# A publish killed at each step
# ---------------------------------------------------------------------------


def test_a_publish_killed_at_any_step_leaves_the_old_or_the_new_version(tmp_path, table):
    root = make_store(tmp_path / "store")
    original = overview(root, "064")
    path = tmp_path / "plan.csv"
    path.write_bytes(edit_csv(table, "064", "事業概要", lambda t: t + "（強制終了）"))
    env = {**os.environ}

    def run(point: str) -> subprocess.Popen:
        based_on = SnapshotStore(root).current().name
        return subprocess.Popen([sys.executable, "-c", KILL_AT, point, str(root), str(path),
                                 based_on], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # Killed while the snapshot is being built (seen from outside).
    child = run("none")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if any(p.name.startswith(".building-") for p in (root / "snapshots").iterdir()):
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.read()
    # Killed before the finished snapshot is renamed, before its record is in place,
    # before the new link is made, before it replaces `current`: the old version.
    for point in ("rename", "record", "symlink", "replace"):
        child = run(point)
        child.wait(timeout=120)
        assert child.returncode == -signal.SIGKILL, (point, child.stderr.read()[-2000:])
        assert overview(root, "064") == original, point
        assert len(consistent(root)) == 1, point
    # Killed after the switch (while pruning): the new version, whole and recorded.
    child = run("prune")
    child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.read()[-2000:]
    assert overview(root, "064") == original + "（強制終了）"
    history = consistent(root)
    assert len(history) == 2 and history[0]["by"] == "alice"
    # Nobody cleans up: the next publication works (the kernel dropped every lock),
    # and no snapshot the kills left is ever in the history.
    done = run("none")
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err[-2000:]
    assert json.loads(out)["status"] == 200  # nothing to change: the same table
    assert [h["id"] for h in consistent(root)] == [h["id"] for h in history]
    assert not [p for p in (root / "snapshots").iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------------
# The server killed in the middle of a publish
# ---------------------------------------------------------------------------


@pytest.mark.server
def test_the_server_killed_mid_publish_then_restarted(tmp_path, table):
    root = make_store(tmp_path / "store")
    tokens = make_tokens(tmp_path / "tokens", "alice")
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    original = overview(root, "065")
    edited = edit_csv(table, "065", "事業概要", lambda t: t + "（再起動）")
    args = ("--store", str(root), "--staff-accounts", str(tmp_path / "tokens"))
    with running_server(*args) as url:
        change = requests.post(url + "staff/changes", headers=headers, timeout=120,
                               files={"file": ("plan.csv", edited)}).json()
        answers: list = []
        thread = threading.Thread(target=lambda: answers.append(_post(
            url + f"staff/changes/{change['id']}/publish", headers)))
        thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(p.name.startswith(".building-") for p in (root / "snapshots").iterdir()):
                break
            time.sleep(0.002)
        os.kill(url.process.pid, signal.SIGKILL)  # workers and sandboxes die with it
        url.process.wait(timeout=30)
        thread.join(timeout=60)
    with SnapshotStore(root).writer_lock():  # whatever was publishing has ended
        served = overview(root, "065")
    assert served in (original, original + "（再起動）")
    consistent(root)
    # A restarted server finds the pending change, and it can be published.
    with running_server(*args) as url:
        found = requests.get(url + f"staff/changes/{change['id']}", headers=headers, timeout=60)
        assert found.status_code == 200 and found.json()["id"] == change["id"]
        answer = requests.post(url + f"staff/changes/{change['id']}/publish",
                               headers=headers, timeout=300)
        if served == original:
            assert answer.status_code == 200, answer.text
        else:  # the kill came after the switch: that version is published already
            assert answer.status_code in (200, 409), answer.text
    assert overview(root, "065") == original + "（再起動）"
    consistent(root)
    assert not [p for p in (root / "snapshots").iterdir() if p.name.startswith(".")]


def _post(url: str, headers: dict) -> int:
    try:
        return requests.post(url, headers=headers, timeout=120).status_code
    except requests.RequestException:
        return 0


# ---------------------------------------------------------------------------
# Hostile, huge and broken files
# ---------------------------------------------------------------------------

HOSTILE = ["billion-laughs.xlsx", "zip-bomb.xlsx", "external-entity.xlsx", "formula.csv",
           "shift-jis.csv", "truncated.ttl", "external-entity.rdf", "nested-12000.jsonld"]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff-hostile")
    root = make_store(folder / "store")
    config = Config.from_env().replace(base=BASE, store=str(root), update_token=OPERATOR,
                                       run_dir=str(folder))
    return root, create_app(config, AppState.start(config)).test_client()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_in_the_sandbox(hostile_site, name):
    root, client = hostile_site
    expected = tomllib.loads((CORPUS / "expect.toml").read_text())["files"][name]["status"]
    before = SnapshotStore(root).current().name
    answer = upload(client, name, (CORPUS / name).read_bytes(),
                    {"Authorization": f"Bearer {OPERATOR}"})
    assert expected == 400
    assert answer.status_code == 400, answer.data[:500]
    body = answer.get_json()
    assert body["problems"] and all(p["message"]["ja"] and p["message"]["en"]
                                    for p in body["problems"])
    assert SnapshotStore(root).current().name == before


def test_a_broken_xlsx_is_400(hostile_site):
    root, client = hostile_site
    data = (CORPUS / "plan-table.xlsx").read_bytes()[:5000]  # cut short
    answer = upload(client, "plan.xlsx", data,
                    {"Authorization": f"Bearer {OPERATOR}", "Accept-Language": "ja"})
    assert answer.status_code == 400
    assert "読めません" in answer.get_json()["error"]
    assert SnapshotStore(root).current() is not None
