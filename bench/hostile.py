"""The hostile corpus against one running server, measured: ``python -m bench.hostile``.

Prints three measurements that the issue "Security by construction" asks for, on
the production server (``server.py --workers 2 --store DIR``, the operator token
set, ``--proxy-hops 1`` so that one machine can speak as several clients):

1. the private memory (resident, not file-backed) of the server's worker processes
   - the web processes, not their sandboxes - before and after the whole hostile
   corpus of ``tests/hostile/`` (every HTTP case, malformed and heavy query, upload
   and path) and the entity, nesting and entry-stub bombs;
2. the median time of a simple query (``ASK``) and of the home page from one client
   while another sends eight runaway queries at once;
3. how long ten clients that trickle a request head one byte at a time hold on
   before the server cuts them, and the same for a body that never arrives.

Nothing here is a test: it prints what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import requests

from .servers import ROOT, kgraph_server, started

CORPUS = ROOT / "tests" / "hostile"
TOKEN = "bench-hostile-token"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def worker_memory(main_pid: int) -> dict[int, int]:
    """Private memory (bytes) of each worker process of the server."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == main_pid and b"kgraph.engine.worker" not in cmdline:
            found[int(entry)] = (int(statm[1]) - int(statm[2])) * os.sysconf("SC_PAGE_SIZE")
    return found


def raw(url: str, data: bytes, timeout: float = 60) -> None:
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.recv(65536)
        except OSError:
            pass


def replay_corpus(url: str) -> int:
    """Send everything in tests/hostile; returns how many requests were sent."""
    sent = 0
    cases = tomllib.loads((CORPUS / "http.toml").read_text("utf-8"))["case"]
    for case in cases:
        if "raw" in case:
            raw(url, case["raw"].encode())
        else:
            # a value that is not ASCII goes as its UTF-8 bytes, as the tests send it
            headers = {k: v if v.isascii() else v.encode() for k, v in case.get("headers", [])}
            if case.get("auth") == "valid":
                headers["Authorization"] = f"Bearer {TOKEN}"
            body = case.get("body", "").encode()
            if "body_repeat" in case:
                body = (case["body_repeat"]["text"] * case["body_repeat"]["times"]).encode()
            target = case.get("target", "/sparql")
            with contextlib.suppress(requests.RequestException):
                requests.request(case.get("method", "GET").upper(), url + target.lstrip("/"),
                                 headers=headers, data=body, timeout=60)
        sent += 1
    for path in sorted((CORPUS / "sparql").glob("*/*.rq")):
        text = path.read_text("utf-8", errors="replace")
        with contextlib.suppress(requests.RequestException):
            requests.post(url + "sparql", data={"query": text}, timeout=120,
                          headers={"X-Forwarded-For": f"203.0.113.{sent % 200}"})
        sent += 1
    uploads = CORPUS / "uploads"
    for path in sorted(uploads.iterdir()):
        if path.name == "expect.toml":
            continue
        requests.post(url + "validation", files={"file": (path.name, path.read_bytes())},
                      headers={"Accept": "application/json"}, timeout=300)
        sent += 1
    for line in (CORPUS / "paths.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            for template in ("/id/{}", "/dumps/{}", "/static/{}"):
                with_value = template.format(quote(line, safe="%/"))
                with contextlib.suppress(requests.RequestException):
                    requests.get(url + with_value.lstrip("/"), timeout=30)
                sent += 1
    bombs = {
        "laughs.rdf": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                      + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a;" * 10) for i in range(9))
                      + b']><r a="&a8;"/>',
        "deep.ttl": b"<a> <b> " + b"<<( <s> <p> " * 30000 + b"<o>" + b" )>>" * 30000 + b" .",
        "entries.ttl": "\n".join(
            f'<id/plan/kawasaki-2022/entry/9{n:05d}> a <https://w3id.org/kgraph/ontology#'
            f'PlanEntry> ; <http://www.w3.org/2000/01/rdf-schema#label> "stub {n}"@ja .'
            for n in range(12000)).encode(),
    }
    for name, data in bombs.items():
        requests.post(url + "validation", files={"file": (name, data)}, timeout=300,
                      headers={"Accept": "application/json"})
        sent += 1
    return sent


def under_runaways(url: str, budget: float) -> tuple[float, float, list[int]]:
    statuses: list[int] = []

    def run_away() -> None:
        statuses.append(requests.post(url + "sparql", data={"query": RUNAWAY}, timeout=budget + 60,
                                      headers={"X-Forwarded-For": "198.51.100.1"}).status_code)

    threads = [threading.Thread(target=run_away) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    asks, pages = [], []
    other = {"X-Forwarded-For": "198.51.100.2"}
    for _ in range(20):
        t = time.monotonic()
        requests.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=other,
                     timeout=30)
        asks.append(time.monotonic() - t)
        t = time.monotonic()
        requests.get(url, headers=other, timeout=30)
        pages.append(time.monotonic() - t)
    for thread in threads:
        thread.join()
    return statistics.median(asks), statistics.median(pages), sorted(statuses)


def trickle(url: str, head: bool, clients: int = 10, limit: float = 120) -> float:
    """Seconds until the last of ``clients`` trickling connections was cut."""
    host, port = url.split("//")[1].rstrip("/").split(":")

    def one() -> float:
        start = time.monotonic()
        with socket.create_connection((host, int(port))) as sock:
            sock.settimeout(1)
            if not head:
                sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                             b"Content-Type: application/sparql-query\r\n\r\n")
            while time.monotonic() - start < limit:
                try:
                    sock.sendall(b"G" if head else b" ")
                    if not sock.recv(1024):
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
        return time.monotonic() - start

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return max(pool.map(lambda _: one(), range(clients)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=float, default=5.0, help="query and validation budget (5 s)")
    p.add_argument("--workers", type=int, default=2, help="server workers (2)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:
        store = Path(folder) / "store"
        done = subprocess.run([sys.executable, "-m", "kgraph.cli", "load", "--store", str(store)],
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        server = kgraph_server(
            store=str(store), workers=args.workers, base="http://localhost:8000/",
            extra=["--query-timeout", str(args.budget), "--validation-timeout",
                   str(args.budget), "--proxy-hops", "1", "--header-timeout", "5",
                   "--body-timeout", "5"])
        server.env.update({"KGRAPH_UPDATE_TOKEN": TOKEN,
                           "KGRAPH_CACHE_DIR": str(Path(folder) / "cache")})
        with started(server) as running:
            time.sleep(2)
            before = worker_memory(running.process.pid)
            began = time.monotonic()
            sent = replay_corpus(running.url)
            took = time.monotonic() - began
            time.sleep(2)
            after = worker_memory(running.process.pid)
            ask, page, statuses = under_runaways(running.url, args.budget)
            head_cut = trickle(running.url, head=True)
            body_cut = trickle(running.url, head=False)
            health = requests.get(running.url + "health", timeout=30).json()
    mib = 1 << 20
    print(f"server: {args.workers} workers, budgets {args.budget:g} s, sandbox network "
          f"{health['network_isolation']}")
    print(f"1. web process private memory, per worker, before -> after the hostile corpus "
          f"({sent} requests in {took:.0f} s):")
    for pid in sorted(before):
        print(f"   worker {pid}: {before[pid] / mib:.1f} MiB -> "
              f"{after.get(pid, 0) / mib:.1f} MiB")
    print(f"2. under 8 runaway queries from another client: median ASK {ask * 1000:.0f} ms, "
          f"median home page {page * 1000:.0f} ms; the runaways answered {statuses}")
    print(f"3. 10 clients trickling a request head, 1 byte/s: cut after {head_cut:.1f} s "
          f"(header deadline 5 s); a body trickled 1 byte/s: cut after {body_cut:.1f} s "
          f"(body deadline 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
