"""No orphans: a process that ends soon after its parent does.

Sandboxes end with the server worker that started them, and server workers end
with the server's main process: a ``kill -9`` of ``python server.py`` must not
leave a worker serving the port (granian shares it with its workers) or a sandbox
holding gigabytes.

Not ``prctl(PR_SET_PDEATHSIG)``: Linux sends that signal when the parent *thread*
that started the child ends, and sandboxes are started from request threads.  A
watchdog thread notices the parent's death by the change of the parent process id.
"""

from __future__ import annotations

import os
import threading
import time


def die_with_parent(interval: float = 0.5) -> None:
    """End this process (exit code 1) soon after its parent process dies."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
