"""Query execution with a time budget, in processes that can be killed.

pyoxigraph cannot cancel a running query, so no query runs in a web process.  Each
web process (the development server, or each gunicorn worker) keeps a small pool of
executor processes (``--executors``, default 2).  A request checks one out, sends it
the query, and waits at most for its budget; an executor that overruns is killed
(SIGKILL) and replaced by a fresh one, and the request is answered 503 with a clear
message (as Fuseki answers a cancelled query).  Other requests meanwhile use the
other executors, so one runaway query never blocks the endpoint.

Why processes reading the on-disk snapshot, rather than forks of an in-memory store
(measured with pyoxigraph 0.5.13 on the 2-core development machine, synthetic data of
20k and 200k quads in 8 graphs; see the report on issue 3):

* opening a read-only snapshot takes ~15 ms (20k quads) and ~40 ms (200k quads), so
  a killed executor is replaced at once; copying the data into an in-memory store
  takes ~160 ms and ~2.5 s, and forking a process that holds an in-memory store is
  unsafe once it has threads (gunicorn gthread, the threaded development server);
* every process (executors, gunicorn workers, and their pages) shares one validated
  copy through the OS page cache, and an update publishes a new snapshot that every
  process follows by re-reading the ``current`` link before each query (~2 µs);
* the price: full scans are 1.5-2x slower than in memory (COUNT over 20k quads:
  12.7 ms vs 7.0 ms); point lookups differ by ~20 µs, less than one HTTP round trip.

An executor is ``python -P -c BOOT``: it imports pyoxigraph and this module without
importing Flask (``kgraph.web``'s package module is stubbed), so a replacement is
ready in ~0.1 s; a round trip to an idle executor costs ~0.2 ms.  Messages are
length-prefixed pickles over the child's stdin and stdout (a private channel between
processes of the same program).

An executor also isolates itself from the network when no host is allow-listed:
it enters a new, empty network namespace when the kernel permits (root, or
unprivileged user namespaces) — a second line of defence behind the endpoint's
refusal of ``SERVICE`` and ``LOAD`` (see :mod:`kgraph.web.sparql_text`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("kgraph.executor")

BOOT = (
    "import os, sys, types, kgraph\n"
    "web = types.ModuleType('kgraph.web')\n"
    "web.__path__ = [os.path.join(os.path.dirname(kgraph.__file__), 'web')]\n"
    "sys.modules['kgraph.web'] = web\n"
    "from kgraph.web.executor import child_main\n"
    "child_main()\n"
)

_HEADER = struct.Struct("!I")


class ExecutorError(Exception):
    """Base of the failures a caller turns into an HTTP answer."""


class BudgetExceeded(ExecutorError):
    """The operation ran past its time budget; its executor was killed."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"time budget of {budget:g} s exceeded")
        self.budget = budget


class MemoryExceeded(ExecutorError):
    """The operation used more memory than its allowance; its executor was killed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"memory allowance of {limit >> 20} MB exceeded")
        self.limit = limit


class PoolBusy(ExecutorError):
    """No executor became free within the budget."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"no query executor free within {budget:g} s")
        self.budget = budget


class ExecutorDied(ExecutorError):
    """An executor exited or answered garbage (a bug or a crash in the engine)."""


# ---------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------


class Executor:
    """One executor process and its pipes."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-c", BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env),
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._out, False)
        self._poll = select.poll()
        self._poll.register(self._out, select.POLLIN)
        self._buffer = b""
        self.calls = 0

    def send(self, message: Mapping[str, Any]) -> None:
        data = pickle.dumps(dict(message), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._in.write(_HEADER.pack(len(data)) + data)
            self._in.flush()
        except (BrokenPipeError, OSError) as error:
            raise ExecutorDied(f"executor {self.proc.pid} is gone: {error}") from error
        self.calls += 1

    def receive(self, deadline: float) -> Any:
        """The next message, or :class:`TimeoutError` at ``deadline`` (monotonic)."""
        while True:
            if len(self._buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self._buffer)
                if len(self._buffer) >= _HEADER.size + size:
                    data = self._buffer[_HEADER.size : _HEADER.size + size]
                    self._buffer = self._buffer[_HEADER.size + size :]
                    try:
                        return pickle.loads(data)
                    except Exception as error:
                        raise ExecutorDied(f"unreadable answer: {error}") from error
            try:
                chunk = os.read(self._out, 1 << 20)
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError from None
                # poll() takes milliseconds; round up so that a wait never spins.
                self._poll.poll(math.ceil(remaining * 1000))
                continue
            if not chunk:
                code = self.proc.poll()
                raise ExecutorDied(f"executor {self.proc.pid} exited (code {code})")
            self._buffer += chunk

    def demote(self) -> bool:
        """Lower this executor's CPU priority (a query that runs long yields the CPU).

        Linux keeps a priority per thread, and the query runs on the executor's own
        thread, so every thread of the process is demoted.
        """
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{self.proc.pid}/task")]
        except OSError:
            threads = [self.proc.pid]
        demoted = False
        for tid in threads:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, DEMOTED_NICENESS)
                demoted = True
        return demoted

    def private_memory(self) -> int:
        """Bytes of memory this executor holds on its own (resident, not file-backed)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as statm:
                fields = statm.read().split()
        except OSError:
            return 0
        return (int(fields[1]) - int(fields[2])) * _PAGE

    def kill(self) -> None:
        """SIGKILL, and a short wait for the exit; a process with gigabytes to free may
        take longer, and is then awaited in the background (the request that killed
        it should not wait)."""
        with contextlib.suppress(OSError):
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()
        try:
            self.proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            threading.Thread(target=self.proc.wait, daemon=True).start()


#: A query still running after SET_ASIDE_AFTER seconds is set aside: a fresh executor
#: takes its place in the pool at once, so that runaway queries (which will be cut
#: at their budget) never hold every executor of a worker.  One still running after
#: DEMOTE_AFTER seconds also drops to the lowest CPU priority, so that it does not
#: slow down short queries, page views and downloads on the same cores.  Ordinary
#: queries take milliseconds; a slow one under a busy machine may take a second, and
#: is not demoted for that.
SET_ASIDE_AFTER = 0.5
DEMOTE_AFTER = 2.0
DEMOTED_NICENESS = 19

#: Memory (resident, private) an executor may hold while it runs one query,
#: checked every MEMORY_CHECK seconds: sorting a cartesian product of the shipped
#: data took 2.5 GB within a 5 s budget.  An executor over it is killed like one over
#: its time budget.  ``KGRAPH_QUERY_MEMORY_MB`` changes it.
DEFAULT_MEMORY_LIMIT = 512 * 1024 * 1024
MEMORY_CHECK = 0.1
_PAGE = os.sysconf("SC_PAGE_SIZE")


def memory_limit() -> int:
    """The memory allowance of an operation, from ``KGRAPH_QUERY_MEMORY_MB``."""
    value = os.environ.get("KGRAPH_QUERY_MEMORY_MB", "")
    return int(value) * 1024 * 1024 if value.strip().isdigit() else DEFAULT_MEMORY_LIMIT


class ExecutorPool:
    """A fixed number of ready executors; a caller borrows one per operation.

    An operation that runs long is set aside (see :data:`SET_ASIDE_AFTER`), so there
    may be one more executor for each long operation in progress.
    """

    def __init__(self, size: int, env: Mapping[str, str]) -> None:
        self.size = max(1, size)
        self.env = dict(env)
        self.pid = os.getpid()
        self._idle: queue.LifoQueue[Executor] = queue.LifoQueue()
        self._all: set[Executor] = set()
        self._lock = threading.Lock()
        self.closed = False
        self.memory_limit = memory_limit()
        #: Executors of long operations whose place a fresh one has taken.
        self._aside = 0
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def _spawn(self) -> Executor:
        executor = Executor(self.env)
        with self._lock:
            self._all.add(executor)
        return executor

    def _retire(self, executor: Executor, replace: bool = True) -> None:
        executor.kill()
        with self._lock:
            self._all.discard(executor)
        if replace and not self.closed:
            self._idle.put(self._spawn())

    def call(
        self,
        message: Mapping[str, Any],
        budget: float,
        on_progress: Callable[[Any], float | None] | None = None,
    ) -> Any:
        """Send ``message`` to a free executor and return its answer.

        ``budget`` (seconds) covers waiting for an executor and the work.  A message
        with ``"progress": True`` may be answered first by progress notes; for each,
        ``on_progress(note)`` may return a new budget (from now) for what follows.
        """
        start = time.monotonic()
        deadline = start + budget
        executor = self._live_executor(message, budget, deadline)
        running = time.monotonic()  # the operation's own time starts when it is sent
        checked = long_running = demoted = False
        # Queries from anyone are held to the memory allowance; an operator's update
        # (a copy of the whole store, then validation) is not.
        limited = message.get("op") == "query"
        try:
            while True:
                if not checked:
                    milestone = running + SET_ASIDE_AFTER
                elif not demoted:
                    milestone = running + DEMOTE_AFTER
                else:
                    milestone = deadline
                try:
                    answer = executor.receive(
                        min(deadline, milestone, time.monotonic() + MEMORY_CHECK))
                except TimeoutError:
                    now = time.monotonic()
                    if now >= deadline:
                        raise
                    if limited and executor.private_memory() > self.memory_limit:
                        raise MemoryExceeded(self.memory_limit) from None
                    if now < milestone:
                        continue
                    if not checked:
                        checked = True
                        long_running = self._set_aside()
                    elif not demoted:
                        demoted = True
                        executor.demote()
                    continue
                if isinstance(answer, dict) and answer.get("progress"):
                    extended = on_progress(answer) if on_progress else None
                    if extended is not None:
                        deadline = time.monotonic() + extended
                    continue
                break
        except TimeoutError:
            log.warning("executor %d overran its %.3g s budget; killed", executor.proc.pid, budget)
            self._drop(executor, long_running)
            raise BudgetExceeded(budget) from None
        except MemoryExceeded:
            log.warning("executor %d went over its %d MB of memory; killed", executor.proc.pid,
                        self.memory_limit >> 20)
            self._drop(executor, long_running)
            raise
        except BaseException:
            self._drop(executor, long_running)
            raise
        if long_running:  # replaced already (and maybe demoted for good): end it
            self._end_aside(executor)
        elif demoted:  # it cannot get its priority back without privileges
            self._retire(executor)
        else:
            self._idle.put(executor)
        return answer

    def _set_aside(self) -> bool:
        """A long-running operation: put a fresh executor in its place, so that short
        queries do not wait behind runaway ones.  At most ``size`` are set aside at a
        time (each runaway query may take hundreds of megabytes before its budget
        ends it); beyond that a long operation keeps its place in the pool."""
        with self._lock:
            if self.closed or self._aside >= self.size:
                return False
            self._aside += 1
        self._idle.put(self._spawn())
        return True

    def _drop(self, executor: Executor, set_aside: bool) -> None:
        if set_aside:
            self._end_aside(executor)
        else:
            self._retire(executor)

    def _end_aside(self, executor: Executor) -> None:
        self._retire(executor, replace=False)
        with self._lock:
            self._aside -= 1

    def _live_executor(self, message: Mapping[str, Any], budget: float,
                       deadline: float) -> Executor:
        """An idle executor that has taken ``message``.

        An executor that died while idle (killed by an operator or the OOM killer)
        is replaced, and the message goes to the next one: nothing ran yet, so
        nothing is repeated, and the request does not fail for it.
        """
        for _ in range(self.size + 1):
            try:
                executor = self._idle.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise PoolBusy(budget) from None
            if executor.proc.poll() is None:
                try:
                    executor.send(message)
                    return executor
                except ExecutorDied:
                    pass
            log.warning("executor %d had died while idle; replaced", executor.proc.pid)
            self._retire(executor)
        raise ExecutorDied("no executor could be started")

    def close(self) -> None:
        self.closed = True
        with self._lock:
            executors = list(self._all)
            self._all.clear()
        for executor in executors:
            executor.kill()


_POOLS: dict[str, ExecutorPool] = {}
_POOLS_LOCK = threading.Lock()


def existing_pool(key: str) -> ExecutorPool | None:
    """This process's pool for ``key`` if it has one (no lock, no set-up: the hot path)."""
    pool = _POOLS.get(key)
    if pool is not None and pool.pid == os.getpid() and not pool.closed:
        return pool
    return None


def pool_for(key: str, size: int, env: Mapping[str, str]) -> ExecutorPool:
    """This process's pool for a snapshot store (made on first use, after any fork)."""
    pool = _POOLS.get(key)
    if pool is not None and pool.pid == os.getpid():
        return pool
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or pool.pid != os.getpid():
            pool = ExecutorPool(size, env)
            _POOLS[key] = pool
    return pool


def close_pools() -> None:
    """Stop this process's executors (at exit)."""
    for key, pool in list(_POOLS.items()):
        if pool.pid == os.getpid():
            pool.close()
            _POOLS.pop(key, None)


# ---------------------------------------------------------------------------
# Child side
# ---------------------------------------------------------------------------

ENV_STORE = "KGRAPH_EXECUTOR_STORE"
ENV_ISOLATE = "KGRAPH_EXECUTOR_ISOLATE_NETWORK"

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - not Linux
        return None


def die_with_parent(interval: float = 0.5) -> None:
    """End this process soon after its parent process dies (no orphan keeps running).

    Not ``prctl(PR_SET_PDEATHSIG)``: Linux sends that signal when the parent *thread*
    that started the child ends, and executors are started from request threads
    (the development server makes one per request), so replacements were killed as
    soon as the request that started them was answered.  A watchdog thread notices
    the parent's death by the change of parent process id.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def isolate_network() -> str:
    """Enter an empty network namespace; returns how, or why not."""
    libc = _libc()
    if libc is None or not hasattr(libc, "unshare"):
        return "unsupported"
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "netns"
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "userns+netns"
    return f"refused ({os.strerror(ctypes.get_errno())})"


class _Child:
    """The executor's state: the snapshot store it follows and its open handle."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.link = os.path.join(root, "current")
        self.target: str | None = None
        self.link_text: str | None = None
        self.store: Any = None

    def current_store(self) -> Any:
        """The current snapshot, re-opened when the link has moved.

        One ``readlink`` per query (a few µs; ``realpath`` costs ~90 µs): snapshot
        names are never reused, so the same link text means the same snapshot.
        """
        import pyoxigraph as ox

        link = os.readlink(self.link)
        if link != self.link_text or self.store is None:
            target = os.path.realpath(self.link)
            self.store = ox.Store.read_only(target)
            self.target = target
            self.link_text = link
        return self.store


def child_main() -> None:
    """Serve requests from the parent until stdin closes."""
    if os.environ.get(ENV_ISOLATE) == "1":  # before any thread: unshare needs one
        os.environ["KGRAPH_EXECUTOR_NETWORK"] = isolate_network()
    die_with_parent()
    logging.basicConfig(
        level=os.environ.get("KGRAPH_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s executor[%(process)d] %(message)s",
    )
    # The protocol owns the real stdout; stray prints go to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    child = _Child(os.environ[ENV_STORE])

    def send(message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data)) + data)
        out.flush()

    def serve() -> None:
        while True:
            header = inp.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            (size,) = _HEADER.unpack(header)
            message = pickle.loads(inp.read(size))
            try:
                answer = handle(child, message, send)
            except Exception as error:  # reported to the parent, which logs it with the query
                log.exception("executor failed")
                from .results import Outcome

                answer = Outcome(
                    500, error="internal", detail=f"{type(error).__name__}: {error}"
                )
            send(answer)

    run_with_large_stack(serve)


#: Stack of the thread that runs queries.  Oxigraph parses, optimises and evaluates
#: recursively, so a long chain (``1+1+...``, ``{} UNION {} ...``) of some 10,000
#: terms overflows the default 8 MiB and kills the process (measured with 0.5.13);
#: with 512 MiB every text up to the 1 MB body limit runs (or is cut by its budget).
#: Only the pages a query touches are used.
QUERY_STACK_BYTES = 512 * 1024 * 1024


def run_with_large_stack(target: Callable[[], None]) -> None:
    """Run ``target`` in a thread with :data:`QUERY_STACK_BYTES` of stack (else here)."""
    try:
        threading.stack_size(QUERY_STACK_BYTES)
        thread = threading.Thread(target=target, name="queries")
        thread.start()
    except (RuntimeError, ValueError, MemoryError):  # the system refused so large a stack
        log.warning("no thread with a %d MiB stack; queries run on the main thread",
                    QUERY_STACK_BYTES >> 20)
        target()
        return
    finally:
        threading.stack_size(0)
    thread.join()


def handle(child: _Child, message: dict, send: Callable[[Any], None]) -> Any:
    op = message.get("op")
    if op == "ping":
        return {"pong": os.getpid(), "network": os.environ.get("KGRAPH_EXECUTOR_NETWORK", "")}
    if op == "sleep":  # used by tests of the pool itself
        time.sleep(float(message["seconds"]))
        return {"slept": message["seconds"]}
    if op == "query":
        from .results import Dataset, run_query

        return run_query(
            child.current_store(),
            message["text"],
            dataset=Dataset(message["default_graphs"], message["named_graphs"]),
            has_dataset_clause=message["has_dataset_clause"],
            result_type=message["result_type"],
            graph_type=message["graph_type"],
            max_rows=message["max_rows"],
            base_iri=message.get("base_iri"),
            prefixes=message.get("prefixes"),
            remote_allowed=message.get("remote_allowed", False),
        )
    if op == "update":
        return apply_update(child, message, send)
    raise ValueError(f"unknown operation {op!r}")


def apply_update(child: _Child, message: dict, send: Callable[[Any], None]) -> Any:
    """Apply an update to a copy of the current snapshot, validate, publish.

    Updates are serialised across processes by a lock file in the store directory;
    the copy is taken under the lock, so no update is lost.  The parent's budget
    covers the SPARQL work; after the ``executed`` progress note, validation and
    publishing get their own, longer allowance (a kill there is harmless: a
    snapshot becomes ``current`` only by an atomic rename).
    """
    import json

    import pyoxigraph as ox

    from ..snapshots import SnapshotStore
    from ..validation_units import validate_dataset
    from .results import Outcome

    snapshots = SnapshotStore(child.root)
    with snapshots.writer_lock():  # the lock `kgraph load` and `import-table --apply` take
        source = child.current_store()
        copy = ox.Store()
        copy.bulk_extend(source.quads_for_pattern(None, None, None, None))
        before = len(copy)
        try:
            copy.update(
                message["text"], base_iri=message.get("base_iri"), prefixes=message.get("prefixes")
            )
        except SyntaxError as error:
            return Outcome(400, error="syntax", detail=str(error.args[0] if error.args else error))
        except ValueError as error:
            return Outcome(400, error="update", detail=str(error))
        send({"progress": True, "stage": "executed"})
        quads = list(copy.quads_for_pattern(None, None, None, None))
        # The gate's validation: per unit, with the units the update left unchanged
        # taken from the cache; in this process (an executor is killed as one).
        report = validate_dataset(quads, base=message.get("base_iri") or "",
                                  cache_dir=os.environ.get("KGRAPH_CACHE_DIR"), workers=1)
        if not report.conforms:
            return Outcome(
                422,
                error="violation",
                body=json.dumps(report.to_json(), ensure_ascii=False).encode(),
                detail=report.turtle,
            )
        path = snapshots.publish_quads(quads, label="update")
        summary = {
            "snapshot": os.path.basename(path),
            "quads_before": before,
            "quads_after": len(quads),
            "warnings": report.count("Warning"),
        }
        return Outcome(200, "application/json", json.dumps(summary).encode(), form="UPDATE")
