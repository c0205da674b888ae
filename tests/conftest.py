"""Fixtures shared by the test modules.

``server`` is the real server (``python server.py``) on the shipped data, started
once per test session on a free loopback port (see ``tests/support/server.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.server import ServerURL, running_server


@pytest.fixture(scope="session")
def server() -> Iterator[ServerURL]:
    """Base URL of the real server on the shipped data (no update token)."""
    with running_server() as url:
        yield url


@pytest.fixture(scope="session")
def sparql_url(server: ServerURL) -> str:
    return server + "sparql"
