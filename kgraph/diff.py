"""What a change to the data adds, removes and alters, per resource, in human terms.

A reviewer reads "entry 055: overview (ja) changed: 「…進めます。」 → 「…推進します。」",
not two lists of triples.  Resources are named by their kind and number or label
(an activity as "activity 2 of entry 055"), properties by their ontology label,
values by their labels; the JSON form keeps the IRIs and the full texts.

:func:`diff_datasets` compares two whole datasets (the published data and a
candidate) over the named graphs that differ: ``kgraph import-table``, ``kgraph
diff``, the staff area and the publication history all show this one diff, as
text (:func:`render_text`) or JSON (:meth:`Diff.to_json`, read back by
:meth:`Diff.from_json` for pages).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from .iris import KGO
from .labels import LABEL_PREDICATES, term_label
from .messages import text
from .reports.labels import Labels, labels_from_quads
from .terms import compact

ACTIVITY, SUB_ACTIVITY = KGO + "activity", KGO + "subActivity"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
POSITION = "https://schema.org/position"

def word(key: str, lang: str, **values: object) -> str:
    return text(f"diff.{key}", lang, **values)


@dataclass
class Value:
    """One RDF term as shown: ``text`` for people, ``term`` in N-Triples form."""

    text: str
    term: str
    lang: str | None = None


@dataclass
class PropertyChange:
    property: str
    label: str
    lang: str | None
    added: list[Value] = field(default_factory=list)
    removed: list[Value] = field(default_factory=list)
    changed: list[tuple[Value, Value]] = field(default_factory=list)


@dataclass
class ResourceChange:
    iri: str
    name: str
    status: str
    changes: list[PropertyChange] = field(default_factory=list)


@dataclass
class Diff:
    lang: str
    resources: list[ResourceChange]
    added: int
    removed: int

    @property
    def empty(self) -> bool:
        return not self.resources

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0}
        for r in self.resources:
            out[r.status] += 1
        return out

    def to_json(self) -> dict:
        return {
            "lang": self.lang,
            "summary": {
                **self.counts(),
                "statements_added": self.added,
                "statements_removed": self.removed,
            },
            "resources": [asdict(r) for r in self.resources],
        }

    @classmethod
    def from_json(cls, data: dict) -> Diff:
        """A diff from :meth:`to_json` (a sandbox's answer, a history record): read
        as plain data, field by field."""

        def value(v: dict) -> Value:
            return Value(str(v["text"]), str(v["term"]),
                         None if v.get("lang") is None else str(v["lang"]))

        resources = []
        for r in data.get("resources", []):
            changes = [
                PropertyChange(
                    str(c["property"]), str(c["label"]),
                    None if c.get("lang") is None else str(c["lang"]),
                    [value(v) for v in c.get("added", [])],
                    [value(v) for v in c.get("removed", [])],
                    [(value(a), value(b)) for a, b in c.get("changed", [])],
                )
                for c in r.get("changes", [])
            ]
            status = str(r["status"])
            if status not in ("added", "removed", "changed"):
                raise ValueError(f"unknown status {status!r}")
            resources.append(ResourceChange(str(r["iri"]), str(r["name"]), status, changes))
        summary = data.get("summary", {})
        return cls(str(data.get("lang", "en")), resources,
                   int(summary.get("statements_added", 0)),
                   int(summary.get("statements_removed", 0)))

    def summary_line(self) -> str:
        """One line: how many resources differ, and the statements added and removed."""
        if self.empty:
            return word("none", self.lang)
        return word("summary", self.lang, total=len(self.resources), plus=self.added,
                    minus=self.removed, **self.counts())


class _Namer:
    """Names resources for people from the labels and structure of both versions."""

    def __init__(self, triples: Iterable[ox.Triple], labels: Labels, lang: str) -> None:
        self.labels, self.lang = labels, lang
        self.parent: dict[str, str] = {}
        self.numbers: dict[str, str] = {}
        self.positions: dict[str, str] = {}
        for t in triples:
            p = t.predicate.value
            if p in (ACTIVITY, SUB_ACTIVITY) and isinstance(t.object, ox.NamedNode):
                self.parent[t.object.value] = t.subject.value
            elif p == KGO + "entryNumber":
                self.numbers[t.subject.value] = t.object.value
            elif p == POSITION:
                self.positions[t.subject.value] = t.object.value
            elif p == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                labels.types.setdefault(t.subject.value, [])
                if t.object.value not in labels.types[t.subject.value]:
                    labels.types[t.subject.value].append(t.object.value)
            elif p in LABEL_PREDICATES and isinstance(t.subject, ox.NamedNode):
                labels.add(t.subject.value, p, t.object)

    def name(self, iri: str, depth: int = 0) -> str:
        kind = self.labels.kind(iri, self.lang)
        if iri in self.numbers and kind:
            return f"{kind} {self.numbers[iri]}"
        parent = self.parent.get(iri)
        if parent and kind and iri in self.positions and depth < 3:
            return word(
                "of",
                self.lang,
                kind=kind,
                n=self.positions[iri],
                parent=self.name(parent, depth + 1),
            )
        label = self.labels.label(iri, self.lang)
        if label:
            return f"{kind} {label}" if kind else label
        return compact(iri)

    def value(self, term: ox.NamedNode | ox.Literal | ox.BlankNode) -> Value:
        if isinstance(term, ox.Literal):
            return Value(term.value, str(term), term.language)
        if isinstance(term, ox.NamedNode):
            label = self.labels.label(term.value, self.lang)
            return Value(label or self.name(term.value), str(term))
        return Value(str(term), str(term))


def diff_triples(
    old: Iterable[ox.Triple], new: Iterable[ox.Triple], labels: Labels, lang: str = "en"
) -> Diff:
    """The differences between two sets of triples, grouped by subject and property."""
    old_set, new_set = set(old), set(new)
    removed, added = old_set - new_set, new_set - old_set
    namer = _Namer([*old_set, *new_set], labels, lang)
    old_subjects = {t.subject.value for t in old_set}
    new_subjects = {t.subject.value for t in new_set}
    by_subject: dict[str, dict[str, dict[str, list]]] = defaultdict(
        lambda: defaultdict(lambda: {"added": [], "removed": []})
    )
    for t in removed:
        by_subject[t.subject.value][t.predicate.value]["removed"].append(t.object)
    for t in added:
        by_subject[t.subject.value][t.predicate.value]["added"].append(t.object)
    resources = []
    for iri in sorted(by_subject, key=_natural):
        if iri not in old_subjects:
            status = "added"
        elif iri not in new_subjects:
            status = "removed"
        else:
            status = "changed"
        change = ResourceChange(iri, namer.name(iri), status)
        for predicate in sorted(by_subject[iri], key=lambda p: (p != RDF_TYPE, p)):
            change.changes += _property_changes(predicate, by_subject[iri][predicate], namer)
        resources.append(change)
    return Diff(lang, resources, len(added), len(removed))


def diff_datasets(
    old: Sequence[ox.Quad], new: Sequence[ox.Quad], langs: Sequence[str] = ("ja", "en"),
    *, skip: Iterable[str] = (), labels: Labels | None = None,
) -> dict[str, Diff]:
    """What changes from dataset ``old`` to ``new``, per language: the triples of
    the named graphs whose quads differ (graphs named in ``skip`` left out), named
    with the labels of both datasets."""
    skipped = {ox.NamedNode(g) for g in skip}
    old_set = {q for q in old if q.graph_name not in skipped}
    new_set = {q for q in new if q.graph_name not in skipped}
    changed = {q.graph_name for q in old_set ^ new_set}
    old_triples = [q.triple for q in old_set if q.graph_name in changed]
    new_triples = [q.triple for q in new_set if q.graph_name in changed]
    if labels is None:
        labels = labels_from_quads(old).merge(labels_from_quads(new))
    return {lang: diff_triples(old_triples, new_triples, labels, lang) for lang in langs}


def statements_changed(old: Sequence[ox.Quad], new: Sequence[ox.Quad],
                       skip: Iterable[str] = ()) -> int:
    """How many quads one dataset has that the other has not (graphs in ``skip``
    left out): what a diff would have to list."""
    skipped = {ox.NamedNode(g) for g in skip}
    return sum(1 for q in set(old) ^ set(new) if q.graph_name not in skipped)


def _natural(text: str) -> list:
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text)]


def _property_changes(
    predicate: str, values: dict[str, list], namer: _Namer
) -> list[PropertyChange]:
    """Pair a removed and an added value of the same language (or both IRIs) as a change."""
    label = (
        namer.labels.label(predicate, namer.lang)
        or term_label(predicate, namer.lang)
        or compact(predicate)
    )
    groups: dict[str | None, PropertyChange] = {}

    def group(term) -> PropertyChange:
        key = term.language if isinstance(term, ox.Literal) else None
        if key not in groups:
            groups[key] = PropertyChange(predicate, label, key)
        return groups[key]

    for term in sorted(values["removed"], key=str):
        group(term).removed.append(namer.value(term))
    for term in sorted(values["added"], key=str):
        group(term).added.append(namer.value(term))
    for change in groups.values():
        if len(change.added) == 1 and len(change.removed) == 1:
            change.changed.append((change.removed.pop(), change.added.pop()))
    return [groups[k] for k in sorted(groups, key=lambda k: k or "")]


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def common_ends(old: str, new: str) -> tuple[int, int]:
    """How many characters the two texts share at the start, and then at the end."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return start, end


def excerpt(old: str, new: str, context: int = 12) -> tuple[str, str]:
    """Both texts cut down to the changed middle (in ［ ］) with a little context."""
    start, end = common_ends(old, new)
    if start + end == 0 or (len(old) <= 2 * context and len(new) <= 2 * context):
        return old, new

    def cut(text: str) -> str:
        middle = text[start : len(text) - end]
        left = text[max(0, start - context) : start]
        right = text[len(text) - end : len(text) - end + context]
        head = "…" if start > context else ""
        tail = "…" if end > context else ""
        return f"{head}{left}［{middle}］{right}{tail}"

    return cut(old), cut(new)


def _shown(value: Value, limit: int = 60) -> str:
    text = value.text.replace("\n", "⏎")
    text = text if len(text) <= limit else text[:limit] + "…"
    return f"「{text}」" if value.term.startswith('"') else text


def _kind(term: str) -> str:
    """The datatype (prefixed) of a literal in N-Triples form, or "IRI"."""
    if term.startswith("<"):
        return "IRI"
    if '"^^<' in term:
        return compact(term.rsplit("^^<", 1)[1].rstrip(">"))
    return "xsd:string" if term.endswith('"') else "rdf:langString"


def render_text(diff: Diff) -> str:
    lang = diff.lang
    if diff.empty:
        return word("none", lang) + "\n"
    lines = []
    for resource in diff.resources:
        lines.append(f"{resource.name}: {word(resource.status, lang)}  <{resource.iri}>")
        for change in resource.changes:
            prop = change.label + (f" ({change.lang})" if change.lang else "")
            for old, new in change.changed:
                before, after = excerpt(old.text, new.text)
                shown_old, shown_new = (
                    _shown(Value(before, old.term)),
                    _shown(Value(after, new.term)),
                )
                if shown_old == shown_new:  # same text, other datatype or kind of term
                    shown_old += f" ({_kind(old.term)})"
                    shown_new += f" ({_kind(new.term)})"
                lines.append(f"  {prop} {word('changed', lang)}: {shown_old} → {shown_new}")
            for value in change.removed:
                lines.append(f"  {prop} {word('removed', lang)}: {_shown(value)}")
            for value in change.added:
                lines.append(f"  {prop} {word('added', lang)}: {_shown(value)}")
    lines.append("")
    lines.append(diff.summary_line())
    return "\n".join(lines) + "\n"
