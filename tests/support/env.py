"""The environment the tests give the servers and command lines they start.

No ``KGRAPH_*`` setting of the developer's reaches them, except the two the test run
itself chose (tests/conftest.py): its own cache directory and its SHACL engine.
"""

from __future__ import annotations

import os

#: Settings made by the test run for everything it starts.
RUN_SETTINGS = ("KGRAPH_CACHE_DIR", "KGRAPH_SHACL_ENGINE")


def clean_env(*drop_prefixes: str, **extra: str) -> dict[str, str]:
    """``os.environ`` without ``KGRAPH_*`` (but :data:`RUN_SETTINGS`) and without the
    variables starting with ``drop_prefixes``; then ``extra``."""
    prefixes = ("KGRAPH_", *drop_prefixes)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(prefixes) or k in RUN_SETTINGS}
    env.update(extra)
    return env
