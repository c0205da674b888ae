"""Faults while publishing: a killed loader, a full disk, a corrupt source file.

A production server (granian, two workers) serves an on-disk store of the shipped
data.  Then the loader is killed with SIGKILL while it builds the next snapshot
(``kgraph load --store`` and ``kgraph import-table --apply``), both when it is seen
building and at each step of the publication (before the rename of the finished
snapshot, before the new link is made, before the link is switched, after the
switch); the disk fills up (a small tmpfs when this runs as root, and a file size
limit, RLIMIT_FSIZE, which needs no privilege); a source file is corrupted.  After
each, the server serves the previous snapshot with a byte-identical dump, or - when
the kill came after the atomic switch - the new one, complete.  A server restart
and the next load recover without manual steps: half-built directories are removed,
``current`` is intact, and a load that can succeed does.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from support.hostile import (
    CORPUS,
    Served,
    cli_env,
    current_target,
    kgraph,
    load_store,
    production_server,
    served,
)
from support.kill_points import KILL_POINTS
from support.processes import SANDBOX, executors_below
from support.server import ROOT

pytestmark = pytest.mark.server

SHIPPED = [str(p) for p in sorted((ROOT / "ontology").glob("*.ttl"))] + [
    str(p) for p in sorted((ROOT / "data").glob("*.ttl"))
]

#: Runs the real CLI, and SIGKILLs itself at one step of the publication.
KILL_AT = KILL_POINTS + r"""
from kgraph.cli import main
sys.exit(main(sys.argv[2:]))
"""


# ---------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("fault-store")
    load_store(store)
    return store


@pytest.fixture(scope="module")
def server(store):
    with production_server(store) as url:
        yield url


@pytest.fixture(scope="module")
def edited_table(tmp_path_factory) -> Path:
    """The plan table with one overview edited: valid, and different from what is served."""
    text = (CORPUS / "uploads" / "plan-table.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("事業概要")
    rows[3][column] += "（障害試験）"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path_factory.mktemp("table") / "plan.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def debris(store: Path) -> list[str]:
    """What interrupted publications leave: building directories and temporary links."""
    names = [p.name for p in (store / "snapshots").iterdir() if p.name.startswith(".")]
    return names + [p.name for p in store.glob(".current-*")]


def load_args(store: Path) -> list[str]:
    """A load whose content differs from the served one (an unchanged load publishes
    nothing): the shipped files and a graph of one statement new to each call."""
    extra = Path(tempfile.mkdtemp(prefix="kgraph-fault-")) / "fault.ttl"
    extra.write_text(f'<urn:kgraph:fault-test> <http://www.w3.org/2000/01/rdf-schema#comment> '
                     f'"{uuid.uuid4()}" .\n', encoding="utf-8")
    return ["load", *SHIPPED, str(extra), "--store", str(store)]


def import_args(store: Path, table: Path) -> list[str]:
    return ["import-table", str(table), "--apply", "--store", str(store)]


def kgraph_command() -> list[str]:
    script = Path(sys.executable).with_name("kgraph")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kgraph.cli"]


def kill_while_building(args: list[str], store: Path) -> None:
    """Start the CLI and SIGKILL it as soon as its snapshot directory is being built."""
    process = subprocess.Popen([*kgraph_command(), *args], env=cli_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    snapshots = store / "snapshots"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if any(n.startswith(".building-") for n in os.listdir(snapshots)):
                process.send_signal(signal.SIGKILL)
                break
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"the loader ended before building (exit {process.returncode}):\n"
                            f"{stderr}")
            time.sleep(0.001)
        else:
            pytest.fail("the loader never started building")
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def kill_at(point: str, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", KILL_AT, point, *args], env=cli_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])


def same(before: Served, after: Served) -> None:
    assert after.snapshot == before.snapshot
    assert after.etag == before.etag
    assert after.nquads == before.nquads  # byte-identical dump


def age_temporary_links(store: Path) -> None:
    """Make temporary links look as old as a switch that died a while ago."""
    old = time.time() - 3600
    for link in store.glob(".current-*"):
        os.utime(link, (old, old), follow_symlinks=False)


# ---------------------------------------------------------------------------
# A killed loader
# ---------------------------------------------------------------------------


def test_load_killed_while_building(server, store):
    before = served(server, store)
    kill_while_building(load_args(store), store)
    assert any(n.startswith(".building-") for n in debris(store))
    same(before, served(server, store))


@pytest.mark.parametrize("point", ["rename", "symlink", "replace"])
def test_load_killed_before_the_switch(server, store, point):
    before = served(server, store)
    kill_at(point, load_args(store))
    same(before, served(server, store))
    assert current_target(store).name == before.snapshot


def test_import_killed_while_building(server, store, edited_table):
    before = served(server, store)
    kill_while_building(import_args(store, edited_table), store)
    same(before, served(server, store))


def test_import_killed_before_the_rename(server, store, edited_table):
    before = served(server, store)
    kill_at("rename", import_args(store, edited_table))
    same(before, served(server, store))


def test_restart_removes_what_the_kills_left(store):
    """A new server start cleans up; it serves the same snapshot, byte for byte."""
    age_temporary_links(store)
    left = debris(store)
    assert left, "the kills above should have left something to clean up"
    with production_server(store) as url:
        after = served(url, store)
        assert debris(store) == []
        assert (store / "current").is_symlink()
        assert current_target(store).name == after.snapshot
        assert "removed what interrupted loads left" in url.log()


def test_killed_after_the_switch_serves_the_new_snapshot_whole(store, edited_table):
    with production_server(store) as url:
        before = served(url, store)
        kill_at("prune", import_args(store, edited_table))
        after = served(url, store)
        assert after.snapshot != before.snapshot
        assert current_target(store).name == after.snapshot
        # What changed in the data (graph/publications records the import, docs/staff.md).
        data = lambda quads: {q for q in quads if "/graph/publications>" not in q}  # noqa: E731
        changed = data(after.quads) - data(before.quads)
        assert changed and all("障害試験" in q for q in changed)
        assert len(data(after.quads)) == len(data(before.quads))


def test_the_next_load_recovers(server, store):
    done = kgraph(*load_args(store))
    assert done.returncode == 0, done.stderr
    now = served(server, store)
    assert "<http://localhost:8000/graph/kgo>" in now.nquads.decode()
    assert debris(store) == []


# ---------------------------------------------------------------------------
# A full disk
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def small_tmpfs(size: str):
    """A tmpfs of ``size`` mounted on a fresh directory (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; test_file_size_limit covers a full disk")
    mount = Path(tempfile.mkdtemp(prefix="kgraph-fulldisk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        with contextlib.suppress(OSError):
            mount.rmdir()


def fill(directory: Path, leave: int) -> Path:
    """Fill the file system of ``directory`` up to ``leave`` bytes free."""
    filler = directory / "filler"
    free = shutil.disk_usage(directory).free - leave
    with open(filler, "wb") as out:
        chunk = bytes(1 << 20)
        while free > 0:
            out.write(chunk[: min(len(chunk), free)])
            free -= len(chunk)
    return filler


def test_full_disk(tmp_path, edited_table):
    with small_tmpfs("6m") as mount:
        store = mount / "store"
        load_store(store)
        with production_server(store) as url:
            before = served(url, store)
            filler = fill(mount, leave=200_000)
            done = kgraph(*load_args(store))
            assert done.returncode == 2, done.stderr
            assert "No space left on device" in done.stderr
            assert "nothing was changed" in done.stderr
            assert "Traceback" not in done.stderr
            same(before, served(url, store))
            assert debris(store) == []

            imported = kgraph("import-table", str(edited_table),
                              "--apply", "--store", str(store))
            assert imported.returncode == 2, imported.stderr
            assert "Traceback" not in imported.stderr
            same(before, served(url, store))

            filler.unlink()  # space again: the next load just works
            again = kgraph(*load_args(store))
            assert again.returncode == 0, again.stderr
            assert served(url, store).snapshot != before.snapshot


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_file_size_limit(server, store):
    """RLIMIT_FSIZE: no file of the snapshot may grow past 32 KB (no privilege needed).

    Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a write to
    a full disk fails with ENOSPC; the loader says so and changes nothing.
    """
    before = served(server, store)
    done = subprocess.run(
        [*kgraph_command(), *load_args(store)], env=cli_env(), capture_output=True, text=True,
        timeout=600, preexec_fn=_limit_file_size(32 * 1024),
    )
    assert done.returncode == 2, done.stderr
    assert "File too large" in done.stderr and "nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert debris(store) == []
    same(before, served(server, store))


# ---------------------------------------------------------------------------
# A corrupt source file
# ---------------------------------------------------------------------------

CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "invalid-utf8": lambda data: data.replace("。".encode(), b"\xe3\x80", 1),
    # between two statements (a NUL inside a string literal is valid Turtle)
    "nul-bytes": lambda data: data.replace(b" .\n\n", b" .\n" + b"\x00" * 64 + b"\n", 1),
    # inside a string literal: valid Turtle, refused by the shapes (kgs:TextCharactersShape)
    "nul-in-literal": lambda data: data.replace("。".encode(), "。".encode() + b"\x00" * 8, 1),
    "random-bytes": lambda data: data[:5000] + bytes(range(256)) + data[5000:],
    "unbalanced": lambda data: data.replace(b" .\n", b" ;\n", 3),
    "empty": lambda data: b"",
}


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_corrupt_source_file(server, store, tmp_path, how):
    copies = []
    for name in SHIPPED:
        target = tmp_path / Path(name).parent.name / Path(name).name
        target.parent.mkdir(exist_ok=True)
        data = Path(name).read_bytes()
        if target.name == "plan.ttl":
            data = CORRUPTIONS[how](data)
        target.write_bytes(data)
        copies.append(str(target))
    before = served(server, store)
    done = kgraph("load", *copies, "--store", str(store))
    assert done.returncode in (1, 2), done.stdout
    assert "Traceback" not in done.stderr
    assert "nothing was changed" in done.stderr or "plan.ttl" in done.stderr
    same(before, served(server, store))


def test_missing_source_file(server, store, tmp_path):
    before = served(server, store)
    done = kgraph("load", *SHIPPED, str(tmp_path / f"gone-{uuid.uuid4().hex}.ttl"),
                  "--store", str(store))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "gone-" in done.stderr
    same(before, served(server, store))


# ---------------------------------------------------------------------------
# Publishers take turns
# ---------------------------------------------------------------------------


def _blocked_on_a_lock(pid: int) -> bool:
    """Whether ``pid`` waits for a file lock (``/proc/locks`` lists waiters with ``->``)."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and str(pid) in fields:
            return True
    return False


def test_a_load_waits_while_an_update_is_being_published(server, store):
    """The writer lock an update holds (copy, validate, publish) makes a load wait, so
    that the update cannot publish a copy of the old snapshot over the load."""
    if not Path("/proc/locks").exists():
        pytest.skip("no /proc/locks to see the wait")
    before = served(server, store)
    with open(store / ".update.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = subprocess.Popen([*kgraph_command(), *load_args(store)], env=cli_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while not _blocked_on_a_lock(process.pid):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the load never waited for the lock"
            time.sleep(0.05)
        same(before, served(server, store))
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert served(server, store).snapshot != before.snapshot


# ---------------------------------------------------------------------------
# A killed server leaves no executor behind
# ---------------------------------------------------------------------------


def test_executors_end_with_a_killed_server(small_data):
    """SIGKILL of the server: its workers and their sandboxes (one started by a
    request thread after a budget kill, too) end by themselves."""
    from support.server import running_server

    with running_server("--data", small_data, "--query-timeout", "1") as url:
        import requests

        requests.post(url + "sparql", timeout=60, data={
            "query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"})
        assert requests.get(url + "sparql", params={"query": "ASK {}"}, timeout=60).ok
        executors = executors_below(url.process.pid)
        assert executors
        url.process.send_signal(signal.SIGKILL)
        url.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists()
                                                  for p in executors):
            time.sleep(0.1)
        alive = [p for p in executors if Path(f"/proc/{p}").exists()
                 and SANDBOX in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert alive == [], "sandboxes outlived their server"
        with pytest.raises(requests.ConnectionError):  # no worker serves on
            requests.get(url + "health", timeout=5)
