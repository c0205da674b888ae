"""Hostile files through the real CLI: ``kgraph load`` and ``kgraph import-table --apply``.

Every corpus file that ``uploads/expect.toml`` gives a ``cli`` exit code is handed to
the command that reads its kind (RDF to ``load``, spreadsheets to ``import-table``)
with an on-disk store: the command exits with that code and a message naming the
file, prints no traceback, and the store still serves the same snapshot, quad for
quad.
"""

from __future__ import annotations

import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.hostile import CORPUS, current_target, kgraph, load_store

from kgraph.snapshots import SnapshotStore

UPLOADS = CORPUS / "uploads"
EXPECT = tomllib.loads((UPLOADS / "expect.toml").read_text("utf-8"))["files"]
CLI_FILES = sorted(name for name, spec in EXPECT.items() if "cli" in spec)
TABLES = (".csv", ".xlsx")


def quads(store: Path) -> set[str]:
    handle = SnapshotStore(store).open_read_only()
    try:
        return {str(q) for q in handle}
    finally:
        del handle


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("cli-store")
    load_store(store)
    return store


@pytest.fixture(scope="module")
def outcomes(store):
    """Each file through its command (several at once: they only read the store)."""
    before = (current_target(store), quads(store))

    def run(name: str):
        path = str(UPLOADS / name)
        if name.endswith(TABLES):
            return kgraph("import-table", path, "--apply", "--store", str(store))
        return kgraph("load", path, "--store", str(store))

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(CLI_FILES, pool.map(run, CLI_FILES), strict=True))
    return before, done


@pytest.mark.parametrize("name", CLI_FILES)
def test_each_file_is_refused_with_a_message(outcomes, name):
    _, done = outcomes
    result = done[name]
    assert result.returncode == EXPECT[name]["cli"], result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert name in result.stderr or "sheet" in result.stderr, result.stderr[-2000:]
    assert "published" not in result.stdout and "loaded" not in result.stdout


def test_the_store_is_unchanged(store, outcomes):
    (snapshot, before), _ = outcomes
    assert current_target(store) == snapshot
    assert quads(store) == before
    leftovers = [p.name for p in (store / "snapshots").iterdir() if p.name.startswith(".")]
    assert leftovers == []
