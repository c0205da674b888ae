"""A new snapshot replaces the served one under load, with no failed or mixed answer.

The real server (granian, 2 workers) serves an on-disk store while clients query it
continuously; meanwhile new snapshots are published beside the current one.  Every
answer must be a 200 whose count is that of one of the published snapshots (never a
mix, never an error), and after the last publish every worker serves the last one.
"""

from __future__ import annotations

import threading
import time

import pyoxigraph as ox
import pytest
import requests
from support.server import running_server

from kgraph.snapshots import SnapshotStore

pytestmark = pytest.mark.server

EX = "http://example.org/"
QUERY = f"SELECT (COUNT(*) AS ?n) {{ ?s <{EX}value> ?v }}"


def quads(count: int) -> list[ox.Quad]:
    graph = ox.NamedNode(EX + "graph")
    return [
        ox.Quad(ox.NamedNode(f"{EX}item/{i}"), ox.NamedNode(EX + "value"), ox.Literal(str(i)),
                graph)
        for i in range(count)
    ]


def test_snapshots_switch_atomically_under_load(tmp_path) -> None:
    store = SnapshotStore(tmp_path / "store")
    sizes = [1000, 1500, 2000, 2500]
    store.publish_quads(quads(sizes[0]))
    seen: list[tuple[int, int]] = []  # (status, count)
    stop = threading.Event()

    def client(url: str) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                response = session.get(url + "sparql", params={"query": QUERY}, timeout=30,
                                       headers={"Accept": "application/sparql-results+json"})
                count = -1
                if response.status_code == 200:
                    count = int(response.json()["results"]["bindings"][0]["n"]["value"])
                seen.append((response.status_code, count))

    # Many readers from one address: the per-client limit is raised for them.
    with running_server("--store", str(store.root), "--workers", "2",
                        "--client-queries", "32") as url:
        threads = [threading.Thread(target=client, args=(url,)) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for size in sizes[1:]:
                time.sleep(1.0)
                store.publish_quads(quads(size))
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        # Every worker now serves the last snapshot.
        after = [
            int(requests.get(url + "sparql", params={"query": QUERY}, timeout=30)
                .json()["results"]["bindings"][0]["n"]["value"])
            for _ in range(20)
        ]
    assert len(seen) > 50
    assert {status for status, _ in seen} == {200}
    assert {count for _, count in seen} <= set(sizes)
    assert len({count for _, count in seen}) >= 3  # the clients saw the switches
    assert set(after) == {sizes[-1]}
