"""Sandboxes: killable processes that do the work users ask for, with a budget.

Nothing a user sends is parsed, queried or validated in the web process.  A web
process (each server worker) keeps pools of sandbox processes
(:mod:`kgraph.engine.worker`): one for SPARQL queries and updates, one for
validating uploads.  A request checks a sandbox out, sends it the work as a frame
(:mod:`kgraph.engine.frames`) and waits at most for its time budget.  A sandbox
that overruns its budget or its memory allowance is killed (SIGKILL) and replaced,
and one that crashes (a parser's stack overflow, an allocation the kernel refused)
takes nothing with it: the caller gets :class:`SandboxCrashed` and answers a clear
4xx.  Each sandbox is cut off from the network (:mod:`kgraph.engine.isolation`),
has no core dumps and a hard address-space limit.

Why processes reading the on-disk snapshot, rather than forks of an in-memory
store (pyoxigraph 0.5.13, 2-core machine; see the report on issue 3): opening a
read-only snapshot takes ~15 ms (20k quads) to ~40 ms (200k quads), so a killed
sandbox is replaced at once; every process shares one validated copy through the
page cache; a published update is followed by re-reading the ``current`` link
before each query (~2 µs).  A round trip to an idle sandbox costs ~0.2 ms.

A query still running after :data:`SET_ASIDE_AFTER` is *set aside*: a fresh
sandbox takes its place in the pool, so that runaway queries never hold every
sandbox; after :data:`DEMOTE_AFTER` it also drops to the lowest CPU priority.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .frames import FrameError, FrameReader, encode

log = logging.getLogger("kgraph.sandbox")

#: Environment variables a sandbox is started with (what it needs, nothing secret).
ENV_STORE = "KGRAPH_SANDBOX_STORE"
ENV_ROLE = "KGRAPH_SANDBOX_ROLE"
ENV_ALLOWED_HOSTS = "KGRAPH_SANDBOX_ALLOWED_HOSTS"
ENV_ADDRESS_SPACE = "KGRAPH_SANDBOX_ADDRESS_SPACE_MB"


class SandboxError(Exception):
    """Base of the failures a caller turns into an HTTP answer."""


class BudgetExceeded(SandboxError):
    """The work ran past its time budget; its sandbox was killed."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"time budget of {budget:g} s exceeded")
        self.budget = budget


class MemoryExceeded(SandboxError):
    """The work held more memory than its allowance; its sandbox was killed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"memory allowance of {limit >> 20} MB exceeded")
        self.limit = limit


class PoolBusy(SandboxError):
    """No sandbox became free within the budget."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"no sandbox free within {budget:g} s")
        self.budget = budget


class SandboxCrashed(SandboxError):
    """The sandbox died while working (a crash, or an allocation it was refused),
    or answered something unreadable."""

    def __init__(self, detail: str, signal_number: int | None = None) -> None:
        super().__init__(detail)
        self.signal_number = signal_number


@dataclass(frozen=True)
class Limits:
    """What one pool's sandboxes may use."""

    #: Private resident memory one piece of work may hold, checked every
    #: :data:`MEMORY_CHECK` seconds (0: not checked).
    memory: int = 0
    #: Hard limit on the sandbox's address space beyond what it has when it is
    #: ready, in bytes (the kernel refuses more: a fast blow-up cannot outrun it).
    address_space: int = 0
    #: Set long work aside (queries), or keep it in its place (validation).
    set_aside: bool = True
    #: Replace a sandbox whose own memory is above this many bytes after a piece of
    #: work (0: never): work that leaves memory behind (rdflib and pySHACL keep some)
    #: does not pile up, and the next piece keeps nearly all of its allowance.
    retire_above: int = 0


class Sandbox:
    """One sandbox process and its pipes."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "kgraph.engine.worker"],
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
        self._reader = FrameReader()
        self.calls = 0

    def send(self, header: Mapping[str, Any], payload: bytes = b"") -> None:
        try:
            self._in.write(encode(dict(header), payload))
            self._in.flush()
        except (BrokenPipeError, OSError) as error:
            raise SandboxCrashed(f"sandbox {self.proc.pid} is gone: {error}") from error
        self.calls += 1

    def receive(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        """The next frame, or :class:`TimeoutError` at ``deadline`` (monotonic)."""
        while True:
            try:
                frame = self._reader.next()
            except FrameError as error:
                raise SandboxCrashed(f"unreadable answer: {error}") from error
            if frame is not None:
                return frame
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
                raise self._death()
            self._reader.feed(chunk)

    def _death(self) -> SandboxCrashed:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return SandboxCrashed(f"sandbox {self.proc.pid} died of {name}", -code)
        return SandboxCrashed(f"sandbox {self.proc.pid} exited (code {code})")

    def demote(self) -> bool:
        """Lower this sandbox's CPU priority (Linux keeps one per thread: all of them)."""
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
        """Bytes of memory this sandbox holds on its own (resident, not file-backed)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as statm:
                fields = statm.read().split()
        except OSError:
            return 0
        return (int(fields[1]) - int(fields[2])) * _PAGE

    def kill(self) -> None:
        """SIGKILL, and a short wait for the exit; a process with gigabytes to free is
        awaited in the background (the request that killed it should not wait)."""
        with contextlib.suppress(OSError):
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()
        try:
            self.proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            threading.Thread(target=self.proc.wait, daemon=True).start()


#: Answers of work that failed inside its sandbox (an allocation refused, an exception):
#: that sandbox is replaced, not given the next piece of work in an unknown state.
FAILED_INSIDE = frozenset({"memory", "internal"})

#: Ordinary queries take milliseconds; a slow one on a busy machine a second.
SET_ASIDE_AFTER = 0.5
DEMOTE_AFTER = 2.0
DEMOTED_NICENESS = 19
MEMORY_CHECK = 0.1
_PAGE = os.sysconf("SC_PAGE_SIZE")


class SandboxPool:
    """A fixed number of ready sandboxes; a caller borrows one per piece of work."""

    def __init__(self, size: int, env: Mapping[str, str], limits: Limits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or Limits()
        self.env = dict(env)
        if self.limits.address_space:
            self.env[ENV_ADDRESS_SPACE] = str(self.limits.address_space >> 20)
        self.pid = os.getpid()
        self._idle: queue.LifoQueue[Sandbox] = queue.LifoQueue()
        self._all: set[Sandbox] = set()
        self._lock = threading.Lock()
        self.closed = False
        #: Sandboxes of long work whose place a fresh one has taken.
        self._aside = 0
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def _spawn(self) -> Sandbox:
        sandbox = Sandbox(self.env)
        with self._lock:
            self._all.add(sandbox)
        return sandbox

    def _retire(self, sandbox: Sandbox, replace: bool = True) -> None:
        sandbox.kill()
        with self._lock:
            self._all.discard(sandbox)
        if replace and not self.closed:
            self._idle.put(self._spawn())

    def call(
        self,
        header: Mapping[str, Any],
        payload: bytes = b"",
        *,
        budget: float,
        on_progress: Callable[[dict[str, Any]], float | None] | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        """Send work to a free sandbox and return its answer (header, payload).

        ``budget`` (seconds) covers waiting for a sandbox and the work.  The work
        may first answer progress notes (``{"progress": ...}``); for each,
        ``on_progress(note)`` may return a new budget (from now) for what follows.
        """
        deadline = time.monotonic() + budget
        sandbox = self._live_sandbox(header, payload, budget, deadline)
        running = time.monotonic()
        checked = long_running = demoted = False
        limits = self.limits
        try:
            while True:
                if not checked:
                    milestone = running + SET_ASIDE_AFTER
                elif not demoted:
                    milestone = running + DEMOTE_AFTER
                else:
                    milestone = deadline
                wake = min(deadline, milestone)
                if limits.memory:
                    wake = min(wake, time.monotonic() + MEMORY_CHECK)
                try:
                    answer = sandbox.receive(wake)
                except TimeoutError:
                    now = time.monotonic()
                    if now >= deadline:
                        raise
                    if limits.memory and sandbox.private_memory() > limits.memory:
                        raise MemoryExceeded(limits.memory) from None
                    if now < milestone:
                        continue
                    if not checked:
                        checked = True
                        long_running = limits.set_aside and self._set_aside()
                    elif not demoted:
                        demoted = True
                        sandbox.demote()
                    continue
                if answer[0].get("progress"):
                    extended = on_progress(answer[0]) if on_progress else None
                    if extended is not None:
                        deadline = time.monotonic() + extended
                    continue
                break
        except TimeoutError:
            log.warning("sandbox %d overran its %.3g s budget; killed", sandbox.proc.pid, budget)
            self._drop(sandbox, long_running)
            raise BudgetExceeded(budget) from None
        except MemoryExceeded:
            log.warning("sandbox %d went over its %d MB of memory; killed", sandbox.proc.pid,
                        limits.memory >> 20)
            self._drop(sandbox, long_running)
            raise
        except BaseException:
            self._drop(sandbox, long_running)
            raise
        if long_running:  # replaced already (and maybe demoted for good): end it
            self._end_aside(sandbox)
        elif (demoted or answer[0].get("error") in FAILED_INSIDE
              or (limits.retire_above and sandbox.private_memory() > limits.retire_above)):
            self._retire(sandbox)
        else:
            self._idle.put(sandbox)
        return answer

    def _set_aside(self) -> bool:
        """Put a fresh sandbox in the place of a long-running one, so that short
        queries do not wait behind runaway ones; at most ``size`` at a time (each
        runaway query may take hundreds of megabytes before its budget ends it)."""
        with self._lock:
            if self.closed or self._aside >= self.size:
                return False
            self._aside += 1
        self._idle.put(self._spawn())
        return True

    def _drop(self, sandbox: Sandbox, set_aside: bool) -> None:
        if set_aside:
            self._end_aside(sandbox)
        else:
            self._retire(sandbox)

    def _end_aside(self, sandbox: Sandbox) -> None:
        self._retire(sandbox, replace=False)
        with self._lock:
            self._aside -= 1

    def _live_sandbox(self, header: Mapping[str, Any], payload: bytes, budget: float,
                      deadline: float) -> Sandbox:
        """An idle sandbox that has taken the work.  One that died while idle is
        replaced and the work goes to the next (nothing ran yet)."""
        for _ in range(self.size + 1):
            try:
                sandbox = self._idle.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise PoolBusy(budget) from None
            if sandbox.proc.poll() is None:
                try:
                    sandbox.send(header, payload)
                    return sandbox
                except SandboxCrashed:
                    pass
            log.warning("sandbox %d had died while idle; replaced", sandbox.proc.pid)
            self._retire(sandbox)
        raise SandboxCrashed("no sandbox could be started")

    def close(self) -> None:
        self.closed = True
        with self._lock:
            sandboxes = list(self._all)
            self._all.clear()
        for sandbox in sandboxes:
            sandbox.kill()


_POOLS: dict[str, SandboxPool] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(key: str, make: Callable[[], SandboxPool]) -> SandboxPool:
    """This process's pool for ``key``, made on first use (after any fork)."""
    pool = _POOLS.get(key)
    if pool is not None and pool.pid == os.getpid() and not pool.closed:
        return pool
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or pool.pid != os.getpid() or pool.closed:
            pool = make()
            _POOLS[key] = pool
    return pool


def close_pools() -> None:
    """Stop this process's sandboxes (at exit)."""
    for key, pool in list(_POOLS.items()):
        if pool.pid == os.getpid():
            pool.close()
            _POOLS.pop(key, None)
