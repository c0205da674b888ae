"""Large answers go to disk and are sent from there, so that nobody can pin memory.

granian sends a streamed answer through an unbounded queue: whatever Python hands
it is held in memory until the client reads it, and a client that never reads
holds it for as long as the connection lives.  A file is different: granian
reads it as the socket drains.  So an answer larger than a few hundred KiB is
written to a spool file here (chunk by chunk, never whole in memory) and sent with
RSGI's ``response_file``.  What unread answers pin is then disk, and it is
counted from the kernel's own table of open files (``/proc/self/fd``: a spool
file stays open exactly as long as granian is still sending it):

* per client: a client with ``per_client`` answers not yet taken gets no more
  large answers (it is told to read them first: 429);
* per worker: beyond ``budget`` bytes not yet taken, large answers are refused
  (503) until some are.

A client must take its answer at ``min_rate`` bytes a second or better (and gets at
least ``grace`` seconds): past that, a file granian still holds is emptied,
so that granian's read ends short of the ``Content-Length`` it announced and it
drops the connection: the answer is cut, the client cannot take it for complete,
and the disk is given back.  Every spool file is unlinked then.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("kgraph.front")

#: Files older than this are left over by a worker that died: removed.
LEFT_OVER = 3600.0


@dataclass(frozen=True)
class Pinned:
    """Answers handed to granian and not yet taken by their clients."""

    answers: int
    size: int


class Spool:
    """One worker's spool directory and its limits."""

    def __init__(self, directory: str | Path, *, budget: int, per_client: int,
                 grace: float = 60.0, min_rate: int = 65_536) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.budget = budget
        self.per_client = per_client
        self.grace = grace
        self.min_rate = max(1, min_rate)
        self._lock = threading.Lock()

    @staticmethod
    def tag(client: str) -> str:
        """A client's mark in file names (not its address)."""
        return hashlib.sha256(client.encode()).hexdigest()[:16]

    def pinned(self, client: str | None = None) -> Pinned:
        """What this worker has handed over and not yet sent (for ``client``: its own)."""
        wanted = self.tag(client) + "." if client is not None else ""
        answers = size = 0
        for fd, name in self._open_files():
            if name.startswith(wanted):
                with contextlib.suppress(OSError):
                    size += os.fstat(fd).st_size
                    answers += 1
        return Pinned(answers, size)

    def _open_files(self) -> list[tuple[int, str]]:
        """This process's open spool files (granian's, once handed over)."""
        prefix = str(self.directory) + os.sep
        found = []
        with contextlib.suppress(OSError):
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/self/fd/{fd}")
                    if target.startswith(prefix):
                        name = target[len(prefix):].removesuffix(" (deleted)")
                        if not name.startswith("."):
                            found.append((int(fd), name))
        return found

    def refusal(self, client: str) -> str | None:
        """Why this client may not be handed another large answer now, or ``None``."""
        if self.pinned(client).answers >= self.per_client:
            return "client"
        if self.pinned().size >= self.budget:
            return "worker"
        return None

    def write(self, chunks: Iterable[bytes], client: str) -> tuple[Path, int]:
        """Write an answer to a spool file; its path and size."""
        name = f"{self.tag(client)}.{uuid.uuid4().hex}"
        partial = self.directory / f".{name}"
        size = 0
        with open(partial, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        path = self.directory / name
        os.replace(partial, path)
        return path, size

    def forget_later(self, path: Path, size: int) -> None:
        """Once the client has had time enough to take it: cut it if it has not, and
        unlink it."""
        deadline = max(self.grace, size / self.min_rate)
        timer = threading.Timer(deadline, self._finish, (path, deadline))
        timer.daemon = True
        timer.start()

    def _finish(self, path: Path, deadline: float) -> None:
        if any(name == path.name for _, name in self._open_files()):
            log.warning("a client had not taken its answer after %.0f s: cut", deadline)
            with contextlib.suppress(OSError):
                os.truncate(path, 0)
        _unlink(path)

    def sweep(self, older_than: float = LEFT_OVER) -> None:
        """Remove spool files left behind (a worker that died before unlinking)."""
        cutoff = time.time() - older_than
        for child in self.directory.iterdir():
            with contextlib.suppress(OSError):
                if child.stat().st_mtime < cutoff:
                    child.unlink()


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
