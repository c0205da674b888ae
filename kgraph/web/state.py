"""What every request handler shares: the config, the store and the served report."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app

from ..config import Config
from ..gate import memory_store, prepare
from ..snapshots import SnapshotStore
from ..validation import Report


@dataclass
class AppState:
    """The served dataset.  With an on-disk store, follows the ``current`` snapshot."""

    config: Config
    report: Report | None
    _store: ox.Store
    _snapshot: str | None = None
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, config: Config) -> AppState:
        """Open the configured store (validated first when built in memory)."""
        if config.store:
            snapshots = SnapshotStore(config.store)
            current = snapshots.current()
            store = snapshots.open_read_only()
            return cls(config, None, store, str(current))
        candidate = prepare(config)
        return cls(config, candidate.report, memory_store(candidate))

    @property
    def store(self) -> ox.Store:
        """The store to read; re-opened when a new snapshot has been published."""
        if self.config.store:
            current = SnapshotStore(self.config.store).current()
            if current is not None and str(current) != self._snapshot:
                with self._lock:
                    if str(current) != self._snapshot:
                        self._store = ox.Store.read_only(str(current))
                        self._snapshot = str(current)
        return self._store

    @property
    def snapshot_id(self) -> str:
        """Identifies the served data (for ETags): snapshot name or process start."""
        if self._snapshot:
            return os.path.basename(self._snapshot)
        return f"mem-{int(self.started)}"


def current_state() -> AppState:
    return current_app.extensions["kgraph"]
