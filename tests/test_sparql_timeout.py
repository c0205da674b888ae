"""A runaway query is stopped at its budget while other clients keep being answered."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from support.server import running_server

#: Four-way cross product over ~450 triples: about 4 * 10^10 solutions to count.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ORDINARY = "SELECT ?s ?v WHERE { ?s <http://example.org/value> ?v } ORDER BY ?v LIMIT 5"

pytestmark = pytest.mark.server


def test_runaway_query_is_stopped_and_others_are_answered(small_data: str) -> None:
    with running_server("--data", small_data, "--query-timeout", "2", "--executors", "2") as url:
        endpoint = url + "sparql"
        # warm up: both executors answer an ordinary query
        assert requests.get(endpoint, params={"query": ORDINARY}, timeout=30).status_code == 200

        runaway: dict[str, object] = {}

        def run_away() -> None:
            started = time.monotonic()
            response = requests.post(endpoint, data={"query": RUNAWAY}, timeout=120)
            runaway["response"] = response
            runaway["elapsed"] = time.monotonic() - started
            runaway["finished"] = time.monotonic()

        thread = threading.Thread(target=run_away)
        thread.start()
        time.sleep(0.3)  # let the runaway reach its executor
        finished_ordinary = []
        while thread.is_alive() and len(finished_ordinary) < 5:
            response = requests.get(
                endpoint, params={"query": ORDINARY},
                headers={"Accept": "application/sparql-results+json"}, timeout=30,
            )
            assert response.status_code == 200, response.text
            assert len(response.json()["results"]["bindings"]) == 5
            finished_ordinary.append(time.monotonic())
        thread.join(timeout=60)
        assert not thread.is_alive()

        response = runaway["response"]
        assert isinstance(response, requests.Response)
        assert response.status_code == 503
        assert "time budget of 2 s" in response.text
        assert response.headers["Content-Type"].startswith("text/plain")
        assert runaway["elapsed"] < 2 + 5  # the budget plus a few seconds, not minutes
        # the other client's queries were answered while the runaway was running
        assert len(finished_ordinary) == 5
        assert all(t < runaway["finished"] for t in finished_ordinary)

        # the killed executor was replaced: the endpoint goes on answering
        for _ in range(4):
            assert requests.get(endpoint, params={"query": ORDINARY}, timeout=30).ok
        # every 5xx is logged with its query
        log = url.log()
        assert "-> 503" in log and "COUNT(*) AS ?n" in log


def test_request_may_ask_for_a_shorter_budget(small_data: str) -> None:
    with running_server("--data", small_data, "--query-timeout", "30") as url:
        started = time.monotonic()
        response = requests.get(
            url + "sparql", params={"query": RUNAWAY, "timeout": "1"}, timeout=60
        )
        assert response.status_code == 503
        assert "time budget of 1 s" in response.text
        assert time.monotonic() - started < 1 + 5
        bad = requests.get(url + "sparql", params={"query": ORDINARY, "timeout": "soon"},
                           timeout=30)
        assert bad.status_code == 400 and "timeout" in bad.text
