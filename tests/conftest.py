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


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> str:
    """A TriG file: 3 named graphs of 100 triples each, plus 2 default-graph triples.

    Small enough to validate in no time, big enough that a four-way cross product
    over it (10^10 solutions) runs for hours.
    """
    folder = tmp_path_factory.mktemp("small-data")
    lines = []
    for g in range(3):
        lines.append(f"<http://example.org/graph/{g}> {{")
        for i in range(100):
            lines.append(
                f'  <http://example.org/item/{g}-{i}> <http://example.org/value> {i} ; '
                f'<http://example.org/label> "item {g}-{i}"@en .'
                if i % 2 == 0
                else f"  <http://example.org/item/{g}-{i}> <http://example.org/value> {i} ."
            )
        lines.append("}")
    lines.append("<http://example.org/in-default> <http://example.org/value> -1 .")
    lines.append("<http://example.org/in-default> <http://example.org/label> \"default\" .")
    path = folder / "small.trig"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
