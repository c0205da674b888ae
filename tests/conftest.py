"""Fixtures shared by the test modules.

``server`` is the real server (``python server.py``) on the shipped data, started
once per test session on a free loopback port (see ``tests/support/server.py``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from support.server import ServerURL, running_server

#: The language the tests' HTTP clients read unless a test says otherwise.  With no
#: Accept-Language at all the server answers in Japanese (the one rule of
#: kgraph.messages; tests/test_messages.py and test_language_default.py check that);
#: most assertions here are written against the English wording.
TEST_LANGUAGE = "en"
# The same for the command line: a machine with no locale at all would make the CLI
# speak Japanese (the one rule); the tests' subprocesses get an English locale unless
# a test gives one (tests/test_language_default.py).
if not any(os.environ.get(name) for name in ("LC_ALL", "LC_MESSAGES", "LANG")):
    os.environ["LANG"] = "C.UTF-8"
# Each run has its own cache directory (never the developer's ~/.cache/kgraph), removed
# at the end; the servers and sandboxes the tests start inherit it.
_RUN_CACHE = tempfile.mkdtemp(prefix="kgraph-test-cache-")
os.environ["KGRAPH_CACHE_DIR"] = _RUN_CACHE
atexit.register(shutil.rmtree, _RUN_CACHE, ignore_errors=True)
# Servers, the CLI and the sandboxes validate with pyshacl-turbo when it is installed (it
# is in the test extra): it halves the time of the tests that publish.  pySHACL, the
# default engine, is what tests/test_shapes.py runs every shape's fixtures with, and
# test_validation_scale.py / test_reports.py show both engines give the same reports.
from kgraph.validation import turbo_available  # noqa: E402

if turbo_available():
    os.environ.setdefault("KGRAPH_SHACL_ENGINE", "turbo")


@pytest.fixture(autouse=True, scope="session")
def _clients_read_english() -> Iterator[None]:
    """``requests`` and Flask's test client send ``Accept-Language: en`` unless the
    test sets that header (or ``lang=``/the cookie) itself (for the whole session:
    module fixtures send requests too); the test client reads each answer whole."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _english(monkeypatch)


def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original = requests.Session.request

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        headers = dict(kwargs.pop("headers", None) or {})
        if not any(k.lower() == "accept-language" for k in headers):
            headers["Accept-Language"] = TEST_LANGUAGE
        return original(self, method, url, *args, headers=headers, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    base_open = FlaskClient.open

    def open_(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Read and close every answer, as a real server does: an answer's close() is
        # what frees its client's query slot (kgraph.web.work).
        kwargs.setdefault("buffered", True)
        headers = kwargs.get("headers")
        given = headers.keys() if hasattr(headers, "keys") else [k for k, _ in headers or []]
        if not any(k.lower() == "accept-language" for k in given) and \
                "HTTP_ACCEPT_LANGUAGE" not in self.environ_base:
            kwargs["headers"] = [*(headers.items() if hasattr(headers, "items")
                                   else headers or []), ("Accept-Language", TEST_LANGUAGE)]
        return base_open(self, *args, **kwargs)

    monkeypatch.setattr(FlaskClient, "open", open_)
    yield


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


#: The test files that take longest, longest first (as measured on the 2-core machine,
#: each run alone: ``time python -m pytest tests/FILE``): they are collected first.  Under
#: ``make test`` each file stays on one xdist worker, and files are handed out in
#: collection order, so a long file that came last alphabetically was a tail the
#: other workers waited out.  A file missing here runs after these, in its own order.
LONGEST_FILES = (
    "test_hostile_findings.py",
    "test_hostile_second.py",
    "test_hostile_uploads.py",
    "test_hostile_http.py",
    "test_faults.py",
    "test_browser_query.py",
    "test_validation_scale.py",
    "test_shapes.py",
    "test_staff_faults.py",
    "test_hostile_runaway.py",
    "test_staff_browser.py",
    "test_virtuoso_backend.py",
    "test_fuzz_parsers.py",
    "test_browser_reports.py",
    "test_hostile_spellings.py",
    "test_staff_api.py",
    "test_w3c_protocol.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (a stable sort: each file keeps its tests' order)."""
    rank = {name: place for place, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
