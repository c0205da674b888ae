"""Start the real server (``python server.py``) as a subprocess on a free loopback port.

Usage::

    from tests.support.server import running_server

    with running_server("--data", "my.trig", env={"KGRAPH_UPDATE_TOKEN": "t"}) as url:
        requests.get(url + "sparql", params={"query": "ASK {}"})

The context manager yields the base URL (``http://127.0.0.1:PORT/``), a ``str`` that
also has ``.process`` (the :class:`subprocess.Popen`) and ``.log()`` (what the server
wrote to stderr so far: startup lines, the access log, errors).  It waits for
``/health`` to answer, and stops the server (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from kgraph.config import DEFAULT_BASE

from .env import clean_env

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server.py"

#: How long a start may take: the first start on a fresh machine validates the shipped data.
START_TIMEOUT = float(os.environ.get("KGRAPH_TEST_START_TIMEOUT", "300"))


class ServerURL(str):
    """The base URL of a running server, with its process and log."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT,
    base_is_url: bool = False,
    wait_for_health: bool = True,
) -> Iterator[ServerURL]:
    """Run ``server.py *args`` on 127.0.0.1 and a free port until the block ends.

    The base is ``http://localhost:8000/`` (the IRIs of a default deployment), or with
    ``base_is_url`` the server's own URL (its links then lead back to it).  Without
    ``wait_for_health`` any HTTP answer of ``/health`` counts (a server whose backend
    is down answers 503)."""
    port = free_port()
    child_env = clean_env()
    # The data's IRIs stay those of a default local deployment whatever the port
    # (the server's own default base would follow the port).
    child_env["KGRAPH_BASE"] = f"http://127.0.0.1:{port}/" if base_is_url else DEFAULT_BASE
    child_env.update(env or {})
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
        prefix="kgraph-server-", suffix=".log", delete=False
    )
    command = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", str(port), *args]
    process = subprocess.Popen(
        command, stdout=log_file, stderr=subprocess.STDOUT, env=child_env, cwd=str(ROOT)
    )
    url = ServerURL(f"http://127.0.0.1:{port}/")
    url.process = process
    url.log_path = Path(log_file.name)
    try:
        _wait_for_health(url, process, timeout, wait_for_health)
        yield url
    finally:
        _stop(process)
        log_file.close()
        with contextlib.suppress(OSError):
            os.unlink(log_file.name)


def _wait_for_health(url: ServerURL, process: subprocess.Popen, timeout: float,
                     healthy: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{url.log()}")
        try:
            status = requests.get(url + "health", timeout=2).status_code
            if status == 200 or not healthy:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"server did not answer /health within {timeout} s:\n{url.log()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
