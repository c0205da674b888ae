"""Units of the engine: frames, isolation, the bounds on documents, the report cache."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgraph import report_cache
from kgraph.engine import isolation
from kgraph.engine.frames import (
    MAX_HEADER,
    FrameError,
    FrameReader,
    encode,
    read_frame,
)
from kgraph.parse_limits import MAX_NESTING, DocumentTooComplex, check_document, turtle_depth
from kgraph.validation import Report, Result

# ---------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------


@given(st.dictionaries(st.text(), st.one_of(st.text(), st.integers(), st.booleans(),
                                            st.none())),
       st.binary(max_size=2000))
@settings(max_examples=100)
def test_frames_round_trip_whole_and_in_pieces(header, payload):
    data = encode(header, payload)
    assert read_frame(io.BytesIO(data)) == (header, payload)
    reader = FrameReader()
    for i in range(0, len(data), 7):
        assert reader.next() is None
        reader.feed(data[i:i + 7])
    assert reader.next() == (header, payload)


@pytest.mark.parametrize("data", [
    (MAX_HEADER + 1).to_bytes(4, "big") + b"x",
    (2).to_bytes(4, "big") + b"[]" + (0).to_bytes(8, "big"),
    (3).to_bytes(4, "big") + b"{x}" + (0).to_bytes(8, "big"),
])
def test_frames_that_are_not_objects_or_too_big_are_refused(data):
    reader = FrameReader()
    reader.feed(data)
    with pytest.raises(FrameError):
        reader.next()


def test_an_answer_is_never_unpickled():
    """A sandbox that answers a pickle is unreadable, not obeyed."""
    import pickle

    reader = FrameReader()
    blob = pickle.dumps({"status": 200})
    reader.feed(len(blob).to_bytes(4, "big") + blob + (0).to_bytes(8, "big"))
    with pytest.raises(FrameError):
        reader.next()


# ---------------------------------------------------------------------------
# Isolation, in a process of its own
# ---------------------------------------------------------------------------

PROBE = textwrap.dedent("""
    import socket, sys, json
    from kgraph.engine import isolation
    mode = isolation.isolate(sys.argv[2].split() if len(sys.argv) > 2 else [])
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
        reached = True
    except OSError as error:
        reached = str(error)
    print(json.dumps({"mode": mode, "reached": reached}))
""")


@pytest.fixture
def canary():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def probe(port: int, *allowed: str, isolation_mode: str = "auto") -> dict:
    env = {**os.environ, "KGRAPH_NETWORK_ISOLATION": isolation_mode}
    done = subprocess.run([sys.executable, "-c", PROBE, str(port), " ".join(allowed)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_isolated_process_cannot_connect(canary):
    found = probe(canary)
    assert found["mode"] in isolation.CLOSED
    assert found["reached"] is not True


def test_seccomp_alone_refuses_inet_sockets(canary):
    found = probe(canary, isolation_mode="seccomp")
    assert found["mode"] == "seccomp"
    assert "Permission denied" in found["reached"]


def test_the_allow_list_lets_only_its_hosts_through(canary):
    refused = probe(canary, "example.org")
    assert refused["mode"] == isolation.ALLOWLIST
    assert "Permission denied" in refused["reached"]
    allowed = probe(canary, "127.0.0.1")
    assert allowed["mode"] == isolation.ALLOWLIST and allowed["reached"] is True


def test_forced_off_is_none(canary):
    assert probe(canary, isolation_mode="off")["mode"] == isolation.NONE


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <x> {} }", "select * { sErViCe<x>{} }", "LOAD <x>",
    "SELECT * { \\u0053ERVICE <x> {} }", "# service in a comment", "'download'",
])
def test_without_isolation_any_mention_counts(text):
    assert isolation.names_remote(text)


def test_ordinary_texts_do_not_name_remotes():
    assert not isolation.names_remote("SELECT * WHERE { ?s ?p ?o } LIMIT 10")


# ---------------------------------------------------------------------------
# Bounds on documents
# ---------------------------------------------------------------------------

def test_turtle_depth_skips_strings_iris_and_comments():
    text = b'<a> <b> "[[[[((((" . # ((((((((\n<c> <d> <<( <e> <f> <g> )>> .\n' * 100
    assert turtle_depth(text) == 1


@pytest.mark.parametrize("fmt", [ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES,
                                 ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG])
def test_deep_triple_terms_are_refused_before_parsing(fmt):
    depth = MAX_NESTING + 1
    data = b"<a> <b> " + b"<<( <s> <p> " * depth + b"<o>" + b" )>>" * depth + b" .\n"
    with pytest.raises(DocumentTooComplex, match="nested"):
        check_document(data, fmt)


def test_xml_entity_declarations_are_refused_even_unused():
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(DocumentTooComplex, match="entity"):
        check_document(data, ox.RdfFormat.RDF_XML)


def test_xml_that_is_not_well_formed_is_refused():
    with pytest.raises(DocumentTooComplex, match="well-formed"):
        check_document(b"<rdf:RDF><unclosed>", ox.RdfFormat.RDF_XML)


# ---------------------------------------------------------------------------
# The report cache and capped reports
# ---------------------------------------------------------------------------

def test_the_cache_evicts_the_least_recently_used(tmp_path):
    folder = str(tmp_path)
    for n in range(10):
        report_cache.write(folder, "k", f"key{n}", {"data": "x" * 10_000})
        path = tmp_path / "k" / f"key{n}.json"
        os.utime(path, (time.time() - 100 + n, time.time() - 100 + n))
    assert report_cache.read(folder, "k", "key0") is not None  # used again: kept
    deleted = report_cache.prune(folder, 50_000)
    assert deleted >= 5
    assert sum(p.stat().st_size for p in tmp_path.rglob("*.json")) <= 40_000
    assert report_cache.read(folder, "k", "key0") is not None
    assert report_cache.read(folder, "k", "key1") is None


def test_a_capped_report_keeps_the_worst_and_counts_the_rest():
    results = [Result(f"urn:{n}", "Warning", "urn:shape", "c") for n in range(5)]
    results.append(Result("urn:v", "Violation", "urn:shape", "c"))
    capped = Report(results).capped(2)
    assert [r.severity for r in capped.results].count("Violation") == 1
    assert capped.by_severity() == {"Violation": 1, "Warning": 5, "Info": 0}
    assert not capped.conforms
    again = Report.from_json(json.loads(json.dumps(capped.to_json())))
    assert again.by_severity() == capped.by_severity()


def test_a_capped_report_shows_every_violated_shape():
    """A missing plan is not hidden behind a thousand broken links (DROP GRAPH of the plan)."""
    results = [Result(f"urn:a{n}", "Violation", "urn:broken-link", "c") for n in range(1000)]
    results.append(Result("urn:z", "Violation", "urn:published-plan", "c"))
    results.append(Result("urn:w", "Warning", "urn:style", "c"))
    capped = Report(results).capped(10)
    shapes = [r.shape for r in capped.results]
    assert "urn:published-plan" in shapes and shapes.count("urn:broken-link") == 9
    assert capped.by_severity() == {"Violation": 1001, "Warning": 1, "Info": 0}
