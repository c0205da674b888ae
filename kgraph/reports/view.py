"""One reading of a :class:`~kgraph.validation.Report` for people, shared by every format.

The view resolves what a person needs to act on a result: the focus node's label,
kind and IRI (and a link to its page), the property path with its label, the
offending value, the severity, the message in the chosen language, and the named
shape.  Blank node ids never reach the reader; they become "(unnamed node)".
Results are grouped by focus node, worst first, with counts per severity and shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..terms import compact
from ..validation import PATH_SPLIT, SEVERITIES, Report, Result
from .labels import Labels
from .strings import check_lang, constraint_words, t

Linker = Callable[[str], str | None]


@dataclass
class ResultView:
    severity: str
    severity_label: str
    message: str
    messages: dict[str, str]
    path: str | None
    path_name: str | None
    path_label: str | None
    value: str | None
    value_iri: str | None
    value_label: str | None
    value_link: str | None
    shape: str | None
    shape_name: str
    shape_label: str | None
    constraint: str
    constraint_name: str
    constraint_words: str


@dataclass
class FocusGroup:
    iri: str | None
    name: str
    label: str | None
    kind: str | None
    link: str | None
    worst: str
    results: list[ResultView] = field(default_factory=list)


@dataclass
class ShapeCount:
    shape: str | None
    name: str
    label: str | None
    counts: dict[str, int]
    total: int


@dataclass
class ReportView:
    lang: str
    #: No Violation (the publish gate's rule and the human verdict).
    conforms: bool
    counts: dict[str, int]
    total: int
    groups: list[FocusGroup]
    shapes: list[ShapeCount]
    #: SHACL's ``sh:conforms``: no result of any severity (SHACL §3.6.1).
    sh_conforms: bool = True

    @property
    def verdict(self) -> str:
        return t("conforms" if self.conforms else "not_conforms", self.lang)

    def to_json(self) -> dict:
        """Plain data for ``--format json`` and ``POST /validation``."""
        return {
            "conforms": self.conforms,
            "sh_conforms": self.sh_conforms,
            "lang": self.lang,
            "counts": self.counts,
            "total": self.total,
            "by_shape": [asdict(s) for s in self.shapes],
            "focus_nodes": [asdict(g) for g in self.groups],
        }


def is_blank(term: str | None) -> bool:
    return bool(term) and term.startswith("_:")


def looks_like_iri(text: str, labels: Labels) -> bool:
    if text in labels.names or text in labels.types:
        return True
    return (
        text.startswith(("http://", "https://", "urn:"))
        and not any(c.isspace() for c in text)
        and "<" not in text
    )


def build_view(report: Report, labels: Labels, lang: str, link: Linker | None = None) -> ReportView:
    """The report as people read it, in ``lang`` (``ja`` or ``en``)."""
    lang = check_lang(lang)
    link = link or (lambda _iri: None)
    groups: dict[str, FocusGroup] = {}
    shapes: dict[str, ShapeCount] = {}
    for result in report.results:
        group = groups.get(result.focus)
        if group is None:
            group = groups[result.focus] = _focus_group(result.focus, labels, lang, link)
        group.results.append(_result_view(result, labels, lang, link))
        shape = shapes.get(result.shape)
        if shape is None:
            shape = shapes[result.shape] = _shape_count(result.shape, labels, lang)
        shape.counts[result.severity] = shape.counts.get(result.severity, 0) + 1
        shape.total += 1
    for group in groups.values():
        group.results.sort(
            key=lambda r: (_rank(r.severity), r.path or "", r.shape_name, r.value or "")
        )
        group.worst = group.results[0].severity
    ordered = sorted(
        groups.values(), key=lambda g: (_rank(g.worst), g.iri is None, g.iri or "", g.name)
    )
    return ReportView(
        lang=lang,
        conforms=report.conforms,
        sh_conforms=report.sh_conforms,
        counts=report.by_severity(),
        total=len(report.results),
        groups=ordered,
        shapes=sorted(shapes.values(), key=lambda s: (-s.counts.get("Violation", 0), s.name)),
    )


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _focus_group(focus: str, labels: Labels, lang: str, link: Linker) -> FocusGroup:
    if is_blank(focus) or not focus:
        return FocusGroup(None, t("unnamed_node", lang), None, None, None, "Info")
    return FocusGroup(
        iri=focus,
        name=labels.name(focus, lang),
        label=labels.label(focus, lang),
        kind=labels.kind(focus, lang),
        link=link(focus),
        worst="Info",
    )


def _result_view(result: Result, labels: Labels, lang: str, link: Linker) -> ResultView:
    value, value_iri, value_label, value_link = result.value, None, None, None
    if value is not None:
        if is_blank(value):
            value = t("unnamed_node", lang)
        elif looks_like_iri(value, labels):
            value_iri = value
            value_label = labels.label(value, lang)
            value_link = link(value)
            value = compact(value)
    path_name = path_label = None
    if result.path:
        path_name = _compact_path(result.path)
        path_label = labels.label(result.path, lang)
    shape = None if is_blank(result.shape) or not result.shape else result.shape
    return ResultView(
        severity=result.severity,
        severity_label=t(result.severity, lang)
        if result.severity in SEVERITIES
        else result.severity,
        message=result.message(lang),
        messages=dict(result.messages),
        path=result.path,
        path_name=path_name,
        path_label=path_label,
        value=value,
        value_iri=value_iri,
        value_label=value_label,
        value_link=value_link,
        shape=shape,
        shape_name=compact(shape) if shape else t("unnamed_shape", lang),
        shape_label=labels.label(shape, lang) if shape else None,
        constraint=result.constraint,
        constraint_name=compact(result.constraint) if result.constraint else "",
        constraint_words=constraint_words(result.constraint, lang) if result.constraint else "",
    )


def _shape_count(shape: str, labels: Labels, lang: str) -> ShapeCount:
    named = None if is_blank(shape) or not shape else shape
    return ShapeCount(
        shape=named,
        name=compact(named) if named else t("unnamed_shape", lang),
        label=labels.label(named, lang) if named else None,
        counts={s: 0 for s in SEVERITIES},
        total=0,
    )


def _compact_path(path: str) -> str:
    """A path string from :mod:`kgraph.validation` with each IRI in prefixed form.

    Steps of a sequence (``/``) and alternatives (``|``) are split where the next
    step starts with a scheme, so that slashes inside IRIs are left alone.
    """
    pieces = PATH_SPLIT.split(path)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(piece)
            continue
        match = _PATH_STEP.fullmatch(piece)
        if match is None or not match.group(2):
            out.append(piece)
        else:
            out.append(match.group(1) + compact(match.group(2)) + match.group(3))
    return "".join(out)


_PATH_STEP = re.compile(r"(\^*)(.*?)([*+?]*)", re.S)
