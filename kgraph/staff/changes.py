"""Pending changes: an uploaded file, what it was compared with, and the result.

A change is a folder ``<staff>/changes/<id>/`` holding the upload's bytes
(``upload``), what the staff area knows of it (``change.json``: its name, who
uploaded it, when, and later who published it as which snapshot) and the
sandbox's answer (``result.json``: the snapshot it was compared with, the report,
the diff in Japanese and English).  Every file is written aside and renamed into
place, so that another worker process (or a restarted server) reads a whole file
or none.  The folder is bounded: beyond :data:`MAX_CHANGES` changes or
:data:`MAX_BYTES` bytes of uploads the oldest are dropped.  Nothing here reads
what the upload says: that happens in a sandbox (:mod:`kgraph.staff.publishing`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_CHANGES = 50
MAX_BYTES = 200_000_000
ID = re.compile(r"[0-9a-f]{16}")


@dataclass
class Change:
    """A pending (or published) change, as stored."""

    id: str
    folder: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "upload"))

    def upload(self) -> bytes:
        return (self.folder / "upload").read_bytes()

    def result(self) -> dict[str, Any] | None:
        return _read_json(self.folder / "result.json")


class Changes:
    """The pending changes of one store (shared by every worker process)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def create(self, name: str, data: bytes, by: str) -> Change:
        """Keep an upload as a new change (the oldest dropped beyond the bounds)."""
        change_id = secrets.token_hex(8)
        meta = {"id": change_id, "name": name, "by": by, "size": len(data),
                "created": _now(), "status": "pending"}
        with self._locked():
            folder = self.folder / change_id
            folder.mkdir()
            _write(folder / "upload", data)
            _write(folder / "change.json", _dumps(meta))
            self._evict(keep=change_id)
        return Change(change_id, folder, meta)

    def get(self, change_id: str) -> Change | None:
        if not ID.fullmatch(change_id or ""):
            return None
        folder = self.folder / change_id
        meta = _read_json(folder / "change.json")
        if meta is None or not (folder / "upload").is_file():
            return None
        return Change(change_id, folder, meta)

    def save_result(self, change: Change, result: dict[str, Any]) -> None:
        _write(change.folder / "result.json", _dumps(result))

    def update(self, change: Change, **values: Any) -> None:
        """Change what is known of a change (its status, who published it)."""
        with self._locked():
            meta = _read_json(change.folder / "change.json") or change.meta
            meta.update(values)
            _write(change.folder / "change.json", _dumps(meta))
            change.meta = meta

    def recent(self, limit: int = 10) -> list[Change]:
        """The newest changes first."""
        found = [c for c in (self.get(p.name) for p in self._folders()) if c is not None]
        found.sort(key=lambda c: str(c.meta.get("created", "")), reverse=True)
        return found[:limit]

    def _folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if p.is_dir() and ID.fullmatch(p.name)]

    def _evict(self, keep: str) -> None:
        folders = sorted(self._folders(), key=lambda p: p.stat().st_mtime)
        sizes = {p: _size(p) for p in folders}
        total, count = sum(sizes.values()), len(folders)
        for path in folders:  # oldest first
            if count <= MAX_CHANGES and total <= MAX_BYTES:
                break
            if path.name == keep:
                continue
            shutil.rmtree(path, ignore_errors=True)
            count, total = count - 1, total - sizes[path]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _write(path: Path, data: bytes) -> None:
    aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(aside, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
