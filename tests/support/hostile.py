"""What the hostile-input tests share: the corpus, a raw HTTP client, a counting
listener, a production server over an on-disk store, and the checks every answer
must pass.

The corpus lives in ``tests/hostile/`` (see its README).  Requests are sent byte for
byte over a socket (:func:`raw_request`), because ordinary clients refuse to send
most of them (bad framing, raw control characters, unnormalised ``..``).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path

import requests

from .env import clean_env
from .server import ROOT, ServerURL, running_server

CORPUS = ROOT / "tests" / "hostile"
#: The operator token of the hostile servers (a test secret, never a real one).
TOKEN = "hostile-operator-token"


# ---------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    #: True when the server closed the connection without an HTTP answer.
    dropped: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def raw_request(
    url: str,
    method: str = "GET",
    target: str = "/",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    timeout: float = 60,
    raw: bytes | None = None,
) -> Answer:
    """Send one request exactly as given and read the answer (``Connection: close``)."""
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    if raw is None:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        # The server may answer (413, 400) before it has read everything.  No
        # half-close: the HTTP server (hyper, in granian) drops a connection whose
        # client shuts its sending side before the answer, as real clients never do.
        with contextlib.suppress(OSError):
            sock.sendall(raw)
        response = HTTPResponse(sock, method=method)
        try:
            response.begin()
        except (ConnectionResetError, OSError) as error:
            if isinstance(error, TimeoutError):
                raise
            return Answer(0, {}, b"", dropped=True)
        except Exception:  # http.client.RemoteDisconnected, BadStatusLine
            return Answer(0, {}, b"", dropped=True)
        try:
            data = response.read()
        except Exception:  # an answer cut short (413 before the body was read)
            data = b""
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


# ---------------------------------------------------------------------------
# A listener that counts connections (loopback, IPv4 and IPv6, one port)
# ---------------------------------------------------------------------------


class Listener:
    """Accepts connections on 127.0.0.1 and ::1 on one port, and records each."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, bytes]] = []
        self._stop = threading.Event()
        self.sockets: list[socket.socket] = []
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self.sockets.append(v4)
        with contextlib.suppress(OSError):
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", self.port))
            self.sockets.append(v6)
        self._threads = []
        for sock in self.sockets:
            sock.listen(64)
            sock.settimeout(0.2)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append((str(peer), conn.recv(4096)))
                except OSError:
                    self.hits.append((str(peer), b""))

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in self.sockets:
            sock.close()


# ---------------------------------------------------------------------------
# The store and the production server
# ---------------------------------------------------------------------------


def kgraph(*args: str, env: dict[str, str] | None = None, timeout: float = 600,
           **kwargs) -> subprocess.CompletedProcess:
    """Run the real ``kgraph`` command."""
    script = Path(sys.executable).with_name("kgraph")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kgraph.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True,
                          env=env if env is not None else cli_env(), timeout=timeout, **kwargs)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for the CLI (:func:`support.env.clean_env`)."""
    return clean_env(**extra)


def load_store(store: Path) -> Path:
    """``kgraph load --store STORE`` of the shipped data; the published snapshot."""
    done = kgraph("load", "--store", str(store))
    assert done.returncode == 0, done.stderr
    return current_target(store)


def current_target(store: Path) -> Path:
    return (store / os.readlink(store / "current")).resolve()


@contextlib.contextmanager
def production_server(store: Path, *args: str, budget: float = 3) -> Iterator[ServerURL]:
    """The server with 2 workers over ``store``, the operator token set, short budgets
    (a body that does not arrive in full is answered 408 after 5 s)."""
    with running_server(
        "--store", str(store), "--workers", "2", "--query-timeout", str(budget),
        "--body-timeout", "5", "--header-timeout", "5", *args,
        env={"KGRAPH_UPDATE_TOKEN": TOKEN},
    ) as url:
        yield url


@dataclass
class Served:
    """What a server serves: its snapshot, the dump's content and its ETag."""

    snapshot: str
    nquads: bytes
    etag: str
    quads: set[str] = field(default_factory=set)


def served(url: str, store: Path | None = None) -> Served:
    health = requests.get(url + "health", timeout=30).json()
    dump = requests.get(url + "dumps/kgraph.nq.gz", timeout=120)
    assert dump.status_code == 200
    nquads = gzip.decompress(dump.content)
    if store is not None:
        assert current_target(store).name == health["snapshot"]
    return Served(health["snapshot"], nquads, dump.headers.get("ETag", ""),
                  set(nquads.decode().splitlines()))


# ---------------------------------------------------------------------------
# What no error answer may contain
# ---------------------------------------------------------------------------

_OWN_PATHS = {str(ROOT), sys.prefix, sys.base_prefix, os.path.expanduser("~")}
#: Signs of server internals in an answer: tracebacks, exception names, the server's
#: own paths (its checkout, its Python), versions of the software it runs.
INTERNALS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
    + "|".join(re.escape(p) for p in _OWN_PATHS if len(p) > 1)
    + r"|site-packages|dist-packages|/usr/lib/python|"
    r"Werkzeug/\d|gunicorn/\d|Python/\d|[Oo]xigraph/\d|"
    r"\b(?:ValueError|KeyError|TypeError|AttributeError|RuntimeError|OSError|IndexError|"
    r"UnicodeDecodeError|PanicException)\b",
)


def internals(answer: Answer) -> list[str]:
    """The signs of server internals in an answer's body and headers (none expected)."""
    found = INTERNALS.findall(answer.text)
    found += [f"{name}: {value}" for name, value in answer.headers.items()
              if INTERNALS.search(value)]
    return found


def follow_local_redirect(url: str, answer: Answer) -> Answer:
    """The answer at the end of a redirect within the same server (at most 3 hops).

    Werkzeug redirects ``/id//x`` to ``/id/x`` (merging slashes); that is neither a
    leak nor an error, so the check applies to where it leads.
    """
    for _ in range(3):
        if answer.status not in (301, 302, 303, 307, 308):
            return answer
        location = answer.headers.get("location", "")
        assert location.startswith((url, "/")) and not location.startswith("//"), (
            f"a redirect off the server: {location}"
        )
        target = "/" + location[len(url):] if location.startswith(url) else location
        answer = raw_request(url, "GET", target)
    return answer


def check_error_answer(answer: Answer, expected: Sequence[int], what: str) -> None:
    """A clear 4xx among ``expected``, never 5xx, no internals."""
    assert not answer.dropped, f"{what}: the connection was dropped without an answer"
    assert answer.status < 500, f"{what}: {answer.status}\n{answer.text[:500]}"
    assert answer.status in expected, (
        f"{what}: {answer.status}, expected {list(expected)}\n{answer.text[:500]}"
    )
    assert not internals(answer), f"{what}: server internals in the answer: {internals(answer)}"
    if 400 <= answer.status < 500 and answer.body:
        assert answer.text.strip(), f"{what}: an empty error message"
