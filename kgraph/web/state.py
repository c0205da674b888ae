"""What every request handler shares: the config, the store and the served report.

Every process of the server (its worker processes, and the
sandboxes of :mod:`kgraph.engine.sandbox`) reads the same immutable on-disk snapshot
(:mod:`kgraph.snapshots`).  With ``--store DIR`` that is the operator's store; without
it, :meth:`AppState.start` validates the configured files and publishes them into a
temporary snapshot store that lives as long as the process that made it.  A
published SPARQL Update makes a new snapshot ``current``, and every process follows
the link on its next request.

The read-only store handle is opened per process (a handle must not cross a fork),
so an ``AppState`` made in the server's main process is safe in its workers.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app

from ..config import Config
from ..gate import prepare
from ..snapshots import SnapshotStore
from ..validation import Report


@dataclass
class AppState:
    """The served dataset.  With an on-disk store, follows the ``current`` snapshot.

    Tests may build one around an in-memory store (``AppState(config, None, store)``);
    the SPARQL endpoint then publishes a temporary snapshot of it for its executors.
    """

    config: Config
    report: Report | None
    _store: ox.Store | None
    _snapshot: str | None = None
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: The snapshot store directory every process reads (``None``: only ``_store``).
    store_root: str | None = None
    #: True when ``store_root`` is a temporary directory made by this state.
    temporary: bool = False
    _pid: int = field(default_factory=os.getpid)
    #: The text of the ``current`` link when ``_store`` was opened.
    _link: str | None = None
    #: (snapshot handle, its in-memory copy) kept by :mod:`kgraph.web.mirror`; it lives
    #: and dies with the state.
    mirror: tuple[ox.Store, ox.Store] | None = field(default=None, repr=False, compare=False)
    #: Values computed once per state (see :meth:`cached`).
    _values: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: str) -> object | None:
        """A value remembered for the life of this state (and this process)."""
        found = self._values.get(key)
        return found[1] if isinstance(found, tuple) and found[0] == os.getpid() else None

    def remember(self, key: str, value: object) -> None:
        self._values[key] = (os.getpid(), value)

    @property
    def fairness(self):  # type: ignore[no-untyped-def]
        """The per-client limits of this server (:mod:`kgraph.web.fairness`)."""
        from .fairness import Fairness

        found = self._values.get("fairness")
        if found is None:
            with self._lock:
                found = self._values.get("fairness")
                if found is None:
                    found = Fairness(
                        os.path.join(self.run_dir(), "slots"),
                        {"query": self.config.client_queries, "validation": 1},
                        self.config.threads,
                    )
                    self._values["fairness"] = found
        return found

    def run_dir(self) -> str:
        """The server's directory of run-time files (shared by its worker processes)."""
        if self.config.run_dir:
            return self.config.run_dir
        found = self._values.get("run_dir")
        if found is None:
            found = tempfile.mkdtemp(prefix="kgraph-run-")
            owner = os.getpid()
            atexit.register(
                lambda: os.getpid() == owner and shutil.rmtree(str(found), ignore_errors=True))
            self._values["run_dir"] = found
        return str(found)

    @classmethod
    def start(cls, config: Config) -> AppState:
        """Open the configured store, or validate the configured files into a temporary one.

        With a SPARQL backend there is no local store: pages read through
        :class:`~kgraph.web.remote.RemoteStore`.
        """
        if config.sparql_backend:
            from .remote import RemoteStore

            return cls(config, None, RemoteStore(config.sparql_backend, config.query_timeout))  # type: ignore[arg-type]
        if config.store:
            snapshots = SnapshotStore(config.store)
            if snapshots.current() is None:
                raise FileNotFoundError(
                    f"{config.store}: no published snapshot (run `kgraph load --store DIR`)"
                )
            _recover(snapshots)
            return cls(config, None, None, store_root=str(snapshots.root))
        candidate = prepare(config)
        root = temporary_store(candidate.quads)
        return cls(config, candidate.report, None, store_root=root, temporary=True)

    @property
    def store(self) -> ox.Store:
        """The store to read; re-opened when a new snapshot has been published."""
        if self.store_root is None:
            assert self._store is not None
            return self._store
        # One readlink per access (a few µs; resolving the path costs ~90 µs): snapshot
        # names are never reused, so the same link text means the same snapshot.
        try:
            link = os.readlink(os.path.join(self.store_root, "current"))
        except OSError:
            link = None
        pid = os.getpid()
        if link != self._link or pid != self._pid or self._store is None:
            with self._lock:
                if link != self._link or pid != self._pid or self._store is None:
                    current = SnapshotStore(self.store_root).current()
                    if current is not None:
                        self._store = ox.Store.read_only(str(current))
                        self._snapshot = str(current)
                        self._link = link
                        self._pid = pid
        assert self._store is not None
        return self._store

    def snapshot_root(self) -> str:
        """The snapshot store directory, published from the in-memory store if need be."""
        if self.store_root is None:
            with self._lock:
                if self.store_root is None:
                    assert self._store is not None
                    quads = list(self._store.quads_for_pattern(None, None, None, None))
                    self.store_root = temporary_store(quads)
                    self.temporary = True
                    self._store = None
        return self.store_root

    @property
    def snapshot_id(self) -> str:
        """Identifies the served data (for ETags): snapshot name or process start."""
        if self.store_root is not None:
            self.store  # noqa: B018 - follow `current` first
        if self._snapshot:
            return os.path.basename(self._snapshot)
        return f"mem-{int(self.started)}"


def _recover(snapshots: SnapshotStore) -> None:
    """Remove what a killed load left behind (a server may lack the right to: fine)."""
    try:
        removed = snapshots.remove_abandoned()
    except OSError as error:
        logging.getLogger("kgraph").warning("%s: could not clean up: %s", snapshots.root, error)
        return
    if removed:
        logging.getLogger("kgraph").info(
            "%s: removed what interrupted loads left: %s", snapshots.root, ", ".join(removed)
        )


def temporary_store(quads: list[ox.Quad]) -> str:
    """Publish quads into a new temporary snapshot store, removed when this process exits."""
    root = tempfile.mkdtemp(prefix="kgraph-store-")
    SnapshotStore(root).publish_quads(quads, label="start")
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(root, ignore_errors=True)

    atexit.register(remove)
    return root


def current_state() -> AppState:
    return current_app.extensions["kgraph"]
