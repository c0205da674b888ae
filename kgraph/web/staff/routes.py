"""The staff area's routes: sign in, upload and compare, publish, history, restore.

=====================================  =============================================
``GET /staff``                         the staff page (signed in), else sign-in
``POST /staff/login``, ``/logout``     start or end a browser session
``POST /staff/changes``                multipart ``file`` → ``201`` JSON ``{id, conforms,
                                       report, diff}`` (a browser: to the change's page);
                                       a file that cannot be read → ``400`` naming the
                                       row and column
``GET /staff/changes/<id>``            the same JSON, or the page (``Accept: text/html``)
``POST /staff/changes/<id>/publish``   ``200`` published, ``409`` the published data
                                       changed since (with the new comparison), ``422``
                                       does not conform
``GET /staff/history``                 newest first: ``{id, published_at, by, summary}``
``GET /staff/history/<id>``            one publication and what it changed
``POST /staff/history/<id>/restore``   ``200``: that version published again
``GET /staff/table.csv|.xlsx``         the current plan table
``GET /versions/<id>/kgraph.nq.gz``    a kept version's data (public: the graph links it)
=====================================  =============================================

Every staff answer is ``Cache-Control: no-store`` (it is per user).  Uploads are
parsed and validated only in a validation sandbox (:mod:`kgraph.web.work`,
:mod:`kgraph.staff.publishing`); the web process stores their bytes and renders.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request
from werkzeug.exceptions import HTTPException, NotAcceptable, NotFound

from ...iris import graph_iri
from ...messages import text
from ...reports import build_view, template_context
from ...snapshots import HISTORY_KEEP, SnapshotStore
from ...staff.accounts import Account
from ...staff.changes import Change
from ...staff.provenance import Agent, version_iri
from ...uploads import clean_name
from .. import work
from ..http.conneg import HTML, JSON, negotiate
from ..http.errors import ApiError, handle_http_error
from ..http.language import get_lang
from ..http.pages import html_page
from ..pages.dumps import NQUADS, gzip_stream, serialized_chunks
from ..pages.linkeddata import local_href
from ..pages.validation_pages import _problem_from, _report_of
from ..state import current_state
from . import auth
from .auth import MSG
from .views import diff_view

bp = Blueprint("staff", __name__)

#: Time a publish or restore may take beyond validating (building the snapshot).
PUBLISH_ALLOWANCE = 120.0


def staff_t(key: str, **values: object) -> str:
    """A staff string (``staff.key`` of the catalogue) in the reader's language."""
    return text(f"staff.{key}", get_lang(), **values)


@bp.app_context_processor
def _strings() -> dict[str, object]:
    """``staff_t`` for every page (the shell links the staff area)."""
    return {"staff_t": staff_t}


@bp.after_request
def _per_user(response: Response) -> Response:
    if request.path.startswith("/staff"):
        response.headers["Cache-Control"] = "no-store"
        response.vary.update(("Cookie", "Authorization", "Accept", "Accept-Language"))
        auth.set_cookie(response)
    return response


@bp.errorhandler(HTTPException)
def _error(error: HTTPException) -> Response:
    """Errors as JSON for programs, as a page for browsers (the sign-in form for 401)."""
    response = handle_http_error(error)
    code = error.code or 500
    if _wants() == JSON:
        message = response.get_data(as_text=True).strip()
        body = {"status": code, "error": message}
        response.set_data(json.dumps(body, ensure_ascii=False))
        response.mimetype = JSON
        return response
    if _wants() == HTML and request.method in ("GET", "POST"):
        page = _page("staff/signin.html" if code == 401 else "staff/message.html",
                     status=code, message=response.get_data(as_text=True).strip(),
                     next=request.full_path.rstrip("?") if request.method == "GET" else "")
        for name in ("WWW-Authenticate", "Retry-After", "Allow"):
            if name in response.headers:
                page.headers[name] = response.headers[name]
        return page
    return response


def _wants() -> str:
    """JSON for programs (``*/*`` too), HTML for browsers."""
    try:
        return negotiate(request, [JSON, HTML])
    except NotAcceptable:
        return JSON


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """A staff page: who is signed in, and the CSRF token its forms send back."""
    try:
        account = auth.account(required=False)
    except ApiError:  # a wrong Bearer token: the page says so, to nobody signed in
        account = None
    return html_page(template, status=status, account=account,
                     csrf=auth.csrf_token() if account else "", **context)


def _json(body: Any, status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON)
    response.headers.update(headers)
    return response


def _see(path: str) -> Response:
    return redirect(f"{request.script_root}{path}", code=303)


def _store() -> SnapshotStore:
    state = current_state()
    if not state.store_root:
        raise ApiError(501, work.MSG["not_supported"].format(
            what="Publishing", what_ja="公開"))
    return SnapshotStore(state.store_root)


# ---------------------------------------------------------------------------
# Signing in
# ---------------------------------------------------------------------------


@bp.get("/staff")
def home() -> Response:
    found = auth.account(required=False)
    if found is None:
        if _wants() == JSON:
            auth.account()  # 401 / 403
        return _page("staff/signin.html", status=200, message=None, next="")
    if _wants() == JSON:
        return _json({"account": found.name, "kind": found.kind})
    return _page("staff/home.html", history=_history(limit=5), changes=_recent(),
                 current=current_state().snapshot_id,
                 max_upload=current_state().config.max_upload_bytes)


@bp.post("/staff/login")
def login() -> Response:
    token = request.form.get("token", "")
    accounts = auth.staff().accounts
    if not accounts.enabled():
        raise ApiError(403, MSG["off"])
    found = accounts.verify(token)
    if found is None:
        raise ApiError(403, MSG["credentials_wrong"])
    auth.signed_in(found)
    return _see(_safe_next(request.form.get("next", "")))


@bp.post("/staff/logout")
def logout() -> Response:
    if auth.account(required=False) is not None:
        auth.check_csrf()
    auth.signed_out()
    return _see("/staff")


def _safe_next(target: str) -> str:
    """Where to go after signing in: a staff page of this site, nothing else."""
    root = request.script_root or ""
    path = target[len(root):] if root and target.startswith(root) else target
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/staff") or "\\" in path \
            or path.startswith("//"):
        return "/staff"
    return path


def _signed_in_for_post() -> Account:
    found = auth.account()
    auth.check_csrf()
    assert found is not None
    return found


# ---------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------


@bp.post("/staff/changes")
def upload() -> Response:
    found = _signed_in_for_post()
    state = current_state()
    _store()
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ApiError(400, MSG["no_file"])
    name, data = clean_name(file.filename), file.read()
    answer = _sandbox("staff_compare", {"name": name}, data, state.config.validation_timeout)
    if answer.get("status") == 400:
        return _unreadable(answer, name)
    if answer.get("status") != 200:
        raise work.unreadable(answer)
    try:
        change = auth.staff().changes.create(name, data, found.name)
        auth.staff().changes.save_result(change, answer)
    except OSError as error:
        raise ApiError(503, MSG["store_unwritable"].format(
            reason=error.strerror or str(error))) from None
    location = f"{request.script_root}/staff/changes/{change.id}"
    if _wants() == HTML:
        return _see(f"/staff/changes/{change.id}")
    return _json(_change_json(change), 201, Location=location)


def _unreadable(answer: dict[str, Any], name: str) -> Response:
    """400: the file cannot be read; every problem with its sheet, row and column."""
    if answer.get("error") == "publications":
        raise ApiError(400, MSG["publications"])
    problems = [_problem_from(p) for p in answer.get("problems", []) if isinstance(p, dict)]
    lang = get_lang()
    if _wants() == HTML:
        return _page("staff/message.html", status=400,
                     message=MSG["unreadable"].format(n=len(problems))(lang),
                     problems=[p.text(lang) for p in problems], next="")
    return _json({"status": 400, "error": MSG["unreadable"].format(n=len(problems))(lang),
                  "upload": name, "problems": [p.to_json() for p in problems]}, 400)


def _change(change_id: str) -> Change:
    change = auth.staff().changes.get(change_id)
    if change is None or change.result() is None:
        raise ApiError(404, MSG["no_change"].format(id=change_id))
    return change


@bp.get("/staff/changes/<change_id>")
def change_page(change_id: str) -> Response:
    auth.account()
    change = _change(change_id)
    if _wants() == JSON:
        return _json(_change_json(change))
    return _change_page(change)


def _change_json(change: Change, result: dict[str, Any] | None = None) -> dict[str, Any]:
    result = result or change.result() or {}
    lang = get_lang()
    report, labels, _ = _report_of({**result, "status": 200})
    view = build_view(report, labels, lang, local_href)
    meta = change.meta
    return {
        "id": change.id,
        "name": change.name,
        "by": meta.get("by"),
        "created": meta.get("created"),
        "status": meta.get("status", "pending"),
        "published_as": meta.get("published_as"),
        "based_on": result.get("based_on"),
        "current": result.get("based_on") == current_state().snapshot_id,
        "conforms": bool(result.get("conforms")),
        "report": view.to_json(),
        "diff": (result.get("diff") or {}).get(lang),
    }


def _change_page(change: Change, status: int = 200, message: str | None = None,
                 result: dict[str, Any] | None = None) -> Response:
    result = result or change.result() or {}
    lang = get_lang()
    report, labels, _ = _report_of({**result, "status": 200})
    view = build_view(report, labels, lang, local_href)
    context = template_context(view)
    return _page(
        "staff/change.html", status=status, change=change, meta=change.meta,
        result=result, conforms=bool(result.get("conforms")),
        stale=result.get("based_on") != current_state().snapshot_id,
        diff=diff_view((result.get("diff") or {}).get(lang), lang), message=message,
        view=context["view"], severities=context["severities"], s=context["s"],
        omitted=sum(report.omitted.values()),
    )


@bp.post("/staff/changes/<change_id>/publish")
def publish(change_id: str) -> Response:
    found = _signed_in_for_post()
    state = current_state()
    _store()
    staff = auth.staff()
    change = _change(change_id)
    if change.meta.get("status") == "published":
        raise ApiError(409, MSG["already_published"].format(
            snapshot=change.meta.get("published_as")))
    result = change.result() or {}
    summary = (request.form.get("summary") or request.args.get("summary") or "")[:300]
    header = {"name": change.name, "based_on": result.get("based_on"), "change": change.id,
              "agent": Agent(found.kind, found.name).to_json(), "summary": summary}
    answer = _sandbox("staff_publish", header, change.upload(),
                      state.config.validation_timeout + PUBLISH_ALLOWANCE)
    status = answer.get("status")
    if status == 409:
        staff.changes.save_result(change, {k: v for k, v in answer.items()
                                           if k not in ("error", "was_based_on")} |
                                  {"status": 200})
        message = MSG["conflict"].format(then=result.get("based_on"),
                                         now=answer.get("based_on"))(get_lang())
        if _wants() == HTML:
            return _change_page(change, 409, message)
        return _json({**_change_json(change), "message": message}, 409)
    if status == 422:
        report, _, _ = _report_of({**answer, "status": 200})
        message = MSG["not_conforming"].format(n=report.count("Violation"))(get_lang())
        if _wants() == HTML:
            return _change_page(change, 422, message, {**result, **answer})
        return _json({**_change_json(change, {**result, **answer}), "message": message}, 422)
    if status == 400:
        return _unreadable(answer, change.name)
    if status != 200:
        raise work.unreadable(answer)
    snapshot = str(answer.get("snapshot"))
    staff.changes.update(change, status="published", published_as=snapshot,
                         published_by=found.name)
    if _wants() == HTML:
        return _see(f"/staff/history/{snapshot}")
    return _json({"id": change.id, "status": "published", "snapshot": snapshot,
                  "changed": bool(answer.get("changed")),
                  "published_at": answer.get("published_at"), "by": answer.get("by")})


def _sandbox(op: str, header: dict[str, Any], payload: bytes, budget: float) -> dict[str, Any]:
    state = current_state()
    message = {"op": op, "base": state.config.base, "cache_dir": state.config.cache_dir,
               **header}
    answer, _ = work.run(state, "validation", message, payload, budget=budget)
    return answer


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------


def _history(limit: int | None = None) -> list[dict[str, Any]]:
    lang = get_lang()
    out = []
    for record in _store().history(limit):
        summary = record.get("summary")
        if isinstance(summary, dict):
            summary = summary.get(lang) or next(iter(summary.values()), "")
        out.append({"id": record["id"], "published_at": record.get("published_at"),
                    "by": record.get("by"), "summary": str(summary or ""),
                    "current": bool(record.get("current")), "kept": bool(record.get("kept")),
                    "replaced": record.get("replaced"),
                    "restored_from": record.get("restored_from"),
                    "upload": record.get("upload")})
    return out


def _recent() -> list[dict[str, Any]]:
    return [{"id": c.id, **c.meta} for c in auth.staff().changes.recent()]


@bp.get("/staff/history")
def history() -> Response:
    auth.account()
    found = _history()
    if _wants() == JSON:
        return _json(found)
    return _page("staff/history.html", history=found, current=current_state().snapshot_id,
                 keep=HISTORY_KEEP)


def _publication(snapshot: str) -> dict[str, Any]:
    found = next((r for r in _history() if r["id"] == snapshot), None)
    if found is None:
        raise ApiError(404, MSG["not_in_history"].format(id=snapshot, n=HISTORY_KEEP))
    return found


@bp.get("/staff/history/<snapshot>")
def publication(snapshot: str) -> Response:
    auth.account()
    found = _publication(snapshot)
    lang = get_lang()
    diff = (_store().record_diff(snapshot) or {}).get(lang)
    if _wants() == JSON:
        return _json({**found, "diff": diff})
    return _page("staff/publication.html", record=found, diff=diff_view(diff, lang),
                 current=current_state().snapshot_id, keep=HISTORY_KEEP)


@bp.post("/staff/history/<snapshot>/restore")
def restore(snapshot: str) -> Response:
    found = _signed_in_for_post()
    state = current_state()
    _publication(snapshot)
    summary = (request.form.get("summary") or request.args.get("summary") or "")[:300]
    header = {"snapshot": snapshot, "agent": Agent(found.kind, found.name).to_json(),
              "summary": summary, "based_on": request.form.get("based_on") or None}
    answer = _sandbox("staff_restore", header, b"",
                      state.config.validation_timeout + PUBLISH_ALLOWANCE)
    status = answer.get("status")
    if status == 404:
        raise ApiError(404, MSG["not_in_history"].format(id=snapshot, n=HISTORY_KEEP))
    if status == 409:
        raise ApiError(409, MSG["restore_conflict"])
    if status == 422:
        report, _, _ = _report_of({**answer, "status": 200})
        raise ApiError(422, MSG["restore_invalid"].format(n=report.count("Violation")))
    if status != 200:
        raise work.unreadable(answer)
    made = str(answer.get("snapshot"))
    if _wants() == HTML:
        return _see(f"/staff/history/{made}")
    return _json({"id": made, "restored": snapshot, "changed": bool(answer.get("changed")),
                  "published_at": answer.get("published_at"), "by": answer.get("by")})


# ---------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------


@bp.get("/staff/table.<fmt>")
def table(fmt: str) -> Response:
    """The plan table as published now: the loop upload → publish → download closes."""
    from ...table.context import ContextError, build_context
    from ...table.errors import ExportError
    from ...table.files import ENTRIES, FORMATS, export_table

    auth.account()
    if fmt not in FORMATS:
        raise NotFound()
    state = current_state()
    quads = list(state.reader().quads_for_pattern(None, None, None, None))
    entries = ox.NamedNode(graph_iri(state.config.base, ENTRIES))
    try:
        context = build_context([q for q in quads if q.graph_name != entries],
                                state.config.base)
        data = export_table([q.triple for q in quads if q.graph_name == entries], context, fmt)
    except (ContextError, ExportError) as error:
        raise ApiError(409, MSG["table_failed"].format(detail=str(error))) from None
    mimetype = {"csv": "text/csv",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="kgraph-plan.{fmt}"'
    return response


@bp.get("/versions/<snapshot>/kgraph.nq.gz")
def version_dump(snapshot: str) -> Response:
    """A kept version's whole dataset (linked from its record in the graph)."""
    state = current_state()
    if not state.store_root:
        raise ApiError(404, MSG["version_gone"].format(n=HISTORY_KEEP))
    snapshots = SnapshotStore(state.store_root)
    kept = {r["id"] for r in snapshots.history() if r.get("kept")}
    path = snapshots.snapshot(snapshot) if snapshot in kept else None
    if path is None:  # a version the record of publications names is gone, not unknown
        named = ox.NamedNode(version_iri(state.config.base, snapshot))
        known = next(iter(state.reader().quads_for_pattern(named, None, None, None)), None)
        raise ApiError(410 if known else 404, MSG["version_gone"].format(n=HISTORY_KEEP))
    store = ox.Store.read_only(str(path))
    response = Response(gzip_stream(serialized_chunks(store, NQUADS)), mimetype="application/gzip")
    response.implicit_sequence_conversion = False
    response.headers["Content-Disposition"] = f'attachment; filename="kgraph-{snapshot}.nq.gz"'
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
