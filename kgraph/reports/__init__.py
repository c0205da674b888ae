"""Renderings of a SHACL :class:`~kgraph.validation.Report` that people can act on.

``render(report, fmt, lang, labels)`` gives text (default), a table, the Turtle
report graph, JSON, or a self-contained HTML page.  Every format reads from the
same :class:`~kgraph.reports.view.ReportView`, so they say the same thing.
"""

from __future__ import annotations

import json
from importlib.resources import files

from ..validation import SEVERITIES, Report
from .labels import Labels, labels_from_graph, labels_from_quads, labels_from_store
from .rdf import render_turtle, report_graph
from .strings import LANGS, t
from .text import render_table, render_text
from .view import Linker, ReportView, build_view

FORMATS = ("text", "table", "turtle", "json", "html")

__all__ = [
    "FORMATS",
    "LANGS",
    "Labels",
    "ReportView",
    "build_view",
    "labels_from_graph",
    "labels_from_quads",
    "labels_from_store",
    "render",
    "render_html",
    "report_graph",
]


def render(
    report: Report,
    fmt: str = "text",
    lang: str = "en",
    labels: Labels | None = None,
    link: Linker | None = None,
) -> str:
    """The report in one of :data:`FORMATS`, with messages in ``lang``."""
    labels = labels or Labels()
    if fmt == "turtle":
        return render_turtle(report, labels)
    view = build_view(report, labels, lang, link)
    if fmt == "text":
        return render_text(view)
    if fmt == "table":
        return render_table(view)
    if fmt == "json":
        return json.dumps(view.to_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_html(view)
    raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")


def template_context(view: ReportView) -> dict:
    """What the report templates need besides the view: UI strings and severities."""
    return {
        "view": view,
        "severities": SEVERITIES,
        "s": lambda key, **values: t(key, view.lang, **values),
    }


def render_html(view: ReportView, subject: str | None = None) -> str:
    """A self-contained HTML page (styles inline, no scripts or outside resources)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from .. import __version__

    env = Environment(
        loader=PackageLoader("kgraph", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("reports/standalone.html")
    css = files("kgraph").joinpath("static/reports.css").read_text(encoding="utf-8")
    return template.render(**template_context(view), subject=subject, version=__version__, css=css)
