"""The process tree of a server under test, read from ``/proc``."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def parents() -> dict[int, int]:
    """Every live process and its parent."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
                found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def children(pid: int) -> set[int]:
    """The direct children of ``pid``."""
    return {child for child, parent in parents().items() if parent == pid}


#: What a sandbox process's command line holds.
SANDBOX = b"kgraph.engine.worker"


def executors_below(pid: int, depth: int = 2) -> list[int]:
    """Sandbox processes (``python -m kgraph.engine.worker``) among the children of
    ``pid`` and, with ``depth`` 2, their children (the server workers')."""
    parent_of = parents()
    below = {pid}
    for _ in range(depth):
        below |= {child for child, parent in parent_of.items() if parent in below}
    found = []
    for child in sorted(below - {pid}):
        with contextlib.suppress(OSError):
            if SANDBOX in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def ended(pid: int, within: float = 10) -> bool:
    """Whether the process is gone (or a zombie: killed, not yet reaped) within a few
    seconds: the kill is sent when the budget ends, its reaping may lag on a busy machine."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.05)
    return False
