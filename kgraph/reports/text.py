"""Plain-text renderings of a report: readable text (default) and a table."""

from __future__ import annotations

from unicodedata import east_asian_width

from ..validation import SEVERITIES
from .strings import t
from .view import FocusGroup, ReportView, ResultView

MARKS = {"Violation": "✗", "Warning": "!", "Info": "i"}


def render_text(view: ReportView) -> str:
    """Results grouped by focus node, then a summary per severity and per shape."""
    lang = view.lang
    lines = [f"{t('title', lang)}: {view.verdict}", _counts_line(view), ""]
    if not view.groups:
        lines += [t("no_results", lang), ""]
    for group in view.groups:
        lines.append(_focus_heading(group))
        for result in group.results:
            lines += _result_lines(result, lang)
        lines.append("")
    lines += _summary_lines(view)
    return "\n".join(lines) + "\n"


def _focus_heading(group: FocusGroup) -> str:
    kind = f"[{group.kind}] " if group.kind else ""
    iri = f"  <{group.iri}>" if group.iri else ""
    return f"■ {kind}{group.name}{iri}"


def _result_lines(result: ResultView, lang: str) -> list[str]:
    mark = MARKS.get(result.severity, "?")
    path = _path_text(result, lang)
    lines = [f"  {mark} {result.severity_label}  {path}"]
    if result.message:
        lines.append(f"      {result.message}")
    if result.value is not None:
        lines.append(f"      {t('value', lang)}: {_value_text(result)}")
    shape = result.shape_name + (f" ({result.shape_label})" if result.shape_label else "")
    constraint = f"{result.constraint_name} ({result.constraint_words})"
    lines.append(f"      {t('shape', lang)}: {shape} · {t('constraint', lang)}: {constraint}")
    return lines


def _path_text(result: ResultView, lang: str) -> str:
    if not result.path_name:
        return t("none", lang)
    return result.path_name + (f" ({result.path_label})" if result.path_label else "")


def _value_text(result: ResultView) -> str:
    if result.value_iri:
        label = f"{result.value_label} " if result.value_label else ""
        return f"{label}<{result.value_iri}>"
    return f"「{result.value}」"


def _counts_line(view: ReportView) -> str:
    lang = view.lang
    counts = ", ".join(f"{t(s, lang)} {view.counts.get(s, 0)}" for s in SEVERITIES)
    return f"{counts} — {t('results_on', lang, n=view.total, m=len(view.groups))}"


def _summary_lines(view: ReportView) -> list[str]:
    lang = view.lang
    lines = [f"{t('summary', lang)} ({t('by_severity', lang)}): {_counts_line(view)}"]
    if view.shapes:
        lines.append(f"{t('summary', lang)} ({t('by_shape', lang)}):")
        for shape in view.shapes:
            counts = ", ".join(
                f"{t(s, lang)} {shape.counts[s]}" for s in SEVERITIES if shape.counts.get(s)
            )
            label = f" ({shape.label})" if shape.label else ""
            lines.append(f"  {shape.name}{label}: {counts}")
    return lines


def render_table(view: ReportView) -> str:
    """One row per result: severity, focus label and IRI, path, value, message, shape."""
    lang = view.lang
    header = [
        t("severity", lang),
        t("focus_label", lang),
        t("focus_iri", lang),
        t("path", lang),
        t("value", lang),
        t("message", lang),
        t("shape", lang),
    ]
    rows = []
    for group in view.groups:
        for r in group.results:
            rows.append(
                [
                    r.severity_label,
                    group.name,
                    group.iri or "",
                    r.path_name or "",
                    _value_text(r) if r.value is not None else "",
                    r.message,
                    r.shape_name,
                ]
            )
    out = [_table(header, rows), _counts_line(view)]
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table sized to East Asian wide characters; newlines become spaces."""
    rows = [[" ".join(cell.split("\n")) for cell in row] for row in rows]
    widths = [max([_width(h), *(_width(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        return " | ".join(padded).rstrip()

    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *map(line, rows)])
