"""What a sandbox does with each frame: run a query or an update, validate an upload.

Each operation takes a header (a JSON object) and a payload (bytes) and answers
the same.  Every answer has a ``status`` (an HTTP status the web layer maps to a
response) and, for errors, an ``error`` kind and a language-neutral ``detail``.

=================  ==========================================================
``ping``           ``{"pong": pid, "network": isolation mode}``
``query``          a SPARQL query on the current snapshot; payload: the result
``update``         a SPARQL Update on a copy, validated, published if it conforms
``validate``       payload: an uploaded file; the report on the served data with
                   that file in place (:mod:`kgraph.uploads`)
``served_report``  the report on the served snapshot
``staff_*``        the staff area's compare, publish and restore
                   (:mod:`kgraph.staff.publishing`)
``sleep``          used by tests of the pool itself
=================  ==========================================================
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import isolation
from .sandbox import ENV_STORE

#: Results a report carries back at most (the rest are counted by severity): a
#: million results on a hostile upload must not become a gigabyte of JSON.
MAX_REPORT_RESULTS = 500


def preload(role: str) -> None:
    """Import what the role needs while the sandbox waits for its first frame."""
    import pyoxigraph  # noqa: F401

    if role == "remote":
        import requests  # noqa: F401
    if role == "validation":  # the engine that will run (pySHACL alone costs ~250 ms)
        import rdflib  # noqa: F401

        from ..validation import shacl_engine

        if shacl_engine() == "turbo":
            import pyshacl_turbo  # noqa: F401
        else:
            import pyshacl  # noqa: F401


#: A query sandbox reads a snapshot of at most this many quads from memory (about
#: 40 MB of its allowance, ``--query-memory``, at the most), a larger one from disk.
QUERY_IN_MEMORY_UP_TO = 100_000


@dataclass
class Context:
    """The sandbox's state: its isolation and the snapshot store it follows."""

    network: str
    role: str = "query"
    root: str = field(default_factory=lambda: os.environ.get(ENV_STORE, ""))
    _follower: Any = None

    def current_store(self) -> Any:
        """The current snapshot (:class:`kgraph.snapshots.Follower`)."""
        if self._follower is None:
            from ..snapshots import Follower

            self._follower = Follower(self.root, in_memory_up_to=QUERY_IN_MEMORY_UP_TO)
        return self._follower.store()


Send = Callable[[dict[str, Any]], None]


def handle(context: Context, header: dict[str, Any], payload: bytes,
           send: Send) -> tuple[dict[str, Any], bytes]:
    op = header.get("op")
    if op == "ping":
        return {"status": 200, "pong": os.getpid(), "network": context.network}, b""
    if op == "sleep":
        time.sleep(float(header["seconds"]))
        return {"status": 200, "slept": header["seconds"]}, b""
    if op == "query":
        return query(context, header)
    if op == "remote_query":
        return remote_query(header)
    if op == "update":
        return update(context, header, send)
    if op == "validate":
        return validate(context, header, payload)
    if op == "served_report":
        return served_report(context, header)
    if op in ("staff_compare", "staff_publish", "staff_restore"):
        from ..staff import publishing

        return publishing.run(op, context.root, header, payload, report=_report_answer,
                              problem=_problem_json)
    raise ValueError(f"unknown operation {op!r}")


def _contained(context: Context) -> bool:
    return context.network != isolation.NONE


def remote_query(header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """A protocol query for a remote engine, read, sent and its answer read here, in
    a sandbox whose network reaches only that engine: what a stranger wrote and what
    the engine answers are both read within the budget and the memory cap.

    Only standard SPARQL, as the real parser reads it, is sent (an engine's own
    extensions, such as Virtuoso's DEFINE pragmas that fetch documents, fail here),
    never a text that could name a remote target, and only kgraph's own graphs."""
    import pyoxigraph as ox

    from .checks import Refusal, check
    from .remote import BackendError, BackendTimeout, BackendUnavailable
    from .results import Dataset, outcome_header

    base = header.get("base_iri") or ""
    asked = Dataset(list(header.get("default_graphs") or []),
                    list(header.get("named_graphs") or []))
    try:
        found = check(header["text"], kind="query", base=base or None,
                      prefixes=header.get("prefixes"), allowed_hosts=[], contained=False,
                      graphs_under=base + "graph/",
                      asked_graphs=[*asked.default_graphs, *asked.named_graphs])
    except Refusal as refusal:
        return refusal.header(), b""
    try:  # parsed only: a SELECT or CONSTRUCT is not run until read; an ASK on nothing
        ox.Store().query(header["text"], base_iri=base or None, prefixes=header.get("prefixes"))
    except SyntaxError as error:
        return {"status": 400, "error": "syntax", "detail": str(error)}, b""
    if not asked.given and found.has_dataset_clause:  # the query's own graphs, said so
        asked = Dataset([g for g in found.from_graphs if g], [g for g in found.from_named if g])
    engine = _remote_engine(header["backend"], base)
    try:
        outcome = engine.query({**header, "form": found.form, "default_graphs":
                                asked.default_graphs, "named_graphs": asked.named_graphs,
                                "has_dataset_clause": False}, float(header["budget"]))
    except BackendTimeout as error:
        return {"status": 503, "error": "backend-timeout", "detail": str(error)}, b""
    except BackendUnavailable as error:
        return {"status": 503, "error": "backend-unavailable", "detail": str(error)}, b""
    except BackendError as error:
        return {"status": 502, "error": "backend-failed", "detail": str(error)}, b""
    return outcome_header(outcome), outcome.body


_ENGINES: dict[tuple[str, str], Any] = {}


def _remote_engine(url: str, base: str) -> Any:
    """One client per engine in this sandbox (it remembers the engine's graphs)."""
    from .remote import RemoteEngine

    key = (url, base)
    if key not in _ENGINES:
        _ENGINES[key] = RemoteEngine(url, base)
    return _ENGINES[key]


def query(context: Context, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from .checks import Refusal, check
    from .results import Dataset, outcome_header, run_query

    text = header["text"]
    try:
        found = check(text, kind="query", base=header.get("base_iri"),
                      prefixes=header.get("prefixes"),
                      allowed_hosts=header.get("allowed_hosts", []),
                      contained=_contained(context), form=False)
    except Refusal as refusal:
        return refusal.header(), b""
    outcome = run_query(
        context.current_store(),
        text,
        dataset=Dataset(header.get("default_graphs", []), header.get("named_graphs", [])),
        has_dataset_clause=found.has_dataset_clause,
        result_type=header.get("result_type"),
        graph_type=header.get("graph_type"),
        max_rows=int(header["max_rows"]),
        max_bytes=int(header.get("max_bytes") or 0),
        base_iri=header.get("base_iri"),
        prefixes=header.get("prefixes"),
        remote_allowed=context.network == isolation.ALLOWLIST,
    )
    return outcome_header(outcome), outcome.body


def update(context: Context, header: dict[str, Any], send: Send) -> tuple[dict[str, Any], bytes]:
    """Apply an update to a copy of the current snapshot, validate, publish - the
    service layer's path (:mod:`kgraph.service`), under the store's writer lock.

    After the ``executed`` progress note the parent gives validation and publishing
    their own, longer allowance (a kill there is harmless: a snapshot becomes
    ``current`` only by an atomic rename).
    """
    from .. import service
    from ..reports.labels import Labels
    from ..reports.rdf import render_turtle
    from .checks import Refusal, check
    from .sparql_text import add_using

    using, using_named = header.get("using", []), header.get("using_named", [])
    try:
        check(header["text"], kind="update", base=header.get("base"),
              prefixes=header.get("prefixes"), allowed_hosts=header.get("allowed_hosts", []),
              contained=_contained(context), using=bool(using or using_named))
    except Refusal as refusal:
        return refusal.header(), b""
    text = add_using(header["text"], using, using_named)
    config = _config(header)
    with service.writing(context.root) as published:
        try:
            candidate = service.after_update(published, text, config.base,
                                             header.get("prefixes"))
        except SyntaxError as error:
            return {"status": 400, "error": "syntax",
                    "detail": str(error.args[0] if error.args else error)}, b""
        except ValueError as error:
            return {"status": 400, "error": "update", "detail": str(error)}, b""
        except (OSError, RuntimeError) as error:
            return _remote_failure(context, error), b""
        send({"progress": True, "stage": "executed"})
        before = len(published.store() or [])
        if service.unchanged(candidate, published):  # nothing to check or publish
            return _update_summary(str(published.snapshot), before, before, 0, changed=False)
        checked = service.validate(config, candidate, published, workers=1)
        if not checked.conforms:
            shown = checked.report.capped(MAX_REPORT_RESULTS)
            turtle = (checked.report.turtle if shown is checked.report and shown.turtle
                      else render_turtle(shown, Labels()))
            return {"status": 422, "error": "violation", "report": shown.to_json(),
                    "detail": turtle}, b""
        path = service.publish(context.root, checked, published,
                               agent=service.Agent.operator())
    return _update_summary(os.path.basename(path), before, len(checked.quads),
                           checked.report.count("Warning"), changed=True)


def _update_summary(snapshot: str, before: int, after: int, warnings: int, *,
                    changed: bool) -> tuple[dict[str, Any], bytes]:
    summary = {"snapshot": snapshot, "quads_before": before, "quads_after": after,
               "changed": changed, "warnings": warnings}
    return {"status": 200, "media_type": "application/json", "form": "UPDATE"}, \
        json.dumps(summary).encode()


def _config(header: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The settings the work needs, as the web process sent them."""
    from ..config import Config

    return Config(base=header.get("base") or header.get("base_iri") or None,
                  cache_dir=header.get("cache_dir"))


def _remote_failure(context: Context, error: Exception) -> dict[str, Any]:
    """An I/O error from the engine is a remote call that failed or was refused."""
    refused = getattr(error, "errno", None) == 13 or "os error 13" in str(error)
    if context.network == isolation.ALLOWLIST and not refused:
        return {"status": 502, "error": "remote", "detail": str(error)}
    return {"status": 400, "error": "remote-refused", "detail": str(error)}


def validate(context: Context, header: dict[str, Any],
             payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The report on the served data with an uploaded file in place (a dry run)."""
    from .. import service
    from ..uploads import UploadError

    config = _config(header)
    published = service.Published(context.root)
    try:
        candidate = service.with_upload(config, header["name"], payload, published)
    except UploadError as error:
        return {"status": 400, "error": "upload",
                "problems": [_problem_json(p) for p in error.problems]}, b""
    return _report_answer(service.validate(config, candidate, published, workers=1)), b""


def served_report(context: Context, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The report on the served snapshot (held to the plan rule when it has a plan)."""
    from .. import service

    config = _config(header)
    published = service.Published(context.root)
    candidate = service.Candidate(published.quads(), "served", published.snapshot)
    return _report_answer(service.validate(config, candidate, published, workers=1)), b""


def _report_answer(checked) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from ..reports import labels_from_graph
    from ..reports.labels import labels_from_quads
    from ..reports.rdf import render_turtle
    from ..validation import load_shapes

    report = checked.report
    shown = report.capped(MAX_REPORT_RESULTS)
    mentioned = set()
    for r in shown.results:
        mentioned.update(x for x in (r.focus, r.value, r.path, r.shape) if x)
    labels = labels_from_quads(checked.quads).merge(labels_from_graph(load_shapes()))
    names = {k: v for k, v in labels.names.items() if k in mentioned}
    types = {k: v for k, v in labels.types.items() if k in mentioned}
    for classes in list(types.values()):
        for cls in classes:
            if cls in labels.names:
                names[cls] = labels.names[cls]
    return {
        "status": 200,
        "report": shown.to_json(),
        "labels": {"names": names, "types": types},
        "turtle": render_turtle(shown, labels),
    }


def _problem_json(problem) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    where = problem.where
    return {"sheet": where.sheet, "row": where.row, "column": where.column,
            "header": where.header, "header_en": where.header_en,
            "ja": problem.ja, "en": problem.en}
