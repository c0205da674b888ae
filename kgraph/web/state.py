"""What every request handler shares: the config, the backend and per-version caches.

The served data is a :class:`~kgraph.engine.backend.Backend`: the local snapshot
store (``--store DIR``; without it, :meth:`AppState.start` validates the configured
files and publishes them into a temporary snapshot store that lives as long as the
process that made it), or a remote SPARQL engine (``--sparql-backend``).  Handlers
read through :meth:`AppState.reader` and never ask which it is.

Values derived from the served data (catalogue statistics, the search index, the
service description, the served report, ...) are kept by :meth:`AppState.per_version`,
one entry per name, recomputed when the data's version changes: the state owns them,
and they die with it.  Store handles are opened per process (a handle must not cross
a fork), so a state made in the server's main process is safe in its workers.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyoxigraph as ox
from flask import current_app, g, has_request_context

from ..config import Config
from ..engine.backend import Backend, LocalBackend, RemoteBackend, local_env
from ..service import prepare
from ..snapshots import SnapshotStore
from ..validation import Report

T = TypeVar("T")

#: How many of the largest answers one worker may have handed over and not yet sent.
SPOOL_ANSWERS = 8


@dataclass
class AppState:
    """The served data and what the server keeps about it."""

    config: Config
    backend: Backend
    #: The report of the data validated at start (``None`` when opened from a store).
    report: Report | None = None
    #: The local snapshot store every process reads (``None``: a remote backend).
    store_root: str | None = None
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _values: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def start(cls, config: Config) -> AppState:
        """Open the configured backend, or validate the configured files into a
        temporary snapshot store."""
        if config.sparql_backend:
            return cls(config, RemoteBackend(
                config.sparql_backend, config.base, config.query_timeout,
                analysers=config.executors, memory=config.query_memory_mb << 20,
                env=local_env(sandbox_settings(config))))
        if config.store:
            snapshots = SnapshotStore(config.store)
            if snapshots.current() is None:
                raise FileNotFoundError(
                    f"{config.store}: no published snapshot (run `kgraph load --store DIR`)"
                )
            _recover(snapshots)
            return cls.local(config, str(snapshots.root))
        checked = prepare(config)
        state = cls.local(config, temporary_store(checked.quads))
        state.report = checked.report
        return state

    @classmethod
    def local(cls, config: Config, root: str) -> AppState:
        """A state serving the snapshot store at ``root``."""
        backend = LocalBackend(
            root, executors=config.executors, validators=config.validators,
            query_memory=config.query_memory_mb << 20,
            validation_memory=config.validation_memory_mb << 20,
            allowed_hosts=config.allowed_hosts, env=local_env(sandbox_settings(config)),
        )
        return cls(config, backend, store_root=root)

    @classmethod
    def for_store(cls, config: Config, store: ox.Store) -> AppState:
        """A state serving a copy of an in-memory store (tests)."""
        quads = list(store.quads_for_pattern(None, None, None, None))
        return cls.local(config, temporary_store(quads))

    # The data ----------------------------------------------------------------

    def reader(self) -> Any:
        """What pages read (an in-memory copy of a small local snapshot, the snapshot,
        or the remote engine); within a request, always the same one."""
        if not has_request_context():
            return self.backend.reader()
        found = getattr(g, "kgraph_reader", None)
        if found is None or found[0] is not self:
            found = (self, self.backend.reader())
            g.kgraph_reader = found
        return found[1]

    @property
    def snapshot_id(self) -> str:
        """Identifies the served data (for ETags): a snapshot name or a content hash."""
        return self.backend.version()[0]

    def per_version(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per version of the served data (and per process)."""
        version = self.backend.version()[0]
        key = f"version:{name}"
        found = self._values.get(key)
        if found is not None and found[0] == (os.getpid(), version):
            return found[1]
        value = compute()
        self._values[key] = ((os.getpid(), version), value)
        return value

    # The server --------------------------------------------------------------

    @property
    def fairness(self):  # type: ignore[no-untyped-def]
        """The per-client limits of this server (:mod:`kgraph.web.http.fairness`)."""
        from .http.fairness import Fairness

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

    @property
    def spool(self):  # type: ignore[no-untyped-def]
        """Where this process writes large answers (:mod:`kgraph.web.http.spool`)."""
        from .http.spool import Spool

        found = self._values.get("spool")
        if found is None or found[0] != os.getpid():
            with self._lock:
                found = self._values.get("spool")
                if found is None or found[0] != os.getpid():
                    spool = Spool(os.path.join(self.run_dir(), "spool"),
                                  budget=SPOOL_ANSWERS * self.config.max_result_bytes,
                                  per_client=self.config.client_queries,
                                  grace=2 * self.config.body_timeout,
                                  min_rate=self.config.min_read_rate)
                    spool.sweep()
                    found = (os.getpid(), spool)
                    self._values["spool"] = found
        return found[1]

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


def sandbox_settings(config: Config) -> dict[str, str]:
    """The settings a sandbox reads (never the operator token)."""
    return {
        "KGRAPH_LOG_LEVEL": config.log_level,
        "KGRAPH_CACHE_MAX_MB": str(config.cache_max_mb),
        "KGRAPH_SHACL_ENGINE": config.shacl_engine,
        "KGRAPH_NETWORK_ISOLATION": config.network_isolation,
    }


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
