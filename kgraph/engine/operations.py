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
    _link: str | None = None
    _store: Any = None

    def current_store(self) -> Any:
        """The current snapshot, re-opened when the ``current`` link has moved (one
        ``readlink`` per use: snapshot names are never reused)."""
        import pyoxigraph as ox

        link = os.readlink(os.path.join(self.root, "current"))
        if link != self._link or self._store is None:
            self._store = ox.Store.read_only(os.path.realpath(os.path.join(self.root, "current")))
            self._link = link
        return self._store


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
    """Apply an update to a copy of the current snapshot, validate, publish.

    Under the store's writer lock (the one ``kgraph load`` and ``import-table
    --apply`` take), so no update is lost.  After the ``executed`` progress note the
    parent gives validation and publishing their own, longer allowance (a kill there
    is harmless: a snapshot becomes ``current`` only by an atomic rename).
    """
    import pyoxigraph as ox

    from ..snapshots import SnapshotStore
    from ..validation_units import holds_plan, validate_dataset

    refused = _remote_refused(context, header["text"])
    if refused:
        return refused, b""
    snapshots = SnapshotStore(context.root)
    with snapshots.writer_lock():
        source = context.current_store()
        copy = ox.Store()
        copy.bulk_extend(source.quads_for_pattern(None, None, None, None))
        before = len(copy)
        try:
            copy.update(header["text"], base_iri=header.get("base_iri"),
                        prefixes=header.get("prefixes"))
        except SyntaxError as error:
            return {"status": 400, "error": "syntax",
                    "detail": str(error.args[0] if error.args else error)}, b""
        except ValueError as error:
            return {"status": 400, "error": "update", "detail": str(error)}, b""
        except OSError as error:
            return _remote_failure(context, error), b""
        send({"progress": True, "stage": "executed"})
        quads = list(copy.quads_for_pattern(None, None, None, None))
        report = validate_dataset(quads, base=header.get("base_iri") or "",
                                  cache_dir=header.get("cache_dir"), workers=1,
                                  protect_plan=holds_plan(source))
        if not report.conforms:
            from ..reports.labels import Labels
            from ..reports.rdf import render_turtle

            shown = report.capped(MAX_REPORT_RESULTS)
            turtle = (report.turtle if shown is report and report.turtle
                      else render_turtle(shown, Labels()))
            return {"status": 422, "error": "violation", "report": shown.to_json(),
                    "detail": turtle}, b""
        path = snapshots.publish_quads(quads, label="update")
        summary = {
            "snapshot": os.path.basename(path),
            "quads_before": before,
            "quads_after": len(quads),
            "warnings": report.count("Warning"),
        }
        return {"status": 200, "media_type": "application/json", "form": "UPDATE"}, \
            json.dumps(summary).encode()


def _remote_failure(context: Context, error: OSError) -> dict[str, Any]:
    """An I/O error from the engine is a remote call that failed or was refused."""
    if context.network == isolation.ALLOWLIST:
        return {"status": 502, "error": "remote", "detail": str(error)}
    return {"status": 400, "error": "remote-refused", "detail": str(error)}


def validate(context: Context, header: dict[str, Any],
             payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The report on the served data with an uploaded file in place."""
    from ..uploads import UploadError, candidate_quads
    from ..validation_units import holds_plan

    base = header["base"]
    store = context.current_store()
    served = list(store.quads_for_pattern(None, None, None, None))
    try:
        quads = candidate_quads(header["name"], payload, served, base)
    except UploadError as error:
        return {"status": 400, "error": "upload",
                "problems": [_problem_json(p) for p in error.problems]}, b""
    return _report_answer(quads, base, header.get("cache_dir"), holds_plan(store)), b""


def served_report(context: Context, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from ..validation_units import holds_plan

    store = context.current_store()
    quads = list(store.quads_for_pattern(None, None, None, None))
    return _report_answer(quads, header["base"], header.get("cache_dir"),
                          holds_plan(store)), b""


def _report_answer(quads: list, base: str, cache_dir: str | None,
                   protect_plan: bool) -> dict[str, Any]:
    from ..reports import labels_from_graph
    from ..reports.labels import labels_from_quads
    from ..reports.rdf import render_turtle
    from ..validation import load_shapes
    from ..validation_units import validate_dataset

    report = validate_dataset(quads, base=base, cache_dir=cache_dir, workers=1,
                              protect_plan=protect_plan)
    shown = report.capped(MAX_REPORT_RESULTS)
    mentioned = set()
    for r in shown.results:
        mentioned.update(x for x in (r.focus, r.value, r.path, r.shape) if x)
    labels = labels_from_quads(quads).merge(labels_from_graph(load_shapes()))
    names = {k: v for k, v in labels.names.items() if k in mentioned}
    types = {k: v for k, v in labels.types.items() if k in mentioned}
    for classes in list(types.values()):
        for cls in classes:
            if cls in labels.names:
                names[cls] = labels.names[cls]
    turtle = render_turtle(shown, labels)
    return {
        "status": 200,
        "report": shown.to_json(),
        "labels": {"names": names, "types": types},
        "turtle": turtle,
    }


def _problem_json(problem) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    where = problem.where
    return {"sheet": where.sheet, "row": where.row, "column": where.column,
            "header": where.header, "header_en": where.header_en,
            "ja": problem.ja, "en": problem.en}
