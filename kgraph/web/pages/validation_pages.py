"""``/validation``: the SHACL report of the served data, and of the data as it would be.

``GET /validation`` shows the report of what is being served, in the reader's
language, each focus node linked to its page.  ``POST /validation`` takes a file
(Turtle, JSON-LD, TriG, N-Quads, N-Triples, RDF/XML, or a plan spreadsheet in CSV or
XLSX) and reports on the served dataset with that file in place (see
:mod:`kgraph.uploads`).  Both answer HTML, JSON or the Turtle report graph by
``Accept`` (or ``?format=``); scripts that send ``Accept: */*`` get JSON from
``POST``.

The web process only receives the bytes and renders the answer: parsing and
validating happen in a validation sandbox (:mod:`kgraph.web.work`), with a
time budget (``--validation-timeout``), a memory cap (``--validation-memory-mb``),
one validation per client at a time, and no network.  Reports are cached on disk
per validation unit by the sandbox (a cap on the cache's size evicts the least
recently used); the served snapshot's report is also kept in memory.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from ...reports import build_view, template_context
from ...reports.labels import Labels
from ...reports.strings import t
from ...table.errors import CellError, Where
from ...uploads import KNOWN_SUFFIXES, UploadError, clean_name, problem
from ...validation import Report
from .. import work
from ..http.conneg import HTML, JSON, TURTLE, negotiate
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import current_state
from .linkeddata import local_href

bp = Blueprint("validation_pages", __name__)

#: Media types an upload may be sent as (without a file name), and their extension.
UPLOAD_TYPES = {
    "text/turtle": ".ttl",
    "application/x-turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/trig": ".trig",
    "application/n-quads": ".nq",
    "application/n-triples": ".nt",
    "application/rdf+xml": ".rdf",
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}



@bp.route("/validation", methods=["GET", "POST"])
def validation() -> Response:
    """The report in HTML, JSON or Turtle, by ``Accept``; messages in the reader's
    language (so every form varies on both)."""
    response = _validation()
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    return response


def _validation() -> Response:
    lang = get_lang()
    if request.method == "GET":
        media = negotiate(request, [HTML, JSON, TURTLE])
        report, labels, turtle = served_report()
        return _answer(media, report, labels, turtle, lang, upload=None)
    media = negotiate(request, [JSON, TURTLE, HTML])
    try:
        name, data = _upload()
        report, labels, turtle = report_on_upload(name, data)
    except UploadError as error:
        return _problems(media, error.problems, lang, name=_upload_name())
    return _answer(media, report, labels, turtle, lang, upload=name)


# ---------------------------------------------------------------------------
# The work, in a validation sandbox
# ---------------------------------------------------------------------------


def served_report() -> tuple[Report, Labels, str]:
    """The report of the served snapshot (computed once per snapshot)."""
    state = current_state()

    def compute() -> tuple[Report, Labels, str]:
        header, _ = work.run(
            state, "validation",
            {"op": "served_report", "base": state.config.base,
             "cache_dir": state.config.cache_dir},
            budget=max(state.config.validation_timeout, 300.0),
        )
        return _report_of(header)

    return state.per_version("served-report", compute)


def report_on_upload(name: str, data: bytes) -> tuple[Report, Labels, str]:
    """The report on the served data with ``data`` (a file called ``name``) in place."""
    state = current_state()
    header, _ = work.run(
        state, "validation",
        {"op": "validate", "name": name, "base": state.config.base,
         "cache_dir": state.config.cache_dir},
        data,
        budget=state.config.validation_timeout,
    )
    if header.get("error") == "upload":
        raise UploadError([_problem_from(p) for p in header.get("problems", [])])
    return _report_of(header)


def _report_of(header: dict[str, Any]) -> tuple[Report, Labels, str]:
    """A sandbox's answer as plain objects (it is read as data, never run)."""
    if header.get("status") != 200:
        raise work.unreadable(header)
    try:
        report = Report.from_json(header["report"])
        found = header.get("labels") or {}
        labels = Labels(
            {str(k): {str(a): str(b) for a, b in v.items()}
             for k, v in found.get("names", {}).items()},
            {str(k): [str(c) for c in v] for k, v in found.get("types", {}).items()},
        )
        return report, labels, str(header.get("turtle", ""))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise work.unreadable(header, error) from None


def _problem_from(data: dict[str, Any]) -> CellError:
    return CellError(
        Where(str(data.get("sheet", "")), data.get("row"), data.get("column"),
              data.get("header"), data.get("header_en")),
        str(data.get("ja", "")), str(data.get("en", "")),
    )


# ---------------------------------------------------------------------------
# The request
# ---------------------------------------------------------------------------


def _upload_name() -> str:
    file = request.files.get("file")
    if file is not None and file.filename:
        return clean_name(file.filename)
    return clean_name(request.args.get("name"))


#: The fields an upload form sends (the file; "lang" is the page's language choice).
UPLOAD_FIELDS = frozenset({"file", "lang"})


def _upload() -> tuple[str, bytes]:
    """The uploaded file's name and bytes (multipart ``file``, or the raw body)."""
    unexpected = sorted({*request.form, *request.files} - UPLOAD_FIELDS)
    if unexpected:
        names = ", ".join(unexpected)
        raise UploadError([problem(
            "upload", f"フォームに想定外の項目があります：{names}（file だけを送ってください）。",
            f"unexpected form field(s): {names} (send only 'file')")])
    file = request.files.get("file")
    if file is not None and file.filename:
        return clean_name(file.filename), file.read()
    if request.files or request.form:
        raise UploadError([problem("upload", "ファイルが選ばれていません。", "no file was chosen")])
    data = request.get_data(cache=False)
    if not data:
        raise UploadError(
            [problem("upload", "ファイルが送られていません。", "no file was sent (field 'file')")]
        )
    mimetype = request.mimetype
    name = clean_name(request.args.get("name"))
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in KNOWN_SUFFIXES:
        extension = UPLOAD_TYPES.get(mimetype)
        if extension is None:
            known = ", ".join(sorted(set(UPLOAD_TYPES)))
            raise UploadError([problem(
                name,
                f"形式 {mimetype} は読めません（{known}）。",
                f"cannot read {mimetype or 'this'} (known: {known})",
            )])
        name += extension
    return name, data


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def _answer(media: str, report: Report, labels: Labels, turtle: str, lang: str,
            upload: str | None) -> Response:
    if media == TURTLE:
        return Response(turtle, mimetype=TURTLE)
    view = build_view(report, labels, lang, local_href)
    if media == JSON:
        body = {**view.to_json(), "upload": upload, "served_data_changed": False}
        if report.omitted:
            body["omitted"] = report.omitted
        return Response(json.dumps(body, ensure_ascii=False), mimetype=JSON)
    return html_page(
        "validation.html",
        **template_context(view),
        upload=upload,
        problems=None,
        omitted=sum(report.omitted.values()),
        max_upload=current_state().config.max_upload_bytes,
    )


def _problems(media: str, problems: list[CellError], lang: str, name: str) -> Response:
    """400: the upload could not be read; every problem with its place."""
    if media == HTML:
        return html_page(
            "validation.html",
            status=400,
            view=None,
            s=lambda key, **values: t(key, lang, **values),
            upload=name,
            problems=[p.text(lang) for p in problems],
            omitted=0,
            max_upload=current_state().config.max_upload_bytes,
        )
    body = {
        "error": "the upload cannot be read",
        "upload": name,
        "problems": [p.to_json() for p in problems],
        "served_data_changed": False,
    }
    if media == TURTLE:
        text = "\n".join(f"# {p.text('en')}" for p in problems) + "\n"
        return Response(text, status=400, mimetype="text/plain")
    return Response(json.dumps(body, ensure_ascii=False), status=400, mimetype=JSON)

