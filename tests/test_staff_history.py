"""The history of publications beside the snapshots: a chain from ``current``,
bounded, and pruning that keeps what the history shows (kgraph/snapshots.py).
"""

from __future__ import annotations

import pyoxigraph as ox

from kgraph import snapshots
from kgraph.snapshots import SnapshotStore

EX = "http://example.org/"


def quads(n: int) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(f"{EX}thing"), ox.NamedNode(f"{EX}value"), ox.Literal(str(n)),
                    ox.NamedNode(f"{EX}graph"))]


def publish(store: SnapshotStore, n: int, recorded: bool = True) -> str:
    current = store.current()
    name = store.new_name("staff")
    record = {"by": "alice", "replaced": current.name if current else None,
              "diff": {"en": {"n": n}}} if recorded else None
    store.publish_quads(quads(n), "staff", name=name, record=record)
    return name


def test_pruning_keeps_the_history_and_drops_the_records_of_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshots, "HISTORY_KEEP", 3)
    store = SnapshotStore(tmp_path)
    names = [publish(store, n) for n in range(6)]
    history = store.history()
    assert [h["id"] for h in history] == names[:-4:-1]
    assert [h["current"] for h in history] == [True, False, False]
    assert all(h["kept"] for h in history)
    kept = sorted(p.name for p in store.snapshots.iterdir())
    assert kept == sorted(names[-3:])
    records = sorted(p.name for p in store.records.iterdir())
    assert records == sorted([f"{n}.json" for n in names[-3:]]
                             + [f"{n}.diff.json" for n in names[-3:]])
    assert store.record_diff(names[-1]) == {"en": {"n": 5}}
    assert "diff" not in store.record(names[-1])


def test_the_chain_ends_at_a_snapshot_published_without_a_record(tmp_path):
    store = SnapshotStore(tmp_path)
    publish(store, 0)
    publish(store, 1, recorded=False)  # published by hand (an old kgraph, a test)
    newest = publish(store, 2)
    assert [h["id"] for h in store.history()] == [newest]


def test_names_from_outside_are_never_paths(tmp_path):
    store = SnapshotStore(tmp_path)
    publish(store, 0)
    for name in ("../../etc/passwd", "..", "current", "20260101T000000-0123456g"):
        assert store.record(name) is None and store.snapshot(name) is None
        assert store.record_diff(name) is None


def test_every_version_the_record_names_is_described(tmp_path):
    """A publication replacing a snapshot published without a record (the server's
    temporary store at start) still names a resource that answers."""
    from kgraph import service
    from kgraph.staff import provenance
    from kgraph.validation import Report

    base = "http://localhost:8000/"
    store = SnapshotStore(tmp_path)
    store.publish_quads(quads(0), "start")
    started = store.current().name
    with service.writing(tmp_path) as published:
        checked = service.Checked(service.Candidate(quads(1), "update", started, base),
                                  Report(results=[]))
        service.publish(tmp_path, checked, published, agent=provenance.Agent.operator())
    served = ox.Store.read_only(str(store.current()))
    previous = ox.NamedNode(provenance.version_iri(base, started))
    assert list(served.quads_for_pattern(previous, None, None, None))
    [record] = store.history()
    assert record["replaced"] == started and record["by"] == "operator"

