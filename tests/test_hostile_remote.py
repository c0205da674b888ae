"""SERVICE and LOAD to loopback, private and other addresses: refused, never contacted.

Every target of ``tests/hostile/sparql/remote/targets.txt`` in every form of
``forms.txt`` (queries, and updates sent with the real operator token) is refused
with 400 and a message saying why, by the production server with nothing
allow-listed, and by one that allow-lists a single host (so that spellings which
only look like that host are refused too).  A listener on 127.0.0.1 and ::1 counts
connections: none may arrive.  Executors also leave the network when they can (a
second line of defence); the refusal checked here is the first, which works
everywhere.  Uploads that name remote documents (``owl:imports``, a JSON-LD
``@context``) do not make the server fetch them either.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from support.hostile import (
    CORPUS,
    TOKEN,
    Listener,
    load_store,
    production_server,
    served,
)

pytestmark = pytest.mark.server

REMOTE = CORPUS / "sparql" / "remote"
ALLOWED = "allowed.example"
#: Spellings that name another host while looking like the allowed one.
LOOKALIKES = [
    f"http://{ALLOWED}@127.0.0.1:{{port}}/sparql",
    f"http://{ALLOWED}:80@127.0.0.1:{{port}}/sparql",
    f"http://127.0.0.1:{{port}}/sparql#@{ALLOWED}",
    f"http://127.0.0.1:{{port}}/{ALLOWED}",
    f"http://127.0.0.1:{{port}}/?host={ALLOWED}",
    f"http://{ALLOWED}.127.0.0.1.nip.io:{{port}}/sparql",
    f"http://{ALLOWED}.:{{port}}/sparql",
    f"http://{ALLOWED}%00.127.0.0.1:{{port}}/sparql",
    "http://allowed.exаmple/sparql",  # a Cyrillic а
    f"http://{ALLOWED}\\u005c@127.0.0.1:{{port}}/sparql",
    f"http:\\u002f\\u002f127.0.0.1:{{port}}\\u002f{ALLOWED}",
    f"http://sub.{ALLOWED}/sparql",
]


def _targets() -> list[str]:
    lines = (REMOTE / "targets.txt").read_text("utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def _forms() -> list[tuple[str, str]]:
    forms: list[tuple[str, str]] = []
    for line in (REMOTE / "forms.txt").read_text("utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        if line.startswith("\t"):
            kind, text = forms.pop()
            forms.append((kind, text + "\n" + line))
        else:
            kind, _, text = line.partition("\t")
            forms.append((kind, text))
    return forms


def _escaped(iri: str) -> str:
    """The IRI with its scheme and host written as SPARQL \\u escapes."""
    head, sep, rest = iri.partition("//")
    host, slash, tail = rest.partition("/")
    return "".join(f"\\u{ord(c):04x}" for c in head + sep + host) + slash + tail


TARGETS = _targets()
FORMS = _forms()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("remote-store")
    load_store(store)
    return store


@pytest.fixture(scope="module")
def listener():
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def closed_server(store):
    with production_server(store) as url:
        yield url


@pytest.fixture(scope="module")
def allowing_server(store):
    with production_server(store, "--allowed-hosts", ALLOWED) as url:
        yield url


def send(url: str, kind: str, text: str) -> requests.Response:
    if kind == "query":
        return requests.post(url + "sparql", data={"query": text}, timeout=60)
    return requests.post(url + "sparql", data={"update": text}, timeout=60,
                         headers={"Authorization": f"Bearer {TOKEN}"})


def check_refused(url: str, listener: Listener, targets: list[str]) -> None:
    for target in targets:
        iri = target.format(port=listener.port)
        for kind, form in FORMS:
            text = form.replace("{target_escaped}", _escaped(iri)).replace("{target}", iri)
            response = send(url, kind, text)
            assert response.status_code == 400, (
                f"{kind} {text!r}: {response.status_code} {response.text[:300]}")
            assert "refused" in response.text or "not allowed" in response.text, response.text
    assert listener.hits == [], f"connections arrived: {listener.hits[:3]}"


def test_nothing_allow_listed_nothing_contacted(closed_server, listener):
    before = served(closed_server)
    check_refused(closed_server, listener, TARGETS)
    assert served(closed_server).nquads == before.nquads


def test_lookalikes_of_an_allowed_host_are_refused(allowing_server, listener):
    before = served(allowing_server)
    check_refused(allowing_server, listener, [*TARGETS, *LOOKALIKES])
    assert served(allowing_server).nquads == before.nquads


def test_uploads_naming_remote_documents_fetch_nothing(closed_server, listener):
    here = f"127.0.0.1:{listener.port}"
    for name in ("owl-imports.ttl", "remote-context.jsonld"):
        data = (CORPUS / "uploads" / name).read_bytes().replace(b"127.0.0.1:9", here.encode())
        response = requests.post(closed_server + "validation", files={"file": (name, data)},
                                 headers={"Accept": "application/json"}, timeout=120)
        assert response.status_code in (200, 400), response.text[:300]
    assert listener.hits == []
