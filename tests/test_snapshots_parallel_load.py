"""Loading many files into a snapshot in parallel threads gives the same data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgraph.config import DEFAULT_BASE
from kgraph.snapshots import SnapshotStore
from kgraph.sources import Source
from kgraph.synthetic import generate


def test_parallel_bulk_load_equals_sequential(tmp_path) -> None:
    made = generate(tmp_path / "data", 60_000, DEFAULT_BASE, per_file=1)
    assert len(made.files) >= 4
    sources = [Source(f, ox.RdfFormat.N_QUADS, None) for f in made.files]
    contents = []
    for threads in (1, 3):
        store = SnapshotStore(tmp_path / f"store-{threads}")
        store.publish_sources(sources, DEFAULT_BASE, threads=threads)
        contents.append(set(store.open_read_only()))
    expected = {q for f in made.files for q in ox.parse(path=str(f), format=ox.RdfFormat.N_QUADS)}
    assert contents[0] == contents[1] == expected


def test_a_bad_file_leaves_the_current_snapshot(tmp_path) -> None:
    made = generate(tmp_path / "data", 20_000, DEFAULT_BASE, per_file=1)
    store = SnapshotStore(tmp_path / "store")
    good = [Source(f, ox.RdfFormat.N_QUADS, None) for f in made.files]
    first = store.publish_sources(good, DEFAULT_BASE)
    broken = tmp_path / "broken.nq"
    broken.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        store.publish_sources([*good, Source(broken, ox.RdfFormat.N_QUADS, None)],
                              DEFAULT_BASE, threads=2)
    assert store.current() == first
    assert not any(p.name.startswith(".building-") for p in store.snapshots.iterdir())


QUAD = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
               ox.Literal("o"))


@pytest.mark.parametrize("spelling", ["relative", "symlink"])
def test_pruning_never_deletes_the_current_snapshot(tmp_path, monkeypatch, spelling) -> None:
    """A store root given as a relative path or through a symlink, and publishes
    within one second: the snapshot being served stays, with its data."""
    (tmp_path / "real").mkdir()
    if spelling == "relative":
        monkeypatch.chdir(tmp_path)
        root = "real"
    else:
        (tmp_path / "alias").symlink_to(tmp_path / "real")
        root = str(tmp_path / "alias")
    store = SnapshotStore(root)
    for n in range(4):
        made = store.publish_quads([QUAD], label=f"n{n}")
        assert store.current() == made.resolve()
        assert list(store.open_read_only()) == [QUAD]
    names = sorted(p.name for p in store.snapshots.iterdir())
    assert len(names) == 2 and names[-1].endswith("-n3")
