"""The web process's sandboxes: one pool for SPARQL, one for validating uploads.

Every piece of untrusted work goes through :func:`run`, which holds the client's
fair-share slot (:mod:`kgraph.web.fairness`), sends the work to a sandbox
(:mod:`kgraph.engine.sandbox`) and turns each way it can fail into an answer in
the client's language: over its time budget or memory allowance ``503``, no
sandbox free ``503`` with ``Retry-After``, a sandbox that crashed on the input
``422`` (nothing changed, nothing else affected).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import request

from ..engine import isolation
from ..engine.sandbox import (
    ENV_ALLOWED_HOSTS,
    ENV_ROLE,
    ENV_STORE,
    BudgetExceeded,
    Limits,
    MemoryExceeded,
    PoolBusy,
    SandboxCrashed,
    SandboxPool,
    pool_for,
)
from .errors import ApiError, Message
from .state import AppState

log = logging.getLogger("kgraph.sandboxes")

MSG = {
    "budget": Message(
        "The {work} ran longer than its time budget of {budget} s and was stopped. "
        "Narrow it (LIMIT, more specific patterns, a smaller file) or ask the operator "
        "for a longer budget.",
        "{work_ja}が制限時間 {budget} 秒を超えたため停止しました。LIMIT を付ける、条件を絞る、"
        "ファイルを小さくするなどするか、運用者に制限時間の延長を依頼してください。",
    ),
    "memory": Message(
        "The {work} needed more than {limit} MB of memory and was stopped. Narrow it "
        "(LIMIT, more specific patterns, no ORDER BY over huge results, a smaller file).",
        "{work_ja}が {limit} MB を超えるメモリを必要としたため停止しました。LIMIT を付ける、"
        "条件を絞る、巨大な結果の ORDER BY を避ける、ファイルを小さくするなどしてください。",
    ),
    "busy": Message(
        "All sandboxes stayed busy for {budget} s. Try again shortly.",
        "{budget} 秒待っても処理用のプロセスが空きませんでした。"
        "しばらくしてから再試行してください。",
    ),
    "crashed": Message(
        "The engine stopped while working on this {work} (it is nested too deeply, or it "
        "needed more memory than allowed); nothing was changed.",
        "この{work_ja}の処理中にエンジンが停止しました（入れ子が深すぎるか、許されたより多くの"
        "メモリが必要でした）。データは何も変更されていません。",
    ),
    "remote_unavailable": Message(
        "SERVICE and LOAD are refused on this server: its sandboxes cannot be cut off from "
        "the network here, so no query or update that mentions them is run.",
        "このサーバーでは SERVICE と LOAD を受け付けません。処理用のプロセスをネットワークから"
        "切り離せない環境のため、それらを含むクエリや更新は実行しません。",
    ),
}

WORK = {
    "query": ("query", "クエリ"),
    "update": ("update", "更新"),
    "validation": ("validation", "検証"),
}


def _base_env(state: AppState) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["MALLOC_ARENA_MAX"] = "2"  # each thread's arena would count against the cap
    env[ENV_STORE] = state.snapshot_root()
    config = state.config
    for name, value in (("LOG_LEVEL", config.log_level), ("CACHE_MAX_MB", config.cache_max_mb),
                        ("SHACL_ENGINE", config.shacl_engine),
                        ("NETWORK_ISOLATION", config.network_isolation)):
        env[f"KGRAPH_{name}"] = str(value)  # the settings a sandbox reads (never the token)
    return env


def query_pool(state: AppState) -> SandboxPool:
    """Sandboxes for SPARQL queries and updates (network: allow-list or none)."""
    root = state.snapshot_root()
    config = state.config

    def make() -> SandboxPool:
        env = _base_env(state)
        env[ENV_ROLE] = "query"
        if config.allowed_hosts:
            env[ENV_ALLOWED_HOSTS] = " ".join(config.allowed_hosts)
        memory = config.query_memory_mb << 20
        return SandboxPool(config.executors, env,
                           Limits(memory=memory, address_space=4 * memory))

    return pool_for(f"query:{root}", make)


def validation_pool(state: AppState) -> SandboxPool:
    """Sandboxes for validating uploads and the served data (never any network)."""
    root = state.snapshot_root()
    config = state.config

    def make() -> SandboxPool:
        env = _base_env(state)
        env[ENV_ROLE] = "validation"
        memory = config.validation_memory_mb << 20
        return SandboxPool(config.validators, env,
                           Limits(memory=memory, address_space=memory, set_aside=False,
                                  fresh_each_time=True))

    return pool_for(f"validation:{root}", make)


def network_mode(state: AppState) -> str:
    """The isolation the query sandboxes are in (asked once per process)."""
    mode = state.cached("network-mode")
    if mode is None:
        try:
            answer, _ = query_pool(state).call({"op": "ping"}, budget=30.0)
            mode = str(answer.get("network", isolation.NONE))
        except Exception as error:
            log.error("could not ask a sandbox for its isolation: %s", error)
            return isolation.NONE
        state.remember("network-mode", mode)
    return mode


def client() -> str:
    return request.remote_addr or "-"


def run(
    state: AppState,
    kind: str,
    header: Mapping[str, Any],
    payload: bytes = b"",
    *,
    budget: float,
    on_progress: Callable[[dict[str, Any]], float | None] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Run one piece of work (``kind``: query, update or validation) in a sandbox."""
    pool = validation_pool(state) if kind == "validation" else query_pool(state)
    work, work_ja = WORK[kind]
    with state.fairness.slot(client(), "validation" if kind == "validation" else "query"):
        try:
            return pool.call(header, payload, budget=budget, on_progress=on_progress)
        except BudgetExceeded as error:
            raise ApiError(503, MSG["budget"].format(
                work=work, work_ja=work_ja, budget=f"{error.budget:g}")) from None
        except MemoryExceeded as error:
            raise ApiError(503, MSG["memory"].format(
                work=work, work_ja=work_ja, limit=error.limit >> 20)) from None
        except PoolBusy as error:
            raise ApiError(503, MSG["busy"].format(budget=f"{error.budget:g}"),
                           headers={"Retry-After": "1"}) from None
        except SandboxCrashed as error:
            log.warning("a sandbox stopped on a %s: %s", work, error)
            raise ApiError(422, MSG["crashed"].format(work=work, work_ja=work_ja)) from None


def unreadable(header: Mapping[str, Any], error: Exception | None = None) -> ApiError:
    """The answer to a sandbox's failure that is not the input's fault."""
    if header.get("error") == "memory":
        return ApiError(503, MSG["memory"].format(work="validation", work_ja="検証",
                                                  limit="?"))
    from .errors import STATUS_MESSAGES

    detail = f"{header.get('error')}: {header.get('detail')}" + (f" ({error})" if error else "")
    return ApiError(500, STATUS_MESSAGES[500], cause=f"sandbox answered {detail}")
