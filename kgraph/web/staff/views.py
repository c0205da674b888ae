"""What the staff pages show: a diff as rows of fields, a change, a publication.

The sandbox sends the diff as JSON (:meth:`kgraph.diff.Diff.to_json`) in both
languages; a page reads it back and marks, in each changed text, the part that
changed (the same middle :func:`kgraph.diff.excerpt` puts in ［ ］ in the text form).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...diff import Diff, common_ends
from ...messages import text
from ..pages.linkeddata import local_href


@dataclass
class Shown:
    """One value: its text cut into (before, changed part, after), and a link for an
    IRI (the changed part is empty for an added or removed value)."""

    parts: tuple[str, str, str]
    link: str | None = None
    iri: str | None = None


@dataclass
class Row:
    field: str
    kind: str  # changed | added | removed
    kind_label: str
    before: Shown | None
    after: Shown | None


@dataclass
class ResourceView:
    name: str
    iri: str
    link: str | None
    status: str
    status_label: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class DiffView:
    summary: str
    resources: list[ResourceView]
    omitted: int = 0
    empty: bool = False


def diff_view(data: dict[str, Any] | None, lang: str) -> DiffView | None:
    """The diff for a page (``None``: none was recorded)."""
    if not data:
        return None
    diff = Diff.from_json(data)
    summary = data.get("summary") or {}
    if data.get("omitted"):
        line = text("diff.summary", lang, total=len(diff.resources) + int(data["omitted"]),
                    plus=summary.get("statements_added", 0),
                    minus=summary.get("statements_removed", 0),
                    added=summary.get("added", 0), removed=summary.get("removed", 0),
                    changed=summary.get("changed", 0))
    else:
        line = diff.summary_line()
    resources = []
    for resource in diff.resources:
        view = ResourceView(resource.name, resource.iri, local_href(resource.iri),
                            resource.status, text(f"diff.{resource.status}", lang))
        for change in resource.changes:
            name = change.label + (f" ({change.lang})" if change.lang else "")
            for old, new in change.changed:
                before, after = _marked(old.text, new.text)
                view.rows.append(Row(name, "changed", text("diff.changed", lang),
                                     _shown(old, before), _shown(new, after)))
            for value in change.removed:
                view.rows.append(Row(name, "removed", text("diff.removed", lang),
                                     _shown(value, ("", value.text, "")), None))
            for value in change.added:
                view.rows.append(Row(name, "added", text("diff.added", lang), None,
                                     _shown(value, ("", value.text, ""))))
        resources.append(view)
    return DiffView(line, resources, int(data.get("omitted") or 0), diff.empty)


def _shown(value: Any, parts: tuple[str, str, str]) -> Shown:
    if value.term.startswith("<") and value.term.endswith(">"):
        iri = value.term[1:-1]
        return Shown(parts, local_href(iri), iri)
    return Shown(parts)


def _marked(old: str, new: str) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """Both texts as (common start, own middle, common end)."""
    start, end = common_ends(old, new)
    head, tail = old[:start], old[len(old) - end:] if end else ""
    return ((head, old[start:len(old) - end], tail), (head, new[start:len(new) - end], tail))
