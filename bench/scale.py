"""``python -m bench scale``: synthetic municipalities at several sizes.

For the shipped data and for each size (``--sizes 10k,100k,1m,10m``):

1. generate the municipalities (:mod:`kgraph.synthetic`) as N-Quads files;
2. bulk-load them into an on-disk snapshot store
   (:meth:`kgraph.snapshots.SnapshotStore.publish_sources`): triples per second;
3. serve the store with ``python server.py --workers N --store DIR`` (granian):
   cold start, then the query mix - look-ups, DESCRIBE and CONSTRUCT of resources
   sampled from the whole dataset, the example queries and the aggregate scoped to
   one municipality (``default-graph-uri``/``named-graph-uri``: its graph and the
   ontology; for the shipped data, all its graphs) - once sequentially (median per
   request) and with wrk (throughput, p50, p99); peak memory of the server tree;
4. SHACL validation of the whole dataset, per unit in worker processes, with an
   empty cache (:mod:`kgraph.validation_units`), up to ``--validate-up-to``.

The target ratios are printed against the shipped data measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from kgraph.config import DEFAULT_BASE
from kgraph.dataset import parse_sources
from kgraph.iris import graph_iri
from kgraph.snapshots import SnapshotStore
from kgraph.sources import Source, shipped_sources
from kgraph.synthetic import generate, municipality_graph, municipality_slug
from kgraph.validation import shacl_engine
from kgraph.validation_units import UnitStats, validate_units

from .generate import parse_size
from .load import run_sequential, run_wrk, wrk_path
from .mix import build_mix
from .report import mib, ratio, table
from .servers import kgraph_server, started


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scale", help="synthetic municipalities: load, latency, memory, SHACL")
    p.add_argument("--sizes", default="10k,100k,1m,10m",
                   help="dataset sizes in triples, comma-separated (10k,100k,1m,10m)")
    p.add_argument("--seconds", type=float, default=15, help="wrk run per size (15)")
    p.add_argument("--connections", type=int, default=8, help="concurrent clients (8)")
    p.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    p.add_argument("--repeat", type=int, default=3, help="sequential repetitions (3)")
    p.add_argument("--validate-up-to", type=parse_size, default=1_000_000,
                   help="run SHACL validation up to this size (1m; 10m takes ~10 min)")
    p.add_argument("--workdir", help="where to write data and stores (a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    p.set_defaults(run=run)


@dataclass
class SizeResult:
    name: str
    quads: int
    municipalities: int
    generate_s: float
    load_s: float
    load_rate: float
    store_mib: float
    cold_start_s: float
    seq_median_ms: float
    throughput: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mib: float
    peak_pss_mib: float
    validate_s: float | None = None
    validate_units: int | None = None


def _dir_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _load(sources: list[Source], root: Path, base: str) -> tuple[float, int]:
    start = time.perf_counter()
    snapshot = SnapshotStore(root).publish_sources(sources, base)
    seconds = time.perf_counter() - start
    count = len(ox.Store.read_only(str(snapshot)))
    return seconds, count


def measure_size(
    name: str, sources: list[Source], scope: list[str], root: Path, args: argparse.Namespace,
    municipalities: int, generate_s: float, validate: bool,
) -> SizeResult:
    base = DEFAULT_BASE
    load_s, quads = _load(sources, root, base)
    print(f"  {name}: {quads} quads loaded in {load_s:.1f} s ({quads / load_s:,.0f} quads/s)",
          flush=True)
    store = SnapshotStore(root).open_read_only()
    mix = build_mix(store, base, scope=scope)
    del store
    with started(kgraph_server(store=str(root), workers=args.workers, base=base)) as running:
        sequential = run_sequential(mix, running.endpoint, repeat=args.repeat)
        failures = sequential.failures
        if failures:
            print(f"  {name}: {len(failures)} requests failed, e.g. {failures[0].request.name}: "
                  f"{failures[0].status} {failures[0].error[:200]}")
        load = run_wrk(mix, running.url, "/sparql", seconds=args.seconds,
                       connections=args.connections)
        cold = running.cold_start_s
        rss, pss = running.sampler.peak_rss_kib, running.sampler.peak_pss_kib
    result = SizeResult(
        name, quads, municipalities, generate_s, load_s, quads / load_s,
        _dir_mib(root), cold, sequential.median_ms(), load.throughput,
        load.latency_ms["p50"], load.latency_ms["p99"], load.failed + len(failures),
        rss / 1024, pss / 1024,
    )
    if validate:
        all_quads = parse_sources(sources, base)
        stats = UnitStats()
        start = time.perf_counter()
        report = validate_units(all_quads, base=base, workers=os.cpu_count(), stats=stats)
        result.validate_s = time.perf_counter() - start
        result.validate_units = stats.units
        print(f"  {name}: SHACL ({shacl_engine()}) {result.validate_s:.1f} s, "
              f"{stats.units} units on "
              f"{stats.workers} processes, {report.by_severity()}", flush=True)
    print(f"  {name}: seq. median {result.seq_median_ms:.2f} ms, {result.throughput:.1f} req/s, "
          f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, peak PSS "
          f"{result.peak_pss_mib:.0f} MiB", flush=True)
    return result


def run(args: argparse.Namespace) -> int:
    wrk_path()
    base = DEFAULT_BASE
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kgraph-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[SizeResult] = []
    try:
        print(f"scale: sizes {sizes}, wrk {args.connections} connections x {args.seconds:g} s, "
              f"granian {args.workers} workers; {os.cpu_count()} cores; in {workdir}")
        shipped = shipped_sources(base)
        shipped_graphs = sorted({s.graph for s in shipped if s.graph})
        results.append(measure_size(
            "shipped", shipped, shipped_graphs, workdir / "store-shipped", args, 1, 0.0,
            validate=True,
        ))
        for size in sizes:
            data = workdir / f"data-{size}"
            start = time.perf_counter()
            made = generate(data, size, base)
            generate_s = time.perf_counter() - start
            sources = [Source(f, ox.RdfFormat.N_QUADS, None) for f in made.files]
            middle = municipality_slug(max(1, made.municipalities // 2))
            scope = [municipality_graph(base, middle), graph_iri(base, "ontology")]
            results.append(measure_size(
                _label(size), sources, scope, workdir / f"store-{size}", args,
                made.municipalities, generate_s, validate=size <= args.validate_up_to,
            ))
            shutil.rmtree(workdir / f"store-{size}", ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
        print()
        print(render(results))
        if args.json:
            Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def render(results: list[SizeResult]) -> str:
    rows = [["data", "quads", "municipalities", "bulk load (s)", "load rate (quads/s)",
             "store (MiB)", "cold start (s)", "seq. median (ms)", "throughput (req/s)",
             "p50 (ms)", "p99 (ms)", "errors", "peak PSS (MiB)", "SHACL (s)"]]
    for r in results:
        rows.append([
            r.name, f"{r.quads:,}", str(r.municipalities), f"{r.load_s:.1f}",
            f"{r.load_rate:,.0f}", f"{r.store_mib:.0f}", f"{r.cold_start_s:.2f}",
            f"{r.seq_median_ms:.2f}", f"{r.throughput:.1f}", f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}", str(r.errors), mib(int(r.peak_pss_mib * 1024)),
            "-" if r.validate_s is None else f"{r.validate_s:.1f}",
        ])
    out = [table(rows)]
    base = results[0]
    for r in results[1:]:
        out.append(
            f"{r.name} vs shipped: seq. median latency {ratio(r.seq_median_ms, base.seq_median_ms)}"
            f", p50 under load {ratio(r.p50_ms, base.p50_ms)}, throughput "
            f"{ratio(r.throughput, base.throughput)}"
        )
    medians = [r.seq_median_ms for r in results]
    out.append(f"(median of the sequential medians over all sizes: "
               f"{statistics.median(medians):.2f} ms)")
    return "\n".join(out)

