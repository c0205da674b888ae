"""Fair sharing of the sandboxes: a per-client limit, and room kept for everyone else.

Runaway queries are cut at their budget, but while they run they hold a sandbox, a
server thread and a share of the CPU.  Eight of them from one client stalled every
query and, under the old gunicorn server, the pages too.  So:

* **per client** (its address; behind a proxy, ``--proxy-hops`` says how many
  ``X-Forwarded-For`` entries to trust) at most ``--client-queries`` queries and
  updates, and one validation, run at a time; one more is answered ``429`` with
  ``Retry-After`` at once, without waiting;
* **per server process** at most :data:`WORK_SHARE` of its threads wait for
  sandboxes; the rest stay free for pages, dumps and short answers (``503`` with
  ``Retry-After`` beyond).

A client's slots are lock files held with ``flock`` in the server's run directory,
so the limit holds across worker processes, and a slot is released by the kernel
when its holder dies.  Client addresses are hashed into a fixed number of slot
files: the directory cannot grow with the number of clients.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from ...messages import message
from .errors import ApiError

#: Slot files per kind of work: addresses hash into this many buckets.
BUCKETS = 4096
#: Share of a server process's threads that may wait for sandboxes.
WORK_SHARE = 0.75

TOO_MANY = message("fairness.too_many")
BUSY = message("fairness.busy")

KINDS = {
    "query": ("queries or updates", "クエリ・更新"),
    "validation": ("validations", "検証"),
}


class Fairness:
    """The limits of one server (every worker process shares ``directory``)."""

    def __init__(self, directory: str | Path, per_client: dict[str, int], threads: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.per_client = dict(per_client)
        self._process_share = threading.BoundedSemaphore(max(1, int(threads * WORK_SHARE)))

    @contextlib.contextmanager
    def slot(self, client: str, kind: str) -> Iterator[None]:
        """Hold one of ``client``'s slots for ``kind`` (and a share of this process)."""
        limit = self.per_client.get(kind, 1)
        if not self._process_share.acquire(blocking=False):
            raise ApiError(503, BUSY, headers={"Retry-After": "1"})
        try:
            fd = self._take(client, kind, limit)
            if fd is None:
                english, japanese = KINDS.get(kind, (kind, kind))
                raise ApiError(
                    429, TOO_MANY.format(limit=limit, kind=english, kind_ja=japanese),
                    headers={"Retry-After": "2"},
                )
            try:
                yield
            finally:
                os.close(fd)  # closing the descriptor releases the lock
        finally:
            self._process_share.release()

    def _take(self, client: str, kind: str, limit: int) -> int | None:
        bucket = int.from_bytes(hashlib.sha256(client.encode()).digest()[:4], "big") % BUCKETS
        for n in range(limit):
            path = self.directory / f"{kind}-{bucket}-{n}.lock"
            fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None
