"""The load campaign: ``python -m bench.campaign`` (see ``--help``).

Starts the production server (``server.py --workers 2 --store DIR``, granian) on
loopback over a store of the shipped data and drives it with ``wrk``:

1. unloaded: one connection replays the ordinary mix (SPARQL example queries, page
   views, dump downloads) - the baseline latency;
2. loaded, for a bounded time: several connections replay the ordinary mix while
   others send only pathological queries (cartesian products, huge results, deep
   property paths), all at once;
3. the loaded phase again (``--rounds``, default 3 in all), with idle pauses in between.

Memory (RSS and PSS of the server's whole process tree: granian main process, workers,
query executors) is sampled every second throughout.  It prints, and writes to
``bench/CAMPAIGN.md`` with the command that produced it: requests served, answers
by status, p50/p99 of ordinary requests unloaded and loaded, whether every
pathological request ended within its budget + 2 s, and the memory over the run,
each against its target (no 5xx on ordinary requests; loaded p99 at most 5x
unloaded; pathological requests stopped within budget + 2 s; memory bounded: the
whole tree idle after the last round no more than 10 % above idle after the first -
the first round warms caches and replaces executors, a leak keeps growing round
after round - the peak under load shown).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import requests

from kgraph.engine.sandbox import memory_limit

from .servers import tree

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("campaign.lua")
REPORT = Path(__file__).with_name("CAMPAIGN.md")

#: Pathological queries: each would run for hours, or return millions of rows.
PATHOLOGICAL = {
    "cartesian product, counted": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . "
    "?g ?h ?i . ?j ?k ?l }",
    "cartesian product, rows": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "cartesian product, sorted": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
    "huge CONSTRUCT": "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }",
    "deep property path": "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x>|!<urn:x>|^!<urn:x>)* ?b }",
    "nested closures": "SELECT (COUNT(*) AS ?n) WHERE { ?a ((!<urn:x>)*/(^!<urn:x>)*)* ?b . "
    "?b (!<urn:x>)+ ?c }",
    "string blow-up": "SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?a), STR(?c)))) AS ?n) "
    "WHERE { ?a ?b ?c . ?d ?e ?f }",
}

#: Pages a visitor opens, and the dumps a harvester downloads.
PAGES = [
    "/", "/plan", "/query", "/search?q=" + quote("水素"), "/catalog", "/dumps/", "/ontology",
    "/id/plan/kawasaki-2022", "/id/plan/kawasaki-2022/policy/8",
    *[f"/id/plan/kawasaki-2022/entry/{n:03d}" for n in (55, 58, 62, 66, 70, 75)],
]
DUMPS = ["/dumps/kgraph.nq.gz", "/dumps/kgraph.ttl.gz"]


# ---------------------------------------------------------------------------
# The server and its store
# ---------------------------------------------------------------------------


#: Seconds of idle sampling before and after the load (memory left behind).
IDLE_SECONDS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("KGRAPH_") or k == "KGRAPH_CACHE_DIR"}


def kgraph_command() -> list[str]:
    script = Path(sys.executable).with_name("kgraph")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kgraph.cli"]


@contextlib.contextmanager
def production_server(store: Path, args: argparse.Namespace) -> Iterator[tuple[str, int, Path]]:
    """``server.py --workers N --store STORE`` on loopback; (url, pid, log file)."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="kgraph-campaign-", suffix=".log")[1])
    command = [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1",
               "--port", str(port), "--store", str(store), "--workers", str(args.workers),
               "--executors", str(args.executors), "--query-timeout", str(args.budget),
               "--log-level", "WARNING"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env=clean_env(), cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start within 300 s")
        yield url, process.pid, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    method: str
    path: str
    accept: str
    body: str = ""

    def tsv(self) -> str:
        return f"{self.method}\t{self.path}\t{self.accept}\t{self.body}"


def ordinary_mix() -> list[Line]:
    """About 3 queries : 2 page views : 1 dump download."""
    from kgraph.engine.sparql_text import analyse
    from kgraph.examples import load_examples
    from kgraph.iris import PREFIXES

    accepts = ["application/sparql-results+json", "text/csv"]
    queries = []
    for i, example in enumerate(load_examples()):
        form = analyse(example.text, prefixes=PREFIXES).form
        accept = accepts[i % 2] if form in ("SELECT", "ASK") else "text/turtle"
        queries.append(Line("POST", "/sparql", accept, urlencode({"query": example.text})))
    pages = [Line("GET", p, "text/html") for p in PAGES]
    dumps = [Line("GET", p, "*/*") for p in DUMPS]
    mix = queries * 3 + pages * 4 + dumps * 10
    return mix


def pathological_mix() -> list[Line]:
    return [Line("POST", "/sparql", "application/sparql-results+json"
                 if not text.startswith("CONSTRUCT") else "text/turtle",
                 urlencode({"query": text}))
            for text in PATHOLOGICAL.values()]


def check_mix(url: str, lines: list[Line]) -> None:
    """Every ordinary request answers 200 before the campaign starts."""
    for line in dict.fromkeys(lines):
        response = requests.request(
            line.method, url + line.path, data=line.body.encode() or None, timeout=120,
            headers={"Accept": line.accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"{line.method} {line.path}: {response.status_code}\n"
                               f"{response.text[:500]}")


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def run_wrk(url: str, lines: list[Line], seconds: float, connections: int, threads: int,
            timeout: float) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (the campaign needs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        out.write("\n".join(line.tsv() for line in lines) + "\n")
        requests_file = out.name
    try:
        command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
                   "--timeout", f"{timeout:g}s", "-s", str(LUA), url, "--", requests_file]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 600)
    finally:
        os.unlink(requests_file)
    line = next((x for x in done.stdout.splitlines() if x.startswith("CAMPAIGN_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        statuses={int(k): v for k, v in data["statuses"].items()},
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
    )


# ---------------------------------------------------------------------------
# Memory of the process tree
# ---------------------------------------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE")


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes (PSS is RSS when smaps_rollup is unreadable)."""
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0, 0
    pss = rss
    with contextlib.suppress(OSError, ValueError, StopIteration):
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        pss = int(next(x for x in rollup if x.startswith("Pss:")).split()[1]) * 1024
    return rss, pss


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests (``/proc/stat``): a virtual machine
    can be slowed by its neighbours without any process of its own being busy."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def all_cpu() -> dict[int, float]:
    return {int(e.name): cpu_seconds(int(e.name)) for e in Path("/proc").iterdir()
            if e.name.isdigit()}


def other_cpu(server: int, sampler: Sampler) -> float:
    """CPU seconds that other processes (not the server, wrk or this one) used since
    the run began: another benchmark on the same cores makes the figures meaningless."""
    ours = set(tree(server)) | set(tree(os.getpid()))
    before = sampler.cpu_at_start
    now = all_cpu()
    return sum(max(0.0, now[p] - before.get(p, 0.0)) for p in now
               if p not in ours and p not in sampler.seen)


def _is_executor(pid: int) -> bool:
    try:
        return b"child_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@dataclass
class Sampler:
    """Samples the tree's memory every ``interval`` seconds in a thread."""

    root: int
    interval: float = 1.0
    #: (seconds, phase, processes, RSS, PSS, PSS of the server's own processes: the
    #: granian main process and workers, without the sandboxes)
    samples: list[tuple[float, str, int, int, int, int]] = field(default_factory=list)
    phase: str = "idle"
    #: Every process of the server's tree seen (executors come and go).
    seen: set[int] = field(default_factory=set)
    cpu_at_start: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.cpu_at_start = all_cpu()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            pids = tree(self.root)
            self.seen.update(pids)
            rss = pss = own = 0
            for pid in pids:
                r, p = memory(pid)
                rss += r
                pss += p
                if not _is_executor(pid):
                    own += p
            self.samples.append(
                (time.monotonic() - start, self.phase, len(pids), rss, pss, own))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def of(self, phase: str) -> list[tuple[float, str, int, int, int]]:
        return [s for s in self.samples if s[1] == phase]


# ---------------------------------------------------------------------------
# The campaign
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    command: str
    args: argparse.Namespace
    unloaded: WrkResult
    #: One result per round of load.
    ordinary: list[WrkResult]
    pathological: list[WrkResult]
    memory_loaded: list[tuple[float, str, int, int, int]]
    memory_all: list[tuple[float, str, int, int, int]]
    logged_server_errors: int
    healthy_after: bool
    #: Load average (1 min) before and after: the machine should be otherwise idle.
    load_average: tuple[float, float] = (0.0, 0.0)
    #: CPU seconds used during the run by processes outside the server and wrk.
    other_cpu_seconds: float = 0.0
    #: CPU steal seconds (all cores) during the baseline and during each round.
    steal: list[float] = field(default_factory=list)

    # targets -------------------------------------------------------------
    @property
    def worst_p99(self) -> float:
        return max(r.latency_ms["p99"] for r in self.ordinary)

    @property
    def p99_ratio(self) -> float:
        return self.worst_p99 / max(self.unloaded.latency_ms["p99"], 1e-9)

    @property
    def ordinary_errors(self) -> int:
        return sum(r.server_errors for r in self.ordinary)

    @property
    def slowest_pathological_ms(self) -> float:
        return max(r.latency_ms["max"] for r in self.pathological)

    @property
    def pathological_statuses(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for r in self.pathological:
            for status, n in r.statuses.items():
                total[status] = total.get(status, 0) + n
        return dict(sorted(total.items()))

    @property
    def cut_limit_ms(self) -> float:
        return (self.args.budget + 2) * 1000

    @property
    def pathological_cut(self) -> bool:
        expected = {200, 503}
        return (self.slowest_pathological_ms <= self.cut_limit_ms
                and set(self.pathological_statuses) <= expected
                and all(r.errors["timeout"] == 0 for r in self.pathological))

    def idle_pss(self, phase: str, index: int = 4) -> float:
        values = [s[index] for s in self.memory_all if s[1] == phase]
        return statistics.mean(values) if values else 0.0

    def idle_processes(self, phase: str) -> str:
        """How many processes the tree had while idle in ``phase`` (a range if it varied)."""
        counts = sorted({s[2] for s in self.memory_all if s[1] == phase})
        if not counts:
            return "?"
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"

    @property
    def rounds(self) -> int:
        return len(self.ordinary)

    @property
    def idle_after_rounds(self) -> list[float]:
        """Whole-tree PSS, idle after each round of load."""
        return [self.idle_pss(f"after-{r}") for r in range(1, self.rounds + 1)]

    @property
    def memory_growth(self) -> float:
        """Idle after the last round against idle after the first: what the load keeps
        adding once caches are warm and executors have been replaced."""
        after = self.idle_after_rounds
        return after[-1] / after[0] - 1 if len(after) > 1 and after[0] else 0.0

    def own_growth(self) -> list[float]:
        """PSS of the server's own processes (no executors) in each tenth of the load:
        a leak grows from tenth to tenth, a warm-up levels off."""
        values = [s[5] for s in self.memory_loaded]
        tenth = max(1, len(values) // 10)
        return [statistics.mean(values[i:i + tenth]) for i in range(0, len(values), tenth)]

    def verdicts(self) -> list[tuple[str, str, bool]]:
        return [
            ("no 5xx on ordinary requests",
             f"{self.ordinary_errors} of {sum(r.requests for r in self.ordinary)}",
             self.ordinary_errors == 0 and self.unloaded.server_errors == 0),
            ("ordinary p99 loaded <= 5x unloaded (worst round)",
             f"{self.worst_p99:.1f} ms / "
             f"{self.unloaded.latency_ms['p99']:.1f} ms = {self.p99_ratio:.2f}x",
             self.p99_ratio <= 5),
            (f"every pathological request stopped within {self.args.budget:g} + 2 s",
             f"slowest {self.slowest_pathological_ms / 1000:.2f} s; statuses "
             f"{self.pathological_statuses}; timeouts "
             f"{sum(r.errors['timeout'] for r in self.pathological)}",
             self.pathological_cut),
            ("memory bounded: no growth across the run (whole tree, PSS, idle after the "
             "last round <= idle after the first + 10 %)",
             f"idle before the load {self.idle_pss('warm') / 2**20:.0f} MiB "
             f"({self.idle_processes('warm')} processes); after each round "
             + " -> ".join(f"{v / 2**20:.0f} MiB ({self.idle_processes(f'after-{r}')})"
                           for r, v in enumerate(self.idle_after_rounds, 1))
             + f" ({self.memory_growth * 100:+.1f} %); peak under load "
             f"{max(s[4] for s in self.memory_loaded) / 2**20:.0f} MiB; master and "
             "workers by tenth of the load: "
             + " ".join(f"{v / 2**20:.0f}" for v in self.own_growth()) + " MiB",
             self.rounds > 1 and self.memory_growth <= 0.10),
        ]


def campaign(args: argparse.Namespace, command: str) -> Outcome:
    ordinary, pathological = ordinary_mix(), pathological_mix()
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"campaign: warning: the machine is busy (load average {load_before:.2f}); "
              "the figures will show it", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="kgraph-campaign-") as folder:
        store = Path(folder) / "store"
        print(f"campaign: loading the shipped data into {store}", file=sys.stderr)
        done = subprocess.run([*kgraph_command(), "load", "--store", str(store)],
                              capture_output=True, text=True, env=clean_env(), timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"kgraph load failed:\n{done.stderr}")
        ordinary_results: list[WrkResult] = []
        steal: list[float] = []
        pathological_results: list[WrkResult] = []
        with production_server(store, args) as (url, pid, log):
            check_mix(url, ordinary)
            sampler = Sampler(pid)
            sampler.start()
            try:
                sampler.phase = "unloaded"
                print(f"campaign: unloaded baseline, 1 connection, {args.baseline:g} s",
                      file=sys.stderr)
                stolen = steal_seconds()
                unloaded = run_wrk(url, ordinary, args.baseline, 1, 1, 30)
                steal.append(steal_seconds() - stolen)
                sampler.phase = "warm"  # idle, after the warm-up the baseline gave
                time.sleep(IDLE_SECONDS)
                for round_ in range(1, args.rounds + 1):
                    sampler.phase = "loaded"
                    print(f"campaign: round {round_} of {args.rounds}: loaded, "
                          f"{args.connections} ordinary + {args.pathological_connections} "
                          f"pathological connections, {args.duration:g} s", file=sys.stderr)
                    bad = threading.Thread(target=lambda: pathological_results.append(
                        run_wrk(url, pathological, args.duration,
                                args.pathological_connections, 1, args.budget + 30)))
                    stolen = steal_seconds()
                    bad.start()
                    ordinary_results.append(run_wrk(url, ordinary, args.duration,
                                                    args.connections, args.threads, 30))
                    bad.join()
                    steal.append(steal_seconds() - stolen)
                    sampler.phase = "draining"  # queries cut at the end still run
                    time.sleep(args.budget + 2)
                    sampler.phase = f"after-{round_}"  # idle: what the round left behind
                    time.sleep(IDLE_SECONDS)
            finally:
                sampler.stop()
            healthy = requests.get(url + "/health", timeout=30).status_code == 200
            logged = sum(1 for x in log.read_text(errors="replace").splitlines()
                         if " -> 5" in x and "ERROR" in x)
        log.unlink(missing_ok=True)
    return Outcome(command, args, unloaded, ordinary_results, pathological_results,
                   sampler.of("loaded"), sampler.samples, logged, healthy,
                   (load_before, os.getloadavg()[0]), other_cpu(pid, sampler), steal)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _statuses(result: WrkResult) -> str:
    return ", ".join(f"{s}: {n}" for s, n in sorted(result.statuses.items()))


def render(outcome: Outcome) -> str:
    o = outcome
    mem = o.memory_loaded
    peak_rss = max(s[3] for s in o.memory_all) / 2**20
    peak_pss = max(s[4] for s in o.memory_all) / 2**20
    lines = [
        "# Load campaign: the last result",
        "",
        f"Command: `{o.command}`",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.node() or '?'}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"server `server.py --workers {o.args.workers} --executors {o.args.executors} "
        f"--query-timeout {o.args.budget:g} --store DIR` (granian; query memory allowance "
        f"{memory_limit() >> 20} MB) on loopback, shipped data; load by wrk.",
        "",
        "| phase | connections | seconds | requests | req/s | p50 ms | p99 ms | max ms | "
        "answers by status | socket errors | CPU steal (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    steal = [*o.steal, *[0.0] * (1 + o.rounds - len(o.steal))]
    rows = [("ordinary, unloaded", o.unloaded, 1, steal[0])]
    for number, (good, bad) in enumerate(zip(o.ordinary, o.pathological, strict=True), 1):
        rows += [(f"round {number}: ordinary, loaded", good, o.args.connections,
                  steal[number]),
                 (f"round {number}: pathological, alongside", bad,
                  o.args.pathological_connections, steal[number])]
    for name, result, connections, stolen in rows:
        errors = sum(result.errors.values())
        lines.append(
            f"| {name} | {connections} | {result.seconds:.0f} | {result.requests} | "
            f"{result.requests / result.seconds:.1f} | {result.latency_ms['p50']:.1f} | "
            f"{result.latency_ms['p99']:.1f} | {result.latency_ms['max']:.0f} | "
            f"{_statuses(result)} | {errors} | {stolen:.1f} |"
        )
    lines += [
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in o.verdicts()],
        "",
        f"Memory of the server's process tree (granian main process, {o.args.workers} workers, "
        f"their query executors), sampled every second: peak RSS {peak_rss:.0f} MiB, peak "
        f"PSS {peak_pss:.0f} MiB; {len(mem)} samples under load, "
        f"{min(s[2] for s in mem)}-{max(s[2] for s in mem)} processes (executors that "
        "overrun their budget are killed and replaced).  5xx lines in the server log: "
        f"{o.logged_server_errors} (the 503s of cut pathological queries); "
        f"/health after the run: {'200' if o.healthy_after else 'failed'}.",
        "",
        f"Machine while measuring: load average {o.load_average[0]:.2f} before, "
        f"{o.load_average[1]:.2f} after; other processes used {o.other_cpu_seconds:.0f} "
        "CPU seconds during the run, and the hypervisor took "
        f"{sum(o.steal):.1f} CPU seconds (steal; per phase in the first table)"
        + (" - the machine was busy, so these figures understate the server."
           if o.other_cpu_seconds > 0.1 * (o.args.rounds * o.args.duration
                                            + o.args.baseline) else
           " (an otherwise idle machine)."),
        "",
        "The ordinary mix: the 20 example queries of the query page (POST, JSON or CSV "
        "results, Turtle for CONSTRUCT), page views (" + ", ".join(PAGES[:5]) + ", resource "
        "pages) and both dumps, about 3 : 2 : 1.  Pathological: "
        + "; ".join(PATHOLOGICAL) + ".  A pathological query is cut when it reaches its "
        "budget or its memory allowance (503 with a message saying which, its executor "
        "killed and replaced) or answered 200 when the row cap ends it sooner.",
        "",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.campaign",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60, help="seconds under load (60)")
    p.add_argument("--baseline", type=float, default=20, help="seconds unloaded (20)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of load, idle in between; memory growth compares idle "
                        "after the last round with idle after the first (3)")
    p.add_argument("--connections", type=int, default=4,
                   help="wrk connections replaying the ordinary mix under load (4)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads for them (2)")
    p.add_argument("--pathological-connections", type=int, default=2,
                   help="connections sending only pathological queries meanwhile (2)")
    p.add_argument("--budget", type=float, default=5, help="query time budget, seconds (5)")
    p.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    p.add_argument("--executors", type=int, default=2, help="executors per worker (2)")
    p.add_argument("--output", type=Path, default=REPORT,
                   help=f"where to write the result (default {REPORT.relative_to(ROOT)})")
    p.add_argument("--no-write", action="store_true", help="print only")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    command = shlex.join(["python", "-m", "bench.campaign", *argv])
    outcome = campaign(args, command)
    text = render(outcome)
    print(text)
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
        print(f"campaign: written to {args.output}", file=sys.stderr)
    return 0 if all(ok for _, _, ok in outcome.verdicts()) and outcome.healthy_after else 1


if __name__ == "__main__":
    sys.exit(main())
