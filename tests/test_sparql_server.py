"""server.py itself: --help, several worker processes, an on-disk store that moves on."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest
import requests
from support.server import SERVER, running_server

from kgraph.config import env_name, flag_name, settings
from kgraph.snapshots import SnapshotStore

#: What the server had from the start: each still a flag with its variable.
FLAGS_AND_ENV = {
    "--host": "KGRAPH_HOST",
    "--port": "KGRAPH_PORT",
    "--base": "KGRAPH_BASE",
    "--data": "KGRAPH_DATA",
    "--store": "KGRAPH_STORE",
    "--sparql-backend": "KGRAPH_SPARQL_BACKEND",
    "--query-timeout": "KGRAPH_QUERY_TIMEOUT",
    "--workers": "KGRAPH_WORKERS",
    "--executors": "KGRAPH_EXECUTORS",
    "--max-body-bytes": "KGRAPH_MAX_BODY_BYTES",
    "--max-rows": "KGRAPH_MAX_ROWS",
    "--cors-origins": "KGRAPH_CORS_ORIGINS",
    "--allowed-hosts": "KGRAPH_ALLOWED_HOSTS",
    "--log-level": "KGRAPH_LOG_LEVEL",
}


def test_help_documents_every_flag_and_its_environment_variable() -> None:
    out = subprocess.run([sys.executable, str(SERVER), "--help"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    options = out.split("options:", 1)[1].split("Environment variables only", 1)[0]
    entries = {e.split()[0]: " ".join(e.split()) for e in re.split(r"\n  (?=--)", options)
               if e.strip().startswith("--")}
    table = {flag_name(item): env_name(item) for item in settings() if flag_name(item)}
    assert set(entries) == set(table)  # the settings table gives every flag
    assert set(FLAGS_AND_ENV.items()) <= set(table.items())
    for flag, env in table.items():
        assert env in entries[flag], (flag, entries[flag])
    for item in settings():
        if not flag_name(item):  # environment only: listed after the flags
            assert env_name(item) in out.split("Environment variables only", 1)[1]
    assert "KGRAPH_UPDATE_TOKEN" in out


@pytest.mark.server
def test_two_worker_processes(small_data: str) -> None:
    token = "workers-token"
    with running_server("--data", small_data, "--workers", "2",
                        env={"KGRAPH_UPDATE_TOKEN": token}) as url:
        for _ in range(20):
            response = requests.get(url + "sparql", timeout=30, params={
                "query": "SELECT (COUNT(*) AS ?n) { ?s <http://example.org/value> ?v }"})
            assert response.status_code == 200
            assert response.json()["results"]["bindings"][0]["n"]["value"] == "301"
        assert "granian" in url.log().lower()
        # an update made through one worker is served by all of them
        response = requests.post(url + "sparql", timeout=120, headers={
            "Authorization": f"Bearer {token}"}, data={"update": (
                "INSERT DATA { GRAPH <http://example.org/graph/0> "
                "{ <http://example.org/w> <http://example.org/value> 7 } }")})
        assert response.status_code == 200, response.text
        for _ in range(10):
            response = requests.get(url + "sparql", timeout=30, params={
                "query": "ASK { <http://example.org/w> <http://example.org/value> 7 }"})
            assert response.json()["boolean"] is True
        log = url.log()
        booted = set(re.findall(r"Spawning worker-\d+ with PID: (\d+)", log))
        assert len(booted) == 2, log
        served_by = set(re.findall(r"kgraph\.access\[(\d+)\]", log))
        assert served_by and served_by <= booted  # requests are served by the workers


@pytest.mark.server
def test_store_directory_is_followed(tmp_path) -> None:
    root = tmp_path / "store"
    snapshots = SnapshotStore(root)
    value = ox.NamedNode("http://example.org/value")
    thing = ox.NamedNode("http://example.org/thing")
    graph = ox.NamedNode("http://example.org/g")
    snapshots.publish_quads([ox.Quad(thing, value, ox.Literal("1"), graph)])
    with running_server("--store", str(root)) as url:
        query = {"query": "SELECT ?v { <http://example.org/thing> ?p ?v }"}
        first = requests.get(url + "sparql", params=query, timeout=30).json()
        assert [b["v"]["value"] for b in first["results"]["bindings"]] == ["1"]
        snapshots.publish_quads([ox.Quad(thing, value, ox.Literal("2"), graph)])
        time.sleep(0.2)
        second = requests.get(url + "sparql", params=query, timeout=30).json()
        assert [b["v"]["value"] for b in second["results"]["bindings"]] == ["2"]
        graph_doc = requests.get(url + "rdf-graph-store", params={"graph": graph.value},
                                 headers={"Accept": "application/n-triples"}, timeout=30)
        assert '"2"' in graph_doc.text


def test_store_without_snapshot_is_a_clear_error(tmp_path) -> None:
    result = subprocess.run([sys.executable, str(SERVER), "--store", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no published snapshot" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_data_file_is_refused(tmp_path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(SERVER), "--data", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "bad.ttl:1" in result.stderr
    assert "Traceback" not in result.stderr
