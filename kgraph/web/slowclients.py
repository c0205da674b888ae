"""gunicorn's threaded worker, with a time limit on every read and write of a client.

gunicorn's ``gthread`` worker hands a connection to a thread once its first bytes
arrive, and the thread then reads the rest of the request with a blocking socket
and no time limit.  A dozen connections that send half a request line and then
nothing ("slowloris") therefore held every thread of a two-worker server, and it
stopped answering anyone (measured with gunicorn 27).  Here a connection's socket
gets a timeout instead of blocking forever: a client that keeps the server waiting
longer than :data:`IO_TIMEOUT` for the next bytes of its request (or to take the
next bytes of the answer) is disconnected, and its thread is free again.  A stall
inside the body the application reads is answered ``408`` (:mod:`kgraph.web.errors`).

This bounds how long a stalled client holds a thread; it does not stop an attacker
who keeps opening such connections (one every second or so per thread): a server
that faces the internet belongs behind a reverse proxy that buffers requests
(nginx, a cloud load balancer), where this never triggers.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

#: Seconds a client may keep the server waiting between bytes of a request.
IO_TIMEOUT = 10.0


class TimedSocket:
    """A client socket whose blocking mode is a timeout (all else is the socket's)."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def setblocking(self, flag: bool) -> None:
        self._sock.settimeout(IO_TIMEOUT if flag else 0.0)

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(IO_TIMEOUT if value is None else value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _QuietTimeouts(logging.Filter):
    """A client that timed out is an info line, not an error with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TimeoutError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args, record.exc_info = "a client timed out; disconnected", (), None
        return True


class Worker(ThreadWorker):
    """``gthread`` with :class:`TimedSocket` connections."""

    def init_process(self) -> None:
        self.log.error_log.addFilter(_QuietTimeouts())
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if not self.cfg.is_ssl and not isinstance(conn.sock, TimedSocket):
            conn.sock = TimedSocket(conn.sock)
        super().enqueue_req(conn)
