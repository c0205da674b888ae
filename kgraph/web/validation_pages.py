"""``/validation``: the SHACL report of the served data, and of the data as it would be.

``GET /validation`` shows the report of what is being served, in the reader's
language, each focus node linked to its page.  ``POST /validation`` takes a file
(Turtle, JSON-LD, TriG, N-Quads, N-Triples, RDF/XML, or a plan spreadsheet in CSV or
XLSX) and reports on the served dataset with that file in place: a triple file
replaces the graph named after it (``entries.ttl`` replaces ``graph/entries``), a
dataset file replaces the graphs it holds, a spreadsheet replaces the entries
graph.  The served store is only read, never written.  Both answer HTML, JSON or
the Turtle report graph by ``Accept`` (or ``?format=``); scripts that send
``Accept: */*`` get JSON from ``POST``.

Reports are cached by the content of the dataset they describe, so the same data is
validated once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, request

from ..dataset import SourceError, parse_source
from ..iris import graph_iri
from ..reports import build_view, labels_from_graph, labels_from_store, template_context
from ..reports.labels import Labels, labels_from_quads
from ..reports.rdf import render_turtle
from ..reports.strings import t
from ..sources import FORMATS as RDF_FORMATS
from ..sources import Source, shapes_files
from ..table.context import ContextError, build_context
from ..table.errors import CellError, TableError, Where
from ..table.files import ENTRIES, import_table
from ..validation import Report, cached_report, load_shapes, shacl_engine, store_report
from ..validation_units import content_key as units_content_key
from ..validation_units import shapes_key, validate_dataset
from .conneg import HTML, JSON, TURTLE, negotiate
from .i18n import get_lang
from .linkeddata import local_href
from .pages import html_page
from .state import current_state

bp = Blueprint("validation_pages", __name__)

TABLE_SUFFIXES = (".csv", ".xlsx")
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

#: Statements an uploaded RDF file may hold: the plan's whole dataset has a few
#: thousand; a million would keep a worker busy for a minute and take gigabytes.
MAX_UPLOAD_STATEMENTS = 200_000

_lock = threading.Lock()
#: Reports kept in memory, newest last; the disk cache (``cache_dir``) keeps the rest.
_memo: OrderedDict[str, Report] = OrderedDict()
MEMO_SIZE = 16


class UploadError(Exception):
    """An upload that cannot be read: a parse error or spreadsheet errors."""

    def __init__(self, problems: list[CellError]) -> None:
        super().__init__(problems[0].text("en") if problems else "bad upload")
        self.problems = problems


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
        report, labels = served_report()
        return _answer(media, report, labels, lang, upload=None)
    media = negotiate(request, [JSON, TURTLE, HTML])
    try:
        name, data = _upload()
        quads = candidate_quads(name, data)
    except UploadError as error:
        return _problems(media, error.problems, lang, name=_upload_name())
    report = report_for(quads)
    labels = _labels(quads)
    return _answer(media, report, labels, lang, upload=name)


# ---------------------------------------------------------------------------
# The data: served, and with an upload in place
# ---------------------------------------------------------------------------


def served_quads() -> list[ox.Quad]:
    """The served dataset, read from the store's current snapshot.

    The data keeps every literal in the form Oxigraph stores it in
    (``tests/test_canonical_literals.py``), so the store's copy is the data the gate
    validated.
    """
    return list(current_state().store.quads_for_pattern(None, None, None, None))


def served_report() -> tuple[Report, Labels]:
    """The report of the served snapshot (the one made at start, else computed once)."""
    state = current_state()
    store = state.store
    snapshot = state.snapshot_id
    key = f"snapshot:{state.store_root}:{snapshot}"
    with _lock:
        report = _memo.get(key)
    if report is None:
        if state.report is not None and snapshot.endswith("-start"):
            report = state.report
        else:
            report = report_for(served_quads())
        _remember(key, report)
    labels = labels_from_store(store, _mentioned(report)).merge(_shape_labels())
    return report, labels


def _upload_name() -> str:
    file = request.files.get("file")
    if file is not None and file.filename:
        return Path(file.filename).name
    return request.args.get("name") or "upload"


def _upload() -> tuple[str, bytes]:
    """The uploaded file's name and bytes (multipart ``file``, or the raw body)."""
    file = request.files.get("file")
    if file is not None and file.filename:
        return Path(file.filename).name, file.read()
    if request.files or request.form:
        raise UploadError(
            [_problem("upload", "ファイルが選ばれていません。", "no file was chosen")]
        )
    data = request.get_data(cache=False)
    if not data:
        raise UploadError(
            [_problem("upload", "ファイルが送られていません。", "no file was sent (field 'file')")]
        )
    mimetype = request.mimetype
    name = request.args.get("name") or "upload"
    if Path(name).suffix.lower() not in (*RDF_FORMATS, *TABLE_SUFFIXES):
        suffix = UPLOAD_TYPES.get(mimetype)
        if suffix is None:
            known = ", ".join(sorted(set(UPLOAD_TYPES)))
            raise UploadError(
                [
                    _problem(
                        name,
                        f"形式 {mimetype} は読めません（{known}）。",
                        f"cannot read {mimetype or 'this'} (known: {known})",
                    )
                ]
            )
        name += suffix
    return name, data


def _problem(where: str, ja: str, en: str) -> CellError:
    return CellError(Where(where), ja, en)


def candidate_quads(name: str, data: bytes) -> list[ox.Quad]:
    """The served dataset with the uploaded file in place (nothing is written)."""
    base = current_state().config.base
    served = served_quads()
    suffix = Path(name).suffix.lower()
    entries = ox.NamedNode(graph_iri(base, ENTRIES))
    if suffix in TABLE_SUFFIXES:
        others = [q for q in served if q.graph_name != entries]
        try:
            triples = import_table(data, name, build_context(others, base))
        except TableError as error:
            raise UploadError(error.errors) from None
        except ContextError as error:
            raise UploadError(
                [
                    _problem(
                        name,
                        f"表を読むためのデータが足りません：{error}",
                        f"the served data lacks what the table needs: {error}",
                    )
                ]
            ) from error
        return others + [ox.Quad(t.subject, t.predicate, t.object, entries) for t in triples]
    fmt = RDF_FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted({*RDF_FORMATS, *TABLE_SUFFIXES}))
        raise UploadError(
            [
                _problem(
                    name,
                    f"拡張子「{suffix}」の形式は読めません（{known}）。",
                    f"unknown file type {suffix!r} (known: {known})",
                )
            ]
        )
    own_graph = graph_iri(base, Path(name).stem)
    source = Source(Path(name), fmt, None if fmt.supports_datasets else own_graph)
    try:
        quads = parse_source(source, base, data, limit=MAX_UPLOAD_STATEMENTS)
    except SourceError as error:
        raise UploadError(
            [_problem(name, f"読めません：{error}", f"cannot parse: {error}")]
        ) from None
    quads = [
        q
        if isinstance(q.graph_name, ox.NamedNode)
        else ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(own_graph))
        for q in quads
    ]
    replaced = {q.graph_name for q in quads} | {ox.NamedNode(own_graph)}
    return [q for q in served if q.graph_name not in replaced] + quads


def content_key(quads: list[ox.Quad]) -> str:
    """A key that changes whenever the dataset, the shapes or the validator change
    (the engine and its version included)."""
    whole = units_content_key(quads) + shapes_key(shapes_files()) + shacl_engine()
    return "content-" + hashlib.sha256(whole.encode()).hexdigest()


def report_for(quads: list[ox.Quad]) -> Report:
    """Validate a dataset, or take its report from the cache."""
    config = current_state().config
    cache_dir = config.cache_dir
    key = content_key(quads)
    with _lock:
        report = _memo.get(key)
    if report is None:
        report = cached_report(cache_dir, key)
    if report is None:
        report = validate_dataset(quads, base=config.base, cache_dir=cache_dir)
        store_report(cache_dir, key, report)
    _remember(key, report)
    return report


def _remember(key: str, report: Report) -> None:
    with _lock:
        _memo[key] = report
        _memo.move_to_end(key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)


def _mentioned(report: Report) -> set[str]:
    iris = set()
    for r in report.results:
        iris.update(x for x in (r.focus, r.value, r.path, r.shape) if x)
    return iris


_shapes_labels: dict[str, Labels] = {}


def _shape_labels() -> Labels:
    """Labels of the shapes (re-read when a shapes file changes); a fresh copy each time."""
    key = "|".join(f"{p}:{p.stat().st_mtime_ns}" for p in shapes_files())
    labels = _shapes_labels.get(key)
    if labels is None:
        labels = labels_from_graph(load_shapes())
        _shapes_labels.clear()
        _shapes_labels[key] = labels
    return Labels().merge(labels)


def _labels(quads: list[ox.Quad]) -> Labels:
    return labels_from_quads(quads).merge(_shape_labels())


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def _answer(media: str, report: Report, labels: Labels, lang: str, upload: str | None) -> Response:
    if media == TURTLE:
        return Response(render_turtle(report, labels), mimetype=TURTLE)
    if media == JSON:
        view = build_view(report, labels, lang, local_href)
        body = {**view.to_json(), "upload": upload, "served_data_changed": False}
        return Response(json.dumps(body, ensure_ascii=False), mimetype=JSON)
    view = build_view(report, labels, lang, local_href)
    return html_page(
        "validation.html",
        **template_context(view),
        upload=upload,
        problems=None,
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
