"""``python -m bench coldstart``: ``python server.py`` from process start to first answer.

The shipped data is parsed, its validation report taken from the cache (keyed by
the content hash of data, shapes and library versions), published into a temporary
snapshot, and served.  The first run of this command fills the cache if it is cold
(that run is reported separately and not counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys

from kgraph.config import DEFAULT_BASE

from .servers import ROOT, Server, started


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coldstart", help="python server.py: process start to first answered query")
    p.add_argument("--runs", type=int, default=5, help="measured starts (5)")
    p.add_argument("--workers", type=int, default=1,
                   help="server.py --workers (granian worker processes)")
    p.set_defaults(run=run)


def server(workers: int) -> Server:
    return Server(
        "kgraph",
        [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1", "--port", "{port}",
         "--base", DEFAULT_BASE, "--workers", str(workers), "--log-level", "WARNING"],
        "/sparql",
    )


def measure(runs: int, workers: int = 1) -> list[float]:
    with started(server(workers)) as first:
        print(f"first start (fills the validation cache if cold): {first.cold_start_s:.2f} s")
    times = []
    for _ in range(runs):
        with started(server(workers)) as running:
            times.append(running.cold_start_s)
    return times


def run(args: argparse.Namespace) -> int:
    times = measure(args.runs, args.workers)
    print(f"python server.py --workers {args.workers}: cold start to first answered query: "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
          f"max {max(times):.2f} s ({len(times)} runs)")
    return 0
