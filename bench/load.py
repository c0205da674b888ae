"""Driving a server with the mix: wrk for throughput, one client for per-query latency.

Throughput and latency under load come from ``wrk`` (a C load generator: on a 2-core
machine a Python client would itself be the bottleneck), replaying the mix round
robin over several keep-alive connections for a fixed time (``bench/mix.lua``).

Per-query latency comes from one sequential ``requests`` session (the median of a
few repetitions of each request), which also checks that every server answers every
request of the mix, and counts the answer's solutions or triples so that the
servers' answers can be compared.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests

from .mix import GRAPH_TYPE, Mix, Request

LUA = Path(__file__).with_name("mix.lua")


class WrkMissing(RuntimeError):
    pass


@dataclass
class LoadResult:
    """What wrk measured."""

    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(
            "wrk is not installed: `apt-get install wrk` (Debian) - the benchmark needs a "
            "real load generator"
        )
    return path


def run_wrk(
    mix: Mix, url: str, query_path: str, *, seconds: float, connections: int, threads: int = 1,
    timeout: float = 30.0,
) -> LoadResult:
    """Replay the mix against ``url`` for ``seconds`` with ``connections`` clients."""
    with tempfile.NamedTemporaryFile("w", suffix=".mix", delete=False) as f:
        requests_file = f.name
    try:
        mix.write_wrk_file(requests_file, "/" + query_path.lstrip("/"))
        command = [
            wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
            "--timeout", f"{timeout:g}s", "-s", str(LUA), url.rstrip("/"), "--", requests_file,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        Path(requests_file).unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
    )


@dataclass
class QueryTiming:
    """One request of the mix, sent sequentially."""

    request: Request
    status: int
    size: int  # solutions or triples in the answer (-1: unreadable)
    median_ms: float
    error: str = ""


@dataclass
class Sequential:
    timings: list[QueryTiming] = field(default_factory=list)

    @property
    def failures(self) -> list[QueryTiming]:
        return [t for t in self.timings if t.status != 200]

    def median_ms(self) -> float:
        return statistics.median(t.median_ms for t in self.timings)

    def by_kind(self) -> dict[str, float]:
        kinds: dict[str, list[float]] = {}
        for t in self.timings:
            kinds.setdefault(t.request.kind, []).append(t.median_ms)
        return {k: statistics.median(v) for k, v in sorted(kinds.items())}


def answer_size(response: requests.Response, request: Request) -> int:
    """Solutions (SELECT) or triples (CONSTRUCT/DESCRIBE) in an answer."""
    try:
        if request.accept == GRAPH_TYPE:
            return len(list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)))
        data = response.json()
        if "boolean" in data:
            return 1 if data["boolean"] else 0
        return len(data["results"]["bindings"])
    except Exception:
        return -1


def run_sequential(mix: Mix, endpoint: str, repeat: int = 3, timeout: float = 120) -> Sequential:
    """Each request of the mix ``repeat`` times in a row; the median time of each."""
    out = Sequential()
    with requests.Session() as session:
        for request in mix.requests:
            times = []
            status, size, error = 0, -1, ""
            for _ in range(repeat):
                start = time.perf_counter()
                try:
                    r = session.post(
                        endpoint,
                        data=request.form(),
                        headers={
                            "Accept": request.accept,
                            "Content-Type": "application/x-www-form-urlencoded",
                        },
                        timeout=timeout,
                    )
                    body = r.content
                except requests.RequestException as exc:
                    status, error = 0, str(exc)
                    break
                times.append((time.perf_counter() - start) * 1000)
                status = r.status_code
                if status != 200:
                    error = body[:300].decode("utf-8", "replace")
                    break
            if status == 200:
                size = answer_size(r, request)
            out.timings.append(
                QueryTiming(request, status, size, statistics.median(times) if times else 0, error)
            )
    return out
