"""``python -m bench peers``: the same data, the same mix, three servers, one run.

The data is the shipped dataset, parsed and validated by kgraph's gate (the
validation report is cached by content hash) and then given to each server in the
way it takes data:

* kgraph: published into an on-disk snapshot store (what ``kgraph load --store``
  does), served by ``python server.py --workers N --store DIR`` (granian);
* oxigraph: the same quads as N-Quads, loaded with ``oxigraph load`` and served by
  ``oxigraph serve-read-only --union-default-graph``;
* rdflib-endpoint: the same N-Quads file, ``rdflib-endpoint serve`` (its union
  default graph).

Every server gets the same requests: POST forms with the full query text.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kgraph.config import DEFAULT_BASE, Config
from kgraph.service import prepare
from kgraph.snapshots import SnapshotStore

from .ceilings import NAMES as CEILINGS
from .load import LoadResult, Sequential, run_sequential, run_wrk, wrk_path
from .mix import Mix, build_mix
from .report import mib, ratio, table
from .servers import (
    Running,
    ceiling_server,
    kgraph_server,
    oxigraph_server,
    rdflib_endpoint_server,
    started,
    tool,
    tree_cpu_seconds,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("peers", help="kgraph vs oxigraph serve-read-only vs rdflib-endpoint")
    add_load_options(p)
    p.add_argument("--servers", default="kgraph,oxigraph,rdflib-endpoint",
                   help="comma-separated subset of kgraph,oxigraph,rdflib-endpoint and the "
                   f"ceilings of bench/ceilings.py ({','.join(CEILINGS)})")
    p.add_argument("--workers", type=int, default=2, help="kgraph server worker processes (2)")
    p.add_argument("--executors", type=int, default=None,
                   help="kgraph query executors per worker (server default)")
    p.add_argument("--data", nargs="+", metavar="FILE",
                   help="RDF files to serve instead of the shipped data (e.g. synthetic "
                   "municipalities from python -m bench.generate); validated by the gate")
    p.add_argument("--rounds", type=int, default=2,
                   help="rounds; each starts every server afresh, in turn, so that load "
                   "from other processes on the machine falls on all of them (2)")
    p.add_argument("--only", metavar="KIND",
                   choices=["lookup", "example", "aggregate", "construct", "describe"],
                   help="send only the requests of one kind (issue 12's one-resource "
                   "lookup target: --only lookup)")
    p.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    p.set_defaults(run=run)


def add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=20, help="measured wrk run per server (20)")
    p.add_argument("--warmup", type=float, default=3, help="wrk warm-up before measuring (3)")
    p.add_argument("--connections", type=int, default=8, help="concurrent clients (8)")
    p.add_argument("--repeat", type=int, default=3,
                   help="sequential repetitions per request for per-query latency (3)")


@dataclass
class Measured:
    name: str
    cold_start_s: float
    load: LoadResult
    sequential: Sequential
    peak_rss_kib: int
    peak_pss_kib: int
    processes: int
    cpu_ms_per_request: float = 0.0
    notes: list[str] = field(default_factory=list)


def combine(rounds: list[Measured]) -> Measured:
    """One server's rounds: throughput over all requests, latency percentiles and CPU per
    request averaged over rounds, the median cold start, the highest memory."""
    first = rounds[0]
    requests = sum(m.load.requests for m in rounds)
    seconds = sum(m.load.seconds for m in rounds)
    errors = {k: sum(m.load.errors[k] for m in rounds) for k in first.load.errors}
    latency = {k: statistics.mean(m.load.latency_ms[k] for m in rounds)
               for k in first.load.latency_ms}
    return Measured(
        first.name,
        statistics.median(m.cold_start_s for m in rounds),
        LoadResult(requests, seconds, errors, latency),
        first.sequential,
        max(m.peak_rss_kib for m in rounds),
        max(m.peak_pss_kib for m in rounds),
        max(m.processes for m in rounds),
        statistics.mean(m.cpu_ms_per_request for m in rounds),
    )


def prepare_data(
    workdir: Path, base: str, data: list[str] | None = None
) -> tuple[list[ox.Quad], dict[str, str], dict]:
    """Validate the shipped data (or ``data``), and lay it out for every server; returns
    timings."""
    config = Config.from_env().replace(base=base, store=None)
    config.data = list(data or [])
    timings = {}
    start = time.perf_counter()
    candidate = prepare(config)
    timings["gate_s"] = time.perf_counter() - start
    quads = candidate.quads
    paths = {}
    nquads = workdir / "data.nq"
    nquads.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    paths["nquads"] = str(nquads)
    start = time.perf_counter()
    SnapshotStore(workdir / "kgraph-store").publish_quads(quads)
    timings["kgraph_publish_s"] = time.perf_counter() - start
    paths["kgraph_store"] = str(workdir / "kgraph-store")
    start = time.perf_counter()
    subprocess.run(
        [tool("oxigraph"), "load", "--location", str(workdir / "oxigraph-store"),
         "--file", str(nquads)],
        check=True, capture_output=True,
    )
    timings["oxigraph_load_s"] = time.perf_counter() - start
    paths["oxigraph_store"] = str(workdir / "oxigraph-store")
    return quads, paths, timings


def measure(running: Running, mix: Mix, args: argparse.Namespace) -> Measured:
    """Sequential pass (checks every answer), warm-up, then the measured wrk run."""
    sequential = run_sequential(mix, running.endpoint, repeat=args.repeat)
    if args.warmup > 0:
        run_wrk(mix, running.url, running.server.query_path, seconds=args.warmup,
                connections=args.connections)
    cpu_before = tree_cpu_seconds(running.process.pid)
    load = run_wrk(mix, running.url, running.server.query_path, seconds=args.seconds,
                   connections=args.connections)
    cpu = tree_cpu_seconds(running.process.pid) - cpu_before
    sampler = running.sampler
    return Measured(
        running.server.name, running.cold_start_s, load, sequential,
        sampler.peak_rss_kib, sampler.peak_pss_kib, sampler.processes,
        cpu * 1000 / load.requests if load.requests else 0.0,
    )


def compare_answers(results: list[Measured]) -> list[str]:
    """Requests whose answers differ in size (or fail) between servers."""
    notes = []
    if not results:
        return notes
    for i, timing in enumerate(results[0].sequential.timings):
        sizes = {m.name: m.sequential.timings[i] for m in results}
        values = {(t.status, t.size) for t in sizes.values()}
        if len(values) > 1:
            shown = ", ".join(
                f"{name}: {t.status}/{t.size}" + (f" ({t.error[:80]})" if t.error else "")
                for name, t in sizes.items()
            )
            notes.append(f"{timing.request.name}: {shown}")
    return notes


def run(args: argparse.Namespace) -> int:
    wrk_path()
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    base = DEFAULT_BASE
    workdir = Path(tempfile.mkdtemp(prefix="kgraph-bench-"))
    try:
        quads, paths, timings = prepare_data(workdir, base, args.data)
        mix_store = ox.Store()
        mix_store.bulk_extend(quads)
        mix = build_mix(mix_store, base)
        if args.only:
            mix = Mix([r for r in mix.requests if r.kind == args.only])
        what = "shipped dataset" if not args.data else ", ".join(args.data)
        print(f"data: {what}, {len(quads)} quads; gate {timings['gate_s']:.2f} s; "
              f"mix: {len(mix.requests)} requests {mix.counts()}")
        print(f"load: wrk, {args.connections} connections, {args.seconds:g} s per server "
              f"(after {args.warmup:g} s warm-up); machine: {os.cpu_count()} cores\n")
        servers = {
            "kgraph": kgraph_server(store=paths["kgraph_store"], workers=args.workers,
                                    executors=args.executors, base=base),
            "oxigraph": oxigraph_server(paths["oxigraph_store"]),
            "rdflib-endpoint": rdflib_endpoint_server(paths["nquads"]),
            **{name: ceiling_server(name, paths["kgraph_store"]) for name in CEILINGS},
        }
        rounds: dict[str, list[Measured]] = {name: [] for name in names}
        for number in range(1, max(1, args.rounds) + 1):
            for name in names:
                with started(servers[name]) as running:
                    print(f"round {number}, {name}: cold start {running.cold_start_s:.2f} s; "
                          "measuring ...", flush=True)
                    measured = measure(running, mix, args)
                    rounds[name].append(measured)
                    print(f"  {measured.load.throughput:.1f} req/s, p50 "
                          f"{measured.load.latency_ms['p50']:.1f} ms, "
                          f"{measured.cpu_ms_per_request:.2f} ms CPU/request", flush=True)
        results = [combine(rounds[name]) for name in names]
        print()
        print(render(results, args))
        if args.json:
            Path(args.json).write_text(json.dumps(as_json(results, timings), indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def render(results: list[Measured], args: argparse.Namespace) -> str:
    rows = [["server", "throughput (req/s)", "p50 (ms)", "p99 (ms)", "errors",
             "CPU/request (ms)", "seq. median (ms)", "cold start (s)", "peak RSS (MiB)",
             "peak PSS (MiB)", "processes"]]
    for m in results:
        rows.append([
            m.name, f"{m.load.throughput:.1f}", f"{m.load.latency_ms['p50']:.2f}",
            f"{m.load.latency_ms['p99']:.2f}", str(m.load.failed),
            f"{m.cpu_ms_per_request:.2f}", f"{m.sequential.median_ms():.2f}",
            f"{m.cold_start_s:.2f}", mib(m.peak_rss_kib), mib(m.peak_pss_kib), str(m.processes),
        ])
    out = [table(rows)]
    by_name = {m.name: m for m in results}
    kg = by_name.get("kgraph")
    if kg:
        out.append("")
        for peer in ("oxigraph", "rdflib-endpoint", *CEILINGS):
            other = by_name.get(peer)
            if other is None:
                continue
            out.append(
                f"kgraph/{peer}: throughput {ratio(kg.load.throughput, other.load.throughput)}, "
                f"p50 {ratio(kg.load.latency_ms['p50'], other.load.latency_ms['p50'])}, "
                f"p99 {ratio(kg.load.latency_ms['p99'], other.load.latency_ms['p99'])}, "
                f"CPU/request {ratio(kg.cpu_ms_per_request, other.cpu_ms_per_request)}, "
                f"cold start {ratio(kg.cold_start_s, other.cold_start_s)}, "
                f"peak PSS {ratio(kg.peak_pss_kib, other.peak_pss_kib)}"
            )
    oxigraph = by_name.get("oxigraph")
    for name in CEILINGS:  # what the targets are measured against
        ceiling = by_name.get(name)
        if ceiling and oxigraph:
            cpu = ratio(ceiling.cpu_ms_per_request, oxigraph.cpu_ms_per_request)
            out.append(f"{name}/oxigraph: throughput "
                       f"{ratio(ceiling.load.throughput, oxigraph.load.throughput)}, "
                       f"CPU/request {cpu}")
    kinds = sorted({k for m in results for k in m.sequential.by_kind()})
    rows = [["sequential median (ms) by kind", *[m.name for m in results]]]
    for kind in kinds:
        rows.append([kind, *[f"{m.sequential.by_kind().get(kind, float('nan')):.2f}"
                             for m in results]])
    out += ["", table(rows)]
    diffs = compare_answers(results)
    out.append("")
    if diffs:
        out.append("answers that differ between servers (status/size):")
        out += [f"  {d}" for d in diffs]
    else:
        out.append("every server answered every request of the mix with the same number of "
                   "solutions or triples")
    return "\n".join(out)


def as_json(results: list[Measured], timings: dict) -> dict:
    return {
        "timings": timings,
        "servers": [
            {
                "name": m.name,
                "cold_start_s": m.cold_start_s,
                "throughput": m.load.throughput,
                "requests": m.load.requests,
                "errors": m.load.errors,
                "latency_ms": m.load.latency_ms,
                "sequential_median_ms": m.sequential.median_ms(),
                "sequential_by_kind_ms": m.sequential.by_kind(),
                "cpu_ms_per_request": m.cpu_ms_per_request,
                "peak_rss_kib": m.peak_rss_kib,
                "peak_pss_kib": m.peak_pss_kib,
                "per_request": [
                    {"name": t.request.name, "status": t.status, "size": t.size,
                     "median_ms": t.median_ms}
                    for t in m.sequential.timings
                ],
            }
            for m in results
        ],
    }
