"""The sandbox process: ``python -P -m kgraph.engine.worker``, driven by frames on stdin.

In this order, before it reads anything a user sent:

1. no core dumps (a crash must not write the input to disk);
2. network isolation (:func:`kgraph.engine.isolation.isolate`), before any thread
   exists, since a network namespace is per process and a seccomp filter is
   inherited only by threads started after it;
3. a watchdog that ends the process when its parent (the web process) is gone;
4. the work runs on a thread with a large stack (Oxigraph parses and evaluates
   recursively), and the address space is then capped at what the process has
   plus its allowance (``KGRAPH_SANDBOX_ADDRESS_SPACE_MB``): the kernel refuses
   an allocation past it, however fast the blow-up.

Then it answers one frame at a time (see :mod:`kgraph.engine.operations`).  The
real stdout is the frame channel; anything printed goes to stderr.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import threading
from collections.abc import Callable

from ..orphans import die_with_parent
from . import isolation
from .frames import read_frame, write_frame
from .sandbox import ENV_ADDRESS_SPACE, ENV_ALLOWED_HOSTS, ENV_ROLE

log = logging.getLogger("kgraph.worker")

#: Stack of the thread that does the work: a chain of ~10,000 terms (``1+1+…``,
#: ``{} UNION {} …``) overflows the default 8 MiB; only the pages used are touched.
WORK_STACK_BYTES = 512 * 1024 * 1024


def cap_address_space() -> None:
    """Limit the address space to what the process maps now plus its allowance."""
    allowance = os.environ.get(ENV_ADDRESS_SPACE, "")
    if not allowance.isdigit():
        return
    try:
        with open("/proc/self/statm", "rb") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return
    limit = mapped + int(allowance) * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError) as error:
        log.warning("could not cap the address space: %s", error)


def run_with_large_stack(target: Callable[[], None]) -> None:
    """Run ``target`` in a thread with :data:`WORK_STACK_BYTES` of stack (else here)."""
    try:
        threading.stack_size(WORK_STACK_BYTES)
        thread = threading.Thread(target=target, name="work")
        thread.start()
    except (RuntimeError, ValueError, MemoryError):
        log.warning("no thread with a %d MiB stack; work runs on the main thread",
                    WORK_STACK_BYTES >> 20)
        target()
        return
    finally:
        threading.stack_size(0)
    thread.join()


def main() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    allowed = os.environ.get(ENV_ALLOWED_HOSTS, "").split()
    network = isolation.isolate(allowed)
    die_with_parent()
    logging.basicConfig(
        level=os.environ.get("KGRAPH_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s sandbox[%(process)d] %(message)s",
    )
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer

    from .operations import Context, handle, preload

    role = os.environ.get(ENV_ROLE, "query")
    preload(role)
    context = Context(network=network, role=role)

    def serve() -> None:
        cap_address_space()
        while True:
            try:
                header, payload = read_frame(inp)
            except EOFError:
                return
            try:
                answer, body = handle(context, header, payload,
                                      lambda note: write_frame(out, note))
            except MemoryError:
                answer, body = {"status": 503, "error": "memory"}, b""
            except Exception as error:  # reported to the parent, which logs it
                log.exception("the sandbox failed")
                answer = {"status": 500, "error": "internal",
                          "detail": f"{type(error).__name__}: {error}"}
                body = b""
            write_frame(out, answer, body)

    run_with_large_stack(serve)


if __name__ == "__main__":
    main()
