"""Runaway queries do not hold back the others.

A query still running after :data:`~kgraph.engine.sandbox.SET_ASIDE_AFTER` is set
aside: a fresh executor takes its place at once, and after
:data:`~kgraph.engine.sandbox.DEMOTE_AFTER` it drops to the lowest CPU priority,
so that a pool of one executor still answers short queries while a runaway one runs
to its budget (the load campaign showed ordinary queries waiting seconds behind
pathological ones when those held every executor of a worker).
"""

from __future__ import annotations

import os
import threading

import pytest
from support.hostile import load_store
from support.processes import ended

from kgraph.engine.sandbox import (
    DEMOTED_NICENESS,
    ENV_STORE,
    BudgetExceeded,
    Limits,
    MemoryExceeded,
    SandboxCrashed,
    SandboxPool,
)
from kgraph.iris import PREFIXES
from kgraph.web.state import temporary_store


@pytest.fixture
def pool():
    pool = SandboxPool(1, {**os.environ, ENV_STORE: temporary_store([])})
    yield pool
    pool.close()


def test_a_short_query_is_answered_while_a_runaway_one_runs(pool):
    outcome: list[object] = []

    def run_away() -> None:
        try:
            outcome.append(pool.call({"op": "sleep", "seconds": 30}, budget=8))
        except BudgetExceeded as error:
            outcome.append(error)

    runaway = threading.Thread(target=run_away)
    runaway.start()
    while not pool._idle.empty():  # the runaway has its executor
        threading.Event().wait(0.01)
    answers = [pool.call({"op": "ping"}, budget=30) for _ in range(5)]
    assert runaway.is_alive(), "the short queries waited for the runaway one"
    assert len({a[0]["pong"] for a in answers}) == 1  # the same fresh executor each time
    runaway.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], BudgetExceeded)


def test_the_runaway_executor_is_demoted_and_ended(pool):
    first = pool.call({"op": "ping"}, budget=30)[0]["pong"]
    seen: dict[str, int] = {}

    def watch() -> None:
        for _ in range(200):
            try:
                seen["nice"] = os.getpriority(os.PRIO_PROCESS, first)
            except OSError:
                return
            if seen["nice"] == DEMOTED_NICENESS:
                return
            threading.Event().wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with pytest.raises(BudgetExceeded):
        pool.call({"op": "sleep", "seconds": 30}, budget=3)
    watcher.join()
    assert seen.get("nice") == DEMOTED_NICENESS
    assert ended(first), "the runaway executor was not ended"
    assert pool.call({"op": "ping"}, budget=30)[0]["pong"] != first
    assert len(pool._all) == 1  # the pool is back to its size


def test_at_most_the_pool_size_is_set_aside(pool):
    """Runaway queries take memory until their budget ends them: one pool sets aside
    at most its own size of them; a further long one keeps its executor's place."""
    done: list[object] = []

    def sleep(seconds: float, budget: float) -> None:
        try:
            done.append(pool.call({"op": "sleep", "seconds": seconds}, budget=budget))
        except BudgetExceeded as error:
            done.append(error)

    first = threading.Thread(target=sleep, args=(30, 6))
    first.start()
    while pool._aside == 0:  # the first runaway is set aside, a fresh executor idles
        threading.Event().wait(0.05)
    second = threading.Thread(target=sleep, args=(30, 4))
    second.start()
    threading.Event().wait(1.5)
    assert pool._aside == 1  # the second holds its place: no third executor
    assert len(pool._all) == 2
    first.join(timeout=60)
    second.join(timeout=60)
    assert pool._aside == 0 and len(pool._all) == 1
    assert pool.call({"op": "ping"}, budget=30)[0]["pong"]



@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("runaway") / "store"
    load_store(store)
    return store


def test_a_query_over_its_memory_allowance_is_stopped(shipped_store):
    """Sorting a cartesian product of the shipped data took 2.5 GB within 5 s; an
    executor over its allowance is killed and the query answered like one over its
    budget (the endpoint's 503 with its own message).  The parent looks every 0.1 s;
    when it is starved of CPU (a fresh-clone CI run once), the kernel's cap on the
    sandbox's address space refuses an allocation first and the engine aborts (the
    endpoint's 422 "the engine stopped"): stopped either way, and the pool recovers."""
    pool = SandboxPool(1, {**os.environ, ENV_STORE: str(shipped_store)},
                       Limits(memory=200 << 20, address_space=800 << 20))
    try:
        message = {
            "op": "query", "default_graphs": [], "named_graphs": [],
            "has_dataset_clause": False, "result_type": "application/sparql-results+json",
            "graph_type": None, "max_rows": 10, "base_iri": "http://localhost:8000/",
            "prefixes": PREFIXES,
            "text": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
        }
        with pytest.raises((MemoryExceeded, SandboxCrashed)) as stopped:
            pool.call(message, budget=60)
        if isinstance(stopped.value, SandboxCrashed):
            assert "died of SIG" in str(stopped.value)
        small = dict(message, text="SELECT * WHERE { ?s ?p ?o } LIMIT 3")
        assert pool.call(small, budget=30)[0]["status"] == 200
    finally:
        pool.close()


@pytest.mark.parametrize(("retire_above", "kept"), [(0, True), (1 << 40, True), (1, False)])
def test_a_sandbox_is_kept_while_its_memory_is_below_the_line(retire_above, kept):
    """Validation sandboxes are reused while little is left behind (a fresh process per
    upload cost ~0.3 s of CPU in imports), and replaced once more is."""
    pool = SandboxPool(1, {**os.environ, ENV_STORE: temporary_store([])},
                       Limits(retire_above=retire_above, set_aside=False))
    try:
        pids = {pool.call({"op": "ping"}, budget=30)[0]["pong"] for _ in range(3)}
    finally:
        pool.close()
    assert len(pids) == (1 if kept else 3)


def test_a_sandbox_whose_work_failed_inside_is_replaced():
    """Work that raised in the sandbox (here an unknown operation) leaves it in an
    unknown state: the next piece of work gets a fresh one, even under the line."""
    pool = SandboxPool(1, {**os.environ, ENV_STORE: temporary_store([])},
                       Limits(retire_above=1 << 40, set_aside=False))
    try:
        first = pool.call({"op": "ping"}, budget=30)[0]["pong"]
        failed = pool.call({"op": "no-such-operation"}, budget=30)[0]
        after = pool.call({"op": "ping"}, budget=30)[0]["pong"]
    finally:
        pool.close()
    assert failed["error"] == "internal"
    assert after != first
