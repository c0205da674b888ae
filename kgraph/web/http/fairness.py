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
files: the directory cannot grow with the number of clients.  The hash is keyed
with a secret made once per run directory (HMAC-SHA256), so nobody can choose
addresses that share a victim's slots; an IPv6 client is its /64 (one machine
gets a /64 and could otherwise use a new address for every query).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from ...messages import message
from .clients import client_key
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


class Slot:
    """A held slot; :meth:`release` frees it (once, whatever calls it again)."""

    def __init__(self, fd: int, share: threading.BoundedSemaphore) -> None:
        self._fd: int | None = fd
        self._share = share
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock
            self._share.release()


class Fairness:
    """The limits of one server (every worker process shares ``directory``)."""

    def __init__(self, directory: str | Path, per_client: dict[str, int], threads: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.per_client = dict(per_client)
        self._key = _secret(self.directory / "slot-key")
        self._process_share = threading.BoundedSemaphore(max(1, int(threads * WORK_SHARE)))
        #: A client's bucket, remembered for the last few thousand clients.
        self._bucket = functools.lru_cache(maxsize=4096)(self._bucket_of)

    @contextlib.contextmanager
    def slot(self, client: str, kind: str) -> Iterator[None]:
        """Hold one of ``client``'s slots for ``kind`` while the block runs."""
        held = self.take(client, kind)
        try:
            yield
        finally:
            held.release()

    def take(self, client: str, kind: str) -> Slot:
        """One of ``client``'s slots for ``kind`` (and a share of this process), held
        until :meth:`Slot.release` - for an answer, once it has been sent."""
        limit = self.per_client.get(kind, 1)
        if not self._process_share.acquire(blocking=False):
            raise ApiError(503, BUSY, headers={"Retry-After": "1"})
        fd = self._take(client, kind, limit)
        if fd is None:
            self._process_share.release()
            english, japanese = KINDS.get(kind, (kind, kind))
            raise ApiError(
                429, TOO_MANY.format(limit=limit, kind=english, kind_ja=japanese),
                headers={"Retry-After": "2"},
            )
        return Slot(fd, self._process_share)

    def _bucket_of(self, client: str) -> int:
        digest = hmac.new(self._key, client_key(client).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % BUCKETS

    def _take(self, client: str, kind: str, limit: int) -> int | None:
        bucket = self._bucket(client)
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


def _secret(path: Path) -> bytes:
    """The run directory's slot key, made whole by whichever process comes first
    (written aside, then linked into place: nobody ever reads half a key)."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    aside = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(aside, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, os.urandom(32))
    finally:
        os.close(fd)
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink()
    return path.read_bytes()
