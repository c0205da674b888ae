"""The validation report cache: JSON files by content hash, with a size cap.

Reports are cached by the hash of what was validated (the shipped data once per
start, a unit of a large dataset once per change).  Uploads are validated too, and
each unique upload would add a file for ever: a stranger sending a thousand unique
files would fill the disk.  So the cache has a cap (``KGRAPH_CACHE_MAX_MB``, 256 MB
by default): after a write that takes it past the cap, the least recently used
reports (a read touches its file) are deleted until it is at 80 % of the cap.

A cache that cannot be read or written is skipped: validation then simply runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: After eviction the cache holds at most this share of its cap.
LOW_WATER = 0.8


def _path(cache_dir: str | None, kind: str, key: str) -> Path | None:
    return Path(cache_dir) / kind / f"{key}.json" if cache_dir and key else None


def read(cache_dir: str | None, kind: str, key: str) -> Any | None:
    """The cached JSON value, if there is one and it can be read."""
    path = _path(cache_dir, kind, key)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: evicted last
    return data


def write(cache_dir: str | None, kind: str, key: str, value: Any) -> None:
    """Cache a JSON value atomically, then keep the cache under its cap."""
    path = _path(cache_dir, kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(tmp, path)
    except OSError:
        return
    prune(str(cache_dir), cap_bytes())


def cap_bytes() -> int:
    """The cache's cap, from the settings table (``KGRAPH_CACHE_MAX_MB``)."""
    from .config import Config, SettingError

    try:
        return Config.from_env().cache_max_mb * 1024 * 1024
    except SettingError:
        return Config().cache_max_mb * 1024 * 1024


def prune(cache_dir: str, cap: int) -> int:
    """Delete the least recently used reports until the cache is under its cap;
    returns how many were deleted."""
    files = []
    total = 0
    for path in Path(cache_dir).glob("*/*.json"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            files.append((stat.st_mtime, stat.st_size, path))
            total += stat.st_size
    if total <= cap:
        return 0
    deleted = 0
    for _, size, path in sorted(files):
        if total <= cap * LOW_WATER:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size
            deleted += 1
    return deleted
