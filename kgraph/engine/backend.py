"""Where the served data lives, behind one protocol: the local snapshot store, or a
remote SPARQL 1.1 engine.  The web layer holds a :class:`Backend` and never asks which.

A backend answers the protocol's queries (:meth:`Backend.query`: in a sandbox, or
forwarded), updates and validation where it can (a remote engine owns its data:
:class:`NotSupported`), gives pages a store to read (:meth:`Backend.reader`),
names the version of the data it serves (for ETags and per-version caches) and
says what is wrong with it, if anything (``/health``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pyoxigraph as ox

from ..snapshots import Follower
from . import isolation
from .remote import BackendError, BackendTimeout, BackendUnavailable, RemoteEngine, RemoteStore
from .results import Outcome
from .sandbox import ENV_ALLOWED_HOSTS, ENV_ROLE, ENV_STORE, Limits, SandboxPool, pool_for

#: Snapshots with more quads than this are read from disk by pages, not copied
#: into memory (500,000 quads take ~200 MB).
PAGES_IN_MEMORY_UP_TO = 500_000


class NotSupported(Exception):
    """The backend cannot do this (a remote engine owns its data)."""


class Backend(Protocol):
    """The served data, for the web layer."""

    def reader(self) -> Any:
        """What pages read: ``query``, ``quads_for_pattern``, ``contains_named_graph``,
        ``named_graphs`` and ``len`` as on :class:`pyoxigraph.Store`."""

    def version(self) -> tuple[str, float]:
        """(an identifier of the served data, when it last changed as a Unix time)."""

    def query(self, message: Mapping[str, Any], budget: float) -> Outcome:
        """A protocol query (see :func:`kgraph.engine.operations.query`)."""

    def work(self, kind: str, header: Mapping[str, Any], payload: bytes, budget: float,
             on_progress: Callable[[dict[str, Any]], float | None] | None = None,
             ) -> tuple[dict[str, Any], bytes]:
        """An update (``kind`` ``update``) or a validation (``validation``)."""

    def network(self) -> str:
        """How the engine that runs SERVICE and LOAD is cut off from the network (a
        mode of :mod:`kgraph.engine.isolation`)."""

    def start(self) -> None:
        """Get ready before the first request (start sandboxes)."""

    def problem(self) -> str | None:
        """Why the backend cannot serve now, or ``None``."""


class LocalBackend:
    """The snapshot store on this machine, queried in sandboxes."""

    def __init__(self, root: str, *, executors: int, validators: int, query_memory: int,
                 validation_memory: int, allowed_hosts: list[str],
                 env: Mapping[str, str]) -> None:
        self.root = root
        self.follower = Follower(root, in_memory_up_to=PAGES_IN_MEMORY_UP_TO)
        self._pools = (executors, validators, query_memory, validation_memory)
        self._allowed_hosts = list(allowed_hosts)
        self._env = dict(env)
        self._network: tuple[int, str] | None = None

    # Reading -----------------------------------------------------------------

    def store(self) -> ox.Store:
        return self.follower.store()

    def reader(self) -> ox.Store:
        """The current snapshot: in memory when it is small (see
        :class:`~kgraph.snapshots.Follower`), remade when a new one is published."""
        return self.follower.store()

    def version(self) -> tuple[str, float]:
        snapshot = self.follower.snapshot
        if snapshot is None:
            raise FileNotFoundError(f"{self.root}: no published snapshot")
        return snapshot.name, snapshot.stat().st_mtime

    # Work in sandboxes -------------------------------------------------------

    def _pool(self, role: str) -> SandboxPool:
        executors, validators, query_memory, validation_memory = self._pools

        def make() -> SandboxPool:
            env = {**self._env, ENV_STORE: self.root, ENV_ROLE: role}
            if role == "query":
                if self._allowed_hosts:
                    env[ENV_ALLOWED_HOSTS] = " ".join(self._allowed_hosts)
                return SandboxPool(executors, env, Limits(memory=query_memory,
                                                          address_space=4 * query_memory))
            return SandboxPool(validators, env, Limits(
                memory=validation_memory, address_space=validation_memory, set_aside=False,
                retire_above=validation_memory // 8))

        return pool_for(f"{role}:{self.root}", make)

    def start(self) -> None:
        """Start the query sandboxes before the first request needs them."""
        self._pool("query")

    def query(self, message: Mapping[str, Any], budget: float) -> Outcome:
        header, body = self._pool("query").call({"op": "query", **message}, budget=budget)
        return Outcome.from_frame(header, body)

    def work(self, kind: str, header: Mapping[str, Any], payload: bytes, budget: float,
             on_progress: Callable[[dict[str, Any]], float | None] | None = None,
             ) -> tuple[dict[str, Any], bytes]:
        pool = self._pool("validation" if kind == "validation" else "query")
        return pool.call(header, payload, budget=budget, on_progress=on_progress)

    def network(self) -> str:
        """The query sandboxes' isolation (asked once per process)."""
        import os

        found = self._network
        if found is None or found[0] != os.getpid():
            try:
                answer, _ = self._pool("query").call({"op": "ping"}, budget=30.0)
                mode = str(answer.get("network", isolation.NONE))
            except Exception:
                return isolation.NONE
            found = (os.getpid(), mode)
            self._network = found
        return found[1]

    def problem(self) -> str | None:
        try:
            self.store()
        except (OSError, FileNotFoundError) as error:
            return str(error)
        return None


class RemoteBackend:
    """A remote SPARQL 1.1 engine (read-only for kgraph)."""

    #: A remote engine may change behind our back: its version is taken again after this.
    VERSION_SECONDS = 60.0

    def __init__(self, url: str, base: str, timeout: float, *, analysers: int = 2,
                 memory: int = 256 << 20, env: Mapping[str, str] | None = None) -> None:
        self.engine = RemoteEngine(url, base, timeout)
        self.store = RemoteStore(self.engine)
        self._analysers, self._memory, self._env = analysers, memory, dict(env or {})
        self._version: tuple[float, tuple[str, float]] | None = None

    def _pool(self) -> SandboxPool:
        """Sandboxes that may reach the engine, and nothing else."""
        from urllib.parse import urlsplit

        def make() -> SandboxPool:
            host = urlsplit(self.engine.url).hostname or ""
            env = {**self._env, ENV_ROLE: "remote", ENV_ALLOWED_HOSTS: host}
            return SandboxPool(self._analysers, env, Limits(
                memory=self._memory, address_space=4 * self._memory))

        return pool_for(f"remote:{self.engine.url}", make)

    def reader(self) -> RemoteStore:
        return self.store

    def version(self) -> tuple[str, float]:
        """A hash of the data (a minute old at most), and when that changed."""
        found = self._version
        if found is not None and time.monotonic() < found[0]:
            return found[1]
        digest = hashlib.sha256()
        for line in sorted(str(q) for q in self.store.quads_for_pattern(None, None, None)):
            digest.update(line.encode() + b"\n")
        tag = digest.hexdigest()[:32]
        since = found[1][1] if found is not None and found[1][0] == tag else time.time()
        self._version = (time.monotonic() + self.VERSION_SECONDS, (tag, since))
        return tag, since

    def query(self, message: Mapping[str, Any], budget: float) -> Outcome:
        """The query, checked, sent and its answer read in a sandbox that reaches
        only the engine (:func:`kgraph.engine.operations.remote_query`): a stranger's
        text and the engine's answer are read within the budget and memory cap."""
        header, body = self._pool().call(
            {**message, "op": "remote_query", "backend": self.engine.url, "budget": budget},
            budget=budget)
        error = header.get("error")
        detail = str(header.get("detail", ""))
        if error == "backend-timeout":
            raise BackendTimeout(detail)
        if error == "backend-unavailable":
            raise BackendUnavailable(detail)
        if error == "backend-failed":
            raise BackendError(detail)
        return Outcome.from_frame(header, body)

    def work(self, kind: str, header: Mapping[str, Any], payload: bytes, budget: float,
             on_progress: Callable[[dict[str, Any]], float | None] | None = None,
             ) -> tuple[dict[str, Any], bytes]:
        raise NotSupported(kind)

    def network(self) -> str:
        """kgraph cannot isolate another engine, so no text that could name a remote
        target is forwarded to one (an allow-list would be the engine's to keep, and an
        engine's SERVICE may reach any host its machine can)."""
        return isolation.NONE

    def start(self) -> None:
        self._pool()

    def problem(self) -> str | None:
        try:
            self.engine.checked("ASK { ?s ?p ?o }", "application/sparql-results+json")
        except BackendError as error:
            return str(error)
        return None


def local_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment a sandbox gets from the web process: what it needs, never the
    operator token."""
    import os

    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["MALLOC_ARENA_MAX"] = "2"  # each thread's arena would count against the cap
    env.update(base)
    return env


