"""From the entries graph to the rows and cells of the plan table.

Reading is lenient (it takes what fits each column) and then strict: the statements
:func:`~kgraph.table.model.row_triples` would make from the filled rows are
compared with the graph.  What the columns do not carry goes to the "other
statements" column; what the rows would add but the graph lacks is an
:class:`ExportError`, because importing the table would then change the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from ..iris import activity_iri, entry_iri, leading_project_iri, sub_activity_iri
from .context import PlanContext, relative
from .errors import ExportError
from .layout import FLAG_MARK, MAIN, SUB, Column, columns
from .model import (
    DERIVED,
    RDF_TYPE,
    RDFS_LABEL,
    EntryRow,
    Item,
    Programme,
    kgo,
    programme_id_of,
    row_triples,
)
from .statements import write_statements

LANGS = ("ja", "en")
Index = dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]


def _index(triples: Iterable[ox.Triple]) -> Index:
    index: Index = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            raise ExportError(f"blank nodes cannot be written in a table: {t}")
        index[t.subject.value][t.predicate.value].append(t.object)
    for predicates in index.values():
        for objects in predicates.values():
            objects.sort(key=str)
    return index


def _texts(index: Index, iri: str, predicate: ox.NamedNode) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in index[iri].get(predicate.value, []):
        if isinstance(term, ox.Literal) and term.language in LANGS:
            out.setdefault(term.language, term.value)
    return out


def _iris(index: Index, iri: str, predicate: ox.NamedNode) -> list[str]:
    return [t.value for t in index[iri].get(predicate.value, []) if isinstance(t, ox.NamedNode)]


def rows_from_triples(triples: Iterable[ox.Triple], context: PlanContext) -> list[EntryRow]:
    """The table rows for an entries graph; raises :class:`ExportError` if it cannot be exact."""
    triples = list(dict.fromkeys(triples))
    index = _index(triples)
    entries = [s for s, preds in index.items() if kgo("PlanEntry") in preds.get(RDF_TYPE.value, [])]
    rows = [_read_entry(index, iri, context) for iri in entries]
    rows.sort(key=lambda r: (int(r.number), r.number))
    seen: dict[str, str] = {}
    for row in rows:
        if row.number in seen:
            raise ExportError(f"two entries have the number {row.number}")
        seen[row.number] = row.number

    implied: set[ox.Triple] = set()
    for row in rows:
        implied.update(row_triples(row, context))
    present = set(triples)
    missing = implied - present
    if missing:
        sample = "\n  ".join(sorted(str(t) for t in missing)[:10])
        raise ExportError(
            "the entries graph lacks statements the table layout implies, so an import "
            f"would change it ({len(missing)}):\n  {sample}"
        )
    _assign_other(sorted(present - implied, key=str), rows, context)
    return rows


def _read_entry(index: Index, iri: str, context: PlanContext) -> EntryRow:
    numbers = [
        t.value for t in index[iri].get(kgo("entryNumber").value, []) if isinstance(t, ox.Literal)
    ]
    number = numbers[0] if numbers else iri.rsplit("/", 1)[-1]
    if not number.isdigit() or entry_iri(context.base, context.plan_slug, number) != iri:
        raise ExportError(f"{iri}: not an entry IRI of the plan with entry number {number!r}")
    row = EntryRow(number=number)
    by_iri = {p.iri: n for n, p in context.policies.items()}
    for policy in _iris(index, iri, kgo("underPolicy")):
        if policy in by_iri:
            row.policy = by_iri[policy]
            break
    row.labels = _texts(index, iri, RDFS_LABEL)
    for programme in _iris(index, iri, kgo("administrativeProgramme")):
        if programme_id_of(context, programme):
            row.programme = Programme(programme, _texts(index, programme, RDFS_LABEL))
            break
    row.overview = _texts(index, iri, kgo("overview"))
    activities = set(_iris(index, iri, kgo("activity")))
    i = 1
    while (activity := activity_iri(context.base, context.plan_slug, number, i)) in activities:
        item = Item(_texts(index, activity, RDFS_LABEL))
        subs = set(_iris(index, activity, kgo("subActivity")))
        j = 1
        while (sub := sub_activity_iri(context.base, context.plan_slug, number, i, j)) in subs:
            item.subs.append(Item(_texts(index, sub, RDFS_LABEL)))
            j += 1
        row.activities.append(item)
        i += 1
    projects = set(_iris(index, iri, kgo("leadingProject")))
    row.leading_projects = [
        code
        for code in context.leading_projects
        if leading_project_iri(context.base, context.plan_slug, code) in projects
    ]
    flags = set(_iris(index, iri, kgo("flag")))
    row.flags = [f.slug for f in context.flags if f.iri in flags]
    relisting = [
        t for t in index[iri].get(kgo("isRelisting").value, []) if isinstance(t, ox.Literal)
    ]
    if any(t.value == "true" for t in relisting):
        for original in _iris(index, iri, kgo("relistingOf")):
            tail = original.rsplit("/", 1)[-1]
            if tail.isdigit() and entry_iri(context.base, context.plan_slug, tail) == original:
                row.relisting.append(tail)
    row.departments = _iris(index, iri, kgo("responsibleDepartment"))
    row.sources = [s for s in _iris(index, iri, DERIVED) if s.startswith(context.source_root)]
    row.normalisations = [
        n
        for n in _iris(index, iri, kgo("normalisation"))
        if n.startswith(context.normalisation_root)
    ]
    row.external = _iris(index, iri, kgo("externalSource"))
    items = [
        item_iri
        for i, item in enumerate(row.activities, start=1)
        for item_iri in (
            activity_iri(context.base, context.plan_slug, number, i),
            *(
                sub_activity_iri(context.base, context.plan_slug, number, i, j)
                for j in range(1, len(item.subs) + 1)
            ),
        )
    ]
    if items:
        shared = set.intersection(*(set(_iris(index, i, kgo("normalisation"))) for i in items))
        row.item_normalisations = sorted(
            n for n in shared if n.startswith(context.normalisation_root)
        )
    return row


def _assign_other(triples: list[ox.Triple], rows: list[EntryRow], context: PlanContext) -> None:
    """Put each left-over statement on the row of the resource it is about."""
    if not triples:
        return
    if not rows:
        raise ExportError("the entries graph holds statements but no plan entry to put them on")
    owner: dict[str, EntryRow] = {}
    for row in rows:
        entry = row.iri(context)
        owner.setdefault(entry, row)
        if row.programme is not None:
            owner.setdefault(row.programme.iri, row)
    for t in triples:
        subject = t.subject.value
        row = owner.get(subject)
        if row is None:
            row = next((r for r in rows if subject.startswith(r.iri(context) + "/")), None)
        if row is None and isinstance(t.object, ox.NamedNode):
            row = owner.get(t.object.value)
        row = row or rows[0]
        row.other.append(t)


# ---------------------------------------------------------------------------
# Rows to cells
# ---------------------------------------------------------------------------


def items_text(items: list[Item], lang: str) -> str:
    """The activities cell: ``●`` lines for activities, ``・`` lines for their sub-items."""
    if lang != "ja" and not any(
        i.labels.get(lang) or any(s.labels.get(lang) for s in i.subs) for i in items
    ):
        return ""
    lines = []
    for item in items:
        lines.append(MAIN + item.labels.get(lang, ""))
        lines += [SUB + sub.labels.get(lang, "") for sub in item.subs]
    return "\n".join(lines)


def row_cells(row: EntryRow, context: PlanContext, cols: list[Column]) -> list[str]:
    """The text of each cell of one row, in column order."""
    programme = row.programme
    if programme is not None and programme_id_of(context, programme.iri) is None:
        raise ExportError(f"{programme.iri}: not a programme IRI under id/programme/")
    values = {
        "policy": str(row.policy) if row.policy is not None else "",
        "policy_name": context.policies[row.policy].label("ja") if row.policy is not None else "",
        "number": row.number,
        "programme": programme.labels.get("ja", "") if programme else "",
        "overview": row.overview.get("ja", ""),
        "activities": items_text(row.activities, "ja"),
        "pj": "\n".join(row.leading_projects),
        "relisting": "\n".join(row.relisting),
        "departments": "\n".join(context.organisation_cell(d) for d in row.departments),
        "sources": "\n".join(relative(context.source_root, s) for s in row.sources),
        "normalisations": "\n".join(
            relative(context.normalisation_root, n) for n in row.normalisations
        ),
        "item_normalisations": "\n".join(
            relative(context.normalisation_root, n) for n in row.item_normalisations
        ),
        "external": "\n".join(row.external),
        "label": row.labels.get("ja", ""),
        "label_en": row.labels.get("en", ""),
        "programme_en": programme.labels.get("en", "") if programme else "",
        "overview_en": row.overview.get("en", ""),
        "activities_en": items_text(row.activities, "en"),
        "programme_id": programme_id_of(context, programme.iri) if programme else "",
        "other": write_statements(row.other, context.base),
    }
    for flag in context.flags:
        values[f"flag:{flag.slug}"] = FLAG_MARK if flag.slug in row.flags else ""
    return [values[c.key] for c in cols]


def table_cells(rows: list[EntryRow], context: PlanContext) -> tuple[list[Column], list[list[str]]]:
    """The columns and the cell texts of every row (headers not included)."""
    cols = columns(context)
    return cols, [row_cells(row, context, cols) for row in rows]
