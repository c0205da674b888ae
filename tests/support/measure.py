"""What the hostile tests measure of a running server: its worker processes and their
memory, and what a socket that a client never reads from still holds."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .processes import children, executors_below
from .server import ServerURL


def worker_pids(url: ServerURL) -> list[int]:
    """The server's worker processes (the main process's children that are not sandboxes)."""
    sandboxes = set(executors_below(url.process.pid))
    return sorted(children(url.process.pid) - sandboxes)


def private_memory(pid: int) -> int:
    """Resident, not file-backed memory of a process, in bytes."""
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")


def workers_memory(url: ServerURL) -> int:
    """The private memory of all the server's workers together, in bytes."""
    return sum(private_memory(pid) for pid in worker_pids(url))


class PeakMemory:
    """The highest :func:`workers_memory` seen while the ``with`` block runs (sampled
    every 50 ms), and the level before it."""

    def __init__(self, url: ServerURL) -> None:
        self.url = url
        self.before = self.peak = workers_memory(url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):  # a worker was replaced
                self.peak = max(self.peak, workers_memory(self.url))
            time.sleep(0.05)

    @property
    def growth(self) -> int:
        return self.peak - self.before


def host_port(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def unread_request(url: str, head: str) -> socket.socket:
    """A connection that sends ``head`` (a whole request head, CRLF lines) and then
    never reads: its receive buffer is as small as the kernel allows, so that what
    the server cannot hand over stays with the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(host_port(url))
    sock.sendall(head.encode())
    return sock


def closed_by_server(sock: socket.socket, within: float,
                     done: Callable[[bytes], bool] | None = None) -> tuple[bool, bytes]:
    """Read what ``sock`` gets for up to ``within`` seconds: (whether the server closed
    the connection, what arrived).  With ``done``, stop early once what arrived
    satisfies it."""
    sock.settimeout(0.2)
    data = bytearray()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        except OSError:
            return True, bytes(data)
        if not chunk:
            return True, bytes(data)
        data += chunk
        if done is not None and done(bytes(data)):
            return False, bytes(data)
    return False, bytes(data)
