"""On-disk store snapshots that are published atomically.

A store directory holds immutable snapshots and a ``current`` symbolic link::

    STORE/
      current -> snapshots/20261128T120000-1a2b3c4d
      snapshots/20261128T120000-1a2b3c4d/   (an Oxigraph RocksDB store)
      snapshots/.building-<random>/          (a load in progress, or one that died)
      history/20261128T120000-1a2b3c4d.json  (who published it, when, why)
      history/20261128T120000-1a2b3c4d.diff.json  (what it changed)

A new snapshot is built beside the old one and only then becomes ``current`` by an
atomic rename of the link.  A load that fails, is killed or fills the disk leaves
``current`` untouched, and its half-built directory is removed by the next load or
the next server start.  A build holds an advisory lock (``flock``) on its directory
until it is published, so that only directories whose builder has died are removed,
never one that another process is still building; the kernel drops the lock of a
killed process.  Publishers (loads, imports, SPARQL updates) take turns through
:meth:`SnapshotStore.writer_lock`, so that an update never publishes a copy of a
snapshot that a load has replaced meanwhile.
Serving processes open ``current`` read-only and re-open it when the link moves.

**History.**  A publication made through :mod:`kgraph.service` leaves a record
(``history/<snapshot>.json``) written before the switch.  The history is the chain
of records from ``current`` back through what each one replaced
(:meth:`SnapshotStore.history`), so a record whose switch never happened (a kill)
is never on it.  Pruning keeps the snapshots of the newest :data:`HISTORY_KEEP`
publications on the chain (so that they can be restored and their dumps read),
besides ``current`` and the newest other; a record whose snapshot is gone is
removed with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import re
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from .sources import Source

BUILDING_PREFIX = ".building-"
#: The lock file publishers take turns on (the executor's updates use it too).
WRITER_LOCK = ".update.lock"
#: A temporary ``.current-*`` link older than this was left by a killed switch (a
#: switch takes microseconds).
STALE_LINK_SECONDS = 10.0
#: Publications whose snapshots are kept (restorable, their dumps downloadable).
HISTORY_KEEP = 20
#: The folder of publication records, beside ``snapshots/``.
HISTORY = "history"
#: What a snapshot name may hold (names are made here; anything else is refused).
NAME = re.compile(r"[0-9]{8}T[0-9]{6}(\.[0-9]{9})?-[0-9a-f]{8}(-[a-z0-9-]{1,40})?")


class SnapshotStore:
    """A directory of store snapshots with one ``current``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.snapshots = self.root / "snapshots"
        self.link = self.root / "current"
        self.records = self.root / HISTORY

    def current(self) -> Path | None:
        """The snapshot being served, or ``None`` before the first publish."""
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        path = (self.root / target).resolve()
        return path if path.is_dir() else None

    def open_read_only(self) -> ox.Store:
        """Open the current snapshot for reading (many processes may do so)."""
        current = self.current()
        if current is None:
            raise FileNotFoundError(f"{self.root}: no published snapshot (run `kgraph load`)")
        return ox.Store.read_only(str(current))

    def publish_quads(self, quads: Iterable[ox.Quad], label: str = "", *,
                      name: str | None = None, record: dict | None = None) -> Path:
        """Build a snapshot from quads, then make it current.  ``name`` (from
        :meth:`new_name`) and ``record`` (kept in the history, see the module
        docstring) are given by :func:`kgraph.service.publish`."""
        return self._publish(lambda store: store.bulk_extend(quads), label, name, record)

    @staticmethod
    def new_name(label: str = "") -> str:
        """A fresh snapshot name: sorts by the time it was made, unique, safe in a path."""
        name = _timestamp() + f"-{uuid.uuid4().hex[:8]}"
        label = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-")[:40]
        return f"{name}-{label}" if label else name

    def publish_sources(
        self, sources: Iterable[Source], base: str, label: str = "", threads: int | None = None
    ) -> Path:
        """Build a snapshot by bulk-loading files (fast path for large data).

        Oxigraph's bulk loader uses about one core per file, so files are loaded by
        ``threads`` threads at once (default: one per core); on 2 cores, 1 million
        quads in 12 files load in 10 s instead of 15 s (measured, bench/RESULTS.md).
        """
        sources = list(sources)
        workers = max(1, min(threads or os.cpu_count() or 1, len(sources)))

        def fill(store: ox.Store) -> None:
            def load(source: Source) -> None:
                graph = ox.NamedNode(source.graph) if source.graph else None
                store.bulk_load(
                    path=str(source.path), format=source.format, base_iri=base, to_graph=graph
                )

            if workers == 1:
                for source in sources:
                    load(source)
                return
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for future in [pool.submit(load, source) for source in sources]:
                    future.result()  # the first error propagates; the snapshot is dropped

        return self._publish(fill, label)

    @contextlib.contextmanager
    def writer_lock(self):  # type: ignore[no-untyped-def]
        """Hold the store's writer lock (blocks while another publisher holds it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / WRITER_LOCK, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _publish(self, fill, label: str, name: str | None = None,
                 record: dict | None = None) -> Path:
        self.snapshots.mkdir(parents=True, exist_ok=True)
        self.remove_abandoned()
        building = self.snapshots / f"{BUILDING_PREFIX}{uuid.uuid4().hex}"
        building.mkdir()
        claim = _claim(building)
        opened: list[ox.Store] = []  # the store is closed when this list is emptied
        try:
            opened.append(ox.Store(str(building)))
            fill(opened[0])
            opened[0].flush()
            opened[0].optimize()
            opened.clear()
            name = name or self.new_name(label)
            final = self.snapshots / name
            os.rename(building, final)
            if record is not None:
                self._write_record(name, record)
            self._switch(final)
        except BaseException as error:
            # Close the half-built store before deleting its directory: an open store
            # (held by this frame and by the frames of the traceback) keeps writing
            # files, and the directory would outlive the failed load.
            opened.clear()
            traceback.clear_frames(error.__traceback__)
            gc.collect()
            _remove_tree(building)
            raise
        finally:
            os.close(claim)
        self.prune()
        return final

    def _switch(self, target: Path) -> None:
        """Point ``current`` at ``target`` with one atomic rename."""
        tmp = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(os.path.relpath(target, self.root), tmp)
        os.replace(tmp, self.link)
        with contextlib.suppress(OSError):
            fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def remove_abandoned(self) -> list[str]:
        """Delete half-built snapshots whose builder died; the names removed.

        A directory still claimed by a live builder is left alone, as is a
        temporary link young enough to belong to a switch in progress.
        """
        removed: list[str] = []
        if not self.snapshots.is_dir():
            return removed
        for path in self.snapshots.iterdir():
            if path.name.startswith(BUILDING_PREFIX) and _remove_if_unclaimed(path):
                removed.append(path.name)
        for path in self.root.glob(".current-*"):
            with contextlib.suppress(OSError):
                if time.time() - path.lstat().st_mtime > STALE_LINK_SECONDS:
                    path.unlink()
                    removed.append(path.name)
        return removed

    def prune(self, keep: int = 2) -> None:
        """Keep the current snapshot, the ``keep - 1`` newest others and those of the
        history (:data:`HISTORY_KEEP` publications); drop the records of the rest."""
        current = self.current()
        in_history = {r["id"] for r in self.history()}
        done = sorted(
            (p for p in self.snapshots.iterdir() if not p.name.startswith(".")),
            key=lambda p: p.name,
            reverse=True,
        )
        kept = 0
        for path in done:
            if current is not None and path.resolve() == current:
                continue  # the root may be relative or reached through a symlink
            kept += 1
            if kept >= keep and path.name not in in_history:
                shutil.rmtree(path, ignore_errors=True)
        if self.records.is_dir():
            for path in self.records.iterdir():
                name = path.name.removesuffix(".json").removesuffix(".diff")
                if path.name.startswith("."):  # written aside by a publisher that died
                    with contextlib.suppress(OSError):
                        if time.time() - path.stat().st_mtime > 60:
                            path.unlink()
                elif not (self.snapshots / name).is_dir():
                    path.unlink(missing_ok=True)

    # The history ----------------------------------------------------------------

    def _write_record(self, name: str, record: dict) -> None:
        """Write a publication's record whole (aside, then renamed into place); its
        ``diff``, which may be large, goes into a file of its own."""
        self.records.mkdir(parents=True, exist_ok=True)
        record = {**record, "id": name}
        diff = record.pop("diff", None)
        if diff is not None:
            self._write_json(f"{name}.diff.json", diff)
        self._write_json(f"{name}.json", record)

    def _write_json(self, filename: str, data: object) -> None:
        aside = self.records / f".{filename}.{uuid.uuid4().hex[:8]}"
        aside.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(aside, self.records / filename)

    def record_diff(self, name: str) -> dict | None:
        """What publication ``name`` changed, as its record keeps it, or ``None``."""
        if not NAME.fullmatch(name):
            return None
        try:
            data = json.loads((self.records / f"{name}.diff.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def record(self, name: str) -> dict | None:
        """The record of the publication that made snapshot ``name``, or ``None``."""
        if not NAME.fullmatch(name):
            return None
        try:
            data = json.loads((self.records / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def history(self, limit: int | None = None) -> list[dict]:
        """The publications that led to ``current``, newest first (at most ``limit``):
        each record names the snapshot it replaced, and the chain ends at a snapshot
        published without one.  ``current`` is marked, and so is whether a
        publication's snapshot is still kept."""
        return list(self._chain(limit or HISTORY_KEEP))

    def _chain(self, limit: int) -> Iterator[dict]:
        current = self.current()
        name = current.name if current is not None else None
        seen: set[str] = set()
        while name and name not in seen and len(seen) < limit:
            record = self.record(name)
            if record is None:
                return
            yield {**record, "id": name, "current": not seen,
                   "kept": (self.snapshots / name).is_dir()}
            seen.add(name)
            name = record.get("replaced")

    def snapshot(self, name: str) -> Path | None:
        """The directory of snapshot ``name`` if it is kept (a name from outside is
        checked: nothing but a snapshot is ever opened)."""
        if not NAME.fullmatch(name):
            return None
        path = self.snapshots / name
        return path if path.is_dir() else None


class Follower:
    """The current snapshot of a store, opened read-only and re-opened when the
    ``current`` link moves: one ``readlink`` per use (a few µs; resolving the path
    costs ~90 µs), since snapshot names are never reused.  A handle is never shared
    across a fork: a forked process opens its own.

    With ``in_memory_up_to`` a snapshot of at most that many quads is read into an
    in-memory store (once per snapshot), and :meth:`store` gives that copy: the same
    engine answers from memory three to four times faster than from the on-disk
    snapshot (the example queries: 0.5 ms against 1.7 ms each, measured with
    ``bench``'s mix), and a page makes dozens of look-ups.  A larger snapshot is read
    from disk.
    """

    def __init__(self, root: str | os.PathLike[str], *, in_memory_up_to: int = 0) -> None:
        self.root = Path(root)
        self.in_memory_up_to = in_memory_up_to
        self._lock = threading.Lock()
        self._opened: tuple[int, str, Path, ox.Store] | None = None  # pid, link, path, store

    def _link(self) -> str | None:
        try:
            return os.readlink(self.root / "current")
        except OSError:
            return None

    def store(self) -> ox.Store:
        """The current snapshot's store (:class:`FileNotFoundError` before the first)."""
        link, pid, opened = self._link(), os.getpid(), self._opened
        if opened is not None and opened[0] == pid and opened[1] == link:
            return opened[3]
        with self._lock:
            opened = self._opened
            if opened is None or opened[0] != pid or opened[1] != link:
                current = SnapshotStore(self.root).current()
                if current is None:
                    raise FileNotFoundError(f"{self.root}: no published snapshot")
                opened = (pid, str(link), current, self._open(current))
                self._opened = opened
            return opened[3]

    def _open(self, snapshot: Path) -> ox.Store:
        on_disk = ox.Store.read_only(str(snapshot))
        if not self.in_memory_up_to:
            return on_disk
        quads = list(islice(on_disk.quads_for_pattern(None, None, None, None),
                            self.in_memory_up_to + 1))
        if len(quads) > self.in_memory_up_to:
            return on_disk
        in_memory = ox.Store()
        in_memory.bulk_extend(quads)
        return in_memory

    @property
    def snapshot(self) -> Path | None:
        """The snapshot :meth:`store` last opened (after following the link)."""
        with contextlib.suppress(FileNotFoundError):
            self.store()
        return self._opened[2] if self._opened is not None else None


def _timestamp() -> str:
    """Local time to the nanosecond: snapshot names sort in the order they were made,
    even when two are published within one second."""
    now = time.time_ns()
    seconds, nanoseconds = divmod(now, 10**9)
    return time.strftime("%Y%m%dT%H%M%S", time.localtime(seconds)) + f".{nanoseconds:09d}"


def _remove_tree(path: Path, attempts: int = 5) -> None:
    """Delete a directory, retrying while files still appear in it."""
    for attempt in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.05 * (attempt + 1))


def _claim(building: Path) -> int:
    """Lock a building directory for this process (until the descriptor is closed)."""
    fd = os.open(building, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_if_unclaimed(path: Path) -> bool:
    """Remove a building directory unless a live process holds its lock."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)
    return True
