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
MAX_REPORT_RESULTS = 2000


def preload(role: str) -> None:
    """Import what the role needs while the sandbox waits for its first frame."""
    import pyoxigraph  # noqa: F401

    if role == "validation":
        import pyshacl  # noqa: F401
        import rdflib  # noqa: F401


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

            self._follower = Follower(self.root)
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
    if op == "update":
        return update(context, header, send)
    if op == "validate":
        return validate(context, header, payload)
    if op == "served_report":
        return served_report(context, header)
    raise ValueError(f"unknown operation {op!r}")


def _remote_refused(context: Context, text: str) -> dict[str, Any] | None:
    """Fail closed: with no isolation, no text that could name a remote target runs."""
    if context.network == isolation.NONE and isolation.names_remote(text):
        return {"status": 400, "error": "remote-unavailable"}
    return None


def query(context: Context, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from .results import Dataset, outcome_header, run_query

    text = header["text"]
    refused = _remote_refused(context, text)
    if refused:
        return refused, b""
    outcome = run_query(
        context.current_store(),
        text,
        dataset=Dataset(header.get("default_graphs", []), header.get("named_graphs", [])),
        has_dataset_clause=header.get("has_dataset_clause", False),
        result_type=header.get("result_type"),
        graph_type=header.get("graph_type"),
        max_rows=int(header["max_rows"]),
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

    refused = _remote_refused(context, header["text"])
    if refused:
        return refused, b""
    config = _config(header)
    with service.writing(context.root) as published:
        try:
            candidate = service.after_update(published, header["text"], config.base,
                                             header.get("prefixes"))
        except SyntaxError as error:
            return {"status": 400, "error": "syntax",
                    "detail": str(error.args[0] if error.args else error)}, b""
        except ValueError as error:
            return {"status": 400, "error": "update", "detail": str(error)}, b""
        except OSError as error:
            return _remote_failure(context, error), b""
        send({"progress": True, "stage": "executed"})
        checked = service.validate(config, candidate, published, workers=1)
        if not checked.conforms:
            shown = checked.report.capped(MAX_REPORT_RESULTS)
            turtle = (checked.report.turtle if shown is checked.report and shown.turtle
                      else render_turtle(shown, Labels()))
            return {"status": 422, "error": "violation", "report": shown.to_json(),
                    "detail": turtle}, b""
        before = len(published.store() or [])
        path = service.publish(context.root, checked, published)
    summary = {
        "snapshot": os.path.basename(path),
        "quads_before": before,
        "quads_after": len(checked.quads),
        "warnings": checked.report.count("Warning"),
    }
    return {"status": 200, "media_type": "application/json", "form": "UPDATE"}, \
        json.dumps(summary).encode()


def _config(header: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The settings the work needs, as the web process sent them."""
    from ..config import Config

    return Config(base=header.get("base") or header.get("base_iri") or None,
                  cache_dir=header.get("cache_dir"))


def _remote_failure(context: Context, error: OSError) -> dict[str, Any]:
    """An I/O error from the engine is a remote call that failed or was refused."""
    if context.network == isolation.ALLOWLIST:
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
