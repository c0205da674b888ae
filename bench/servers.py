"""Starting the servers under test, timing their cold start and sampling their memory.

Every server runs as a child process in its own session (process group), on a free
loopback port, and is stopped by signalling that group: the granian main process, its
workers and their query executors go together.

Memory is sampled from ``/proc`` every 100 ms over the whole process tree: the sum of
the resident set sizes (RSS, which counts pages shared between processes once per
process, as ``ps`` does) and the sum of the proportional set sizes (PSS, which splits
each shared page between the processes that map it, so that the tree's total is what
the machine really spends).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str:
    """An executable of this Python environment (oxigraph, rdflib-endpoint), else PATH's."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


# ---------------------------------------------------------------------------
# Memory of a process tree
# ---------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ..." - comm may contain spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _kib(path: str, key: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process tree (live processes only)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(RSS KiB, PSS KiB, number of processes) of a process tree now."""
    pids = tree(pid)
    rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return rss, pss, len(pids)


class MemorySampler:
    """Samples a process tree's memory in a thread; keeps the peaks."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss, count = tree_memory(self.pid)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.processes = max(self.processes, count)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------
# A server under test
# ---------------------------------------------------------------------------


@dataclass
class Server:
    """How to start one server and where it answers SPARQL queries."""

    name: str
    command: list[str]
    query_path: str  # the SPARQL query path on the server (/sparql, /query)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = str(ROOT)
    startup_timeout: float = 600.0


@dataclass
class Running:
    """A started server: its base URL, process, cold start and memory sampler."""

    server: Server
    url: str
    process: subprocess.Popen
    cold_start_s: float
    log_path: str
    sampler: MemorySampler

    @property
    def endpoint(self) -> str:
        return self.url + self.server.query_path.lstrip("/")

    def log(self) -> str:
        return Path(self.log_path).read_text(encoding="utf-8", errors="replace")


PROBE = "ASK { ?s ?p ?o }"


def _answered(endpoint: str) -> bool:
    try:
        r = requests.post(
            endpoint,
            data={"query": PROBE},
            headers={"Accept": "application/sparql-results+json"},
            timeout=5,
        )
    except requests.RequestException:
        return False
    return r.status_code == 200 and b"true" in r.content


@contextlib.contextmanager
def started(server: Server, port: int | None = None):  # type: ignore[no-untyped-def]
    """Start ``server``; yield :class:`Running` once it has answered a query.

    The cold start is the time from ``Popen`` to the first answered query
    (``ASK { ?s ?p ?o }`` answered ``true``, so the data is there, not just a socket).
    """
    port = port or free_port()
    command = [part.replace("{port}", str(port)) for part in server.command]
    env = dict(os.environ)
    env.update(server.env)
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
        prefix=f"bench-{server.name}-", suffix=".log", delete=False
    )
    url = f"http://127.0.0.1:{port}/"
    endpoint = url + server.query_path.lstrip("/")
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=server.cwd,
        start_new_session=True,
    )
    sampler = MemorySampler(process.pid)
    sampler.__enter__()
    try:
        while not _answered(endpoint):
            if process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {process.returncode}:\n"
                    + Path(log.name).read_text(errors="replace")[-3000:]
                )
            if time.monotonic() - start > server.startup_timeout:
                raise RuntimeError(
                    f"{server.name} did not answer within {server.startup_timeout} s"
                )
            time.sleep(0.01)
        cold = time.monotonic() - start
        yield Running(server, url, process, cold, log.name, sampler)
    finally:
        sampler.__exit__()
        stop(process)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# ---------------------------------------------------------------------------
# The three servers
# ---------------------------------------------------------------------------


def kgraph_server(
    *, store: str | None = None, workers: int = 2, executors: int | None = None,
    base: str, extra: list[str] | None = None, name: str = "kgraph",
) -> Server:
    """``python server.py`` (granian, ``workers`` worker processes), logging as deployed (INFO:
    one access-log line per request)."""
    command = [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1",
               "--port", "{port}", "--base", base, "--workers", str(workers)]
    if store:
        command += ["--store", store]
    if executors:
        command += ["--executors", str(executors)]
    # wrk's connections all come from one address and stand for many clients: without
    # this, the per-client limit (--client-queries, 2) answers most of them 429.
    command += ["--client-queries", "64", *(extra or [])]
    env = {k: "" for k in os.environ if k.startswith("KGRAPH_") and k != "KGRAPH_CACHE_DIR"}
    return Server(name, command, "/sparql", env=env)


def oxigraph_server(location: str) -> Server:
    """``oxigraph serve-read-only`` on a store loaded from the same quads."""
    return Server(
        "oxigraph",
        [tool("oxigraph"), "serve-read-only", "--location", location,
         "--bind", "127.0.0.1:{port}", "--union-default-graph"],
        "/query",
    )


def rdflib_endpoint_server(nquads: str) -> Server:
    """``rdflib-endpoint serve`` on an N-Quads dump of the same data (union default graph)."""
    return Server(
        "rdflib-endpoint",
        [tool("rdflib-endpoint"), "serve", nquads, "--host", "127.0.0.1", "--port", "{port}"],
        "/",
    )


def ceiling_server(name: str, store: str) -> Server:
    """One of :mod:`bench.ceilings`' Flask apps under granian, reading kgraph's snapshot
    store."""
    from .ceilings import ENV_STORE, server_command

    env = {k: "" for k in os.environ if k.startswith("KGRAPH_")}
    env.update({ENV_STORE: store, "PYTHONPATH": str(ROOT)})
    return Server(name, server_command(name), "/sparql", env=env)
