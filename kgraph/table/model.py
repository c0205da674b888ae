"""One row of the plan table as structured values, and the triples it stands for.

Two conventions of the data are part of the layout: every activity and sub-activity
is derived from its row's source passages, and an administrative programme is
derived from the source passages of every row that names it.  Normalisations
applied to all items of a row have their own column; anything else is stated in
the "other statements" column.

:func:`row_triples` is the single definition of what a row means in RDF.  Import
uses it to build the entries graph; export uses it to find which statements the
columns already carry (everything else goes to the "other statements" column), so
the two directions cannot drift apart.  IRIs are minted by :mod:`kgraph.iris`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..iris import (
    INSTANCE_ROOT,
    KGO,
    PREFIXES,
    activity_iri,
    entry_iri,
    leading_project_iri,
    programme_iri,
    sub_activity_iri,
)
from .context import PlanContext

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
POSITION = ox.NamedNode(PREFIXES["schema"] + "position")
DERIVED = ox.NamedNode(PREFIXES["prov"] + "wasDerivedFrom")
XSD_INTEGER = ox.NamedNode(PREFIXES["xsd"] + "integer")
XSD_BOOLEAN = ox.NamedNode(PREFIXES["xsd"] + "boolean")


def kgo(name: str) -> ox.NamedNode:
    return ox.NamedNode(KGO + name)


@dataclass
class Item:
    """An activity (●) or a sub-activity (・): its text per language."""

    labels: dict[str, str] = field(default_factory=dict)
    subs: list[Item] = field(default_factory=list)


@dataclass
class Programme:
    iri: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class EntryRow:
    """The values of one row; IRIs are full, texts keyed by language (``ja``, ``en``)."""

    number: str
    policy: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    programme: Programme | None = None
    overview: dict[str, str] = field(default_factory=dict)
    activities: list[Item] = field(default_factory=list)
    leading_projects: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    relisting: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    normalisations: list[str] = field(default_factory=list)
    #: Normalisations applied to every activity and sub-activity of the row.
    item_normalisations: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    other: list[ox.Triple] = field(default_factory=list)

    def iri(self, context: PlanContext) -> str:
        return entry_iri(context.base, context.plan_slug, self.number)


def programme_iri_for(context: PlanContext, programme_id: str) -> str:
    """``kawasaki/slug`` (or a bare slug) to the programme's IRI."""
    municipality, _, slug = programme_id.rpartition("/")
    return programme_iri(context.base, municipality or context.municipality, slug)


def programme_id_of(context: PlanContext, iri: str) -> str | None:
    root = f"{context.base}{INSTANCE_ROOT}programme/"
    return iri[len(root) :] if iri.startswith(root) else None


def _texts(
    subject: ox.NamedNode, predicate: ox.NamedNode, texts: dict[str, str]
) -> list[ox.Triple]:
    return [
        ox.Triple(subject, predicate, ox.Literal(text, language=lang) if lang else ox.Literal(text))
        for lang, text in sorted(texts.items())
    ]


def _item_notes(item: ox.NamedNode, row: EntryRow) -> list[ox.Triple]:
    """An item comes from its row's source passages and gets the row's item normalisations."""
    out = [ox.Triple(item, DERIVED, ox.NamedNode(iri)) for iri in row.sources]
    out += [
        ox.Triple(item, kgo("normalisation"), ox.NamedNode(iri)) for iri in row.item_normalisations
    ]
    return out


def row_triples(row: EntryRow, context: PlanContext) -> list[ox.Triple]:
    """Every statement a row makes about its entry, activities and programme."""
    base, plan = context.base, context.plan_slug
    entry = ox.NamedNode(row.iri(context))
    out = [
        ox.Triple(entry, RDF_TYPE, kgo("PlanEntry")),
        ox.Triple(entry, kgo("inPlan"), ox.NamedNode(context.plan)),
        ox.Triple(entry, kgo("entryNumber"), ox.Literal(row.number)),
    ]
    if row.policy is not None:
        policy = context.policies[row.policy].iri
        out.append(ox.Triple(entry, kgo("underPolicy"), ox.NamedNode(policy)))
    out += _texts(entry, RDFS_LABEL, row.labels)
    if row.programme is not None:
        programme = ox.NamedNode(row.programme.iri)
        out.append(ox.Triple(entry, kgo("administrativeProgramme"), programme))
        out.append(ox.Triple(programme, RDF_TYPE, kgo("AdministrativeProgramme")))
        out += _texts(programme, RDFS_LABEL, row.programme.labels)
        out += [ox.Triple(programme, DERIVED, ox.NamedNode(iri)) for iri in row.sources]
    out += _texts(entry, kgo("overview"), row.overview)
    for i, item in enumerate(row.activities, start=1):
        activity = ox.NamedNode(activity_iri(base, plan, row.number, i))
        out += [
            ox.Triple(entry, kgo("activity"), activity),
            ox.Triple(activity, RDF_TYPE, kgo("Activity")),
            ox.Triple(activity, POSITION, ox.Literal(str(i), datatype=XSD_INTEGER)),
        ]
        out += _texts(activity, RDFS_LABEL, item.labels)
        out += _item_notes(activity, row)
        for j, sub_item in enumerate(item.subs, start=1):
            sub = ox.NamedNode(sub_activity_iri(base, plan, row.number, i, j))
            out += [
                ox.Triple(activity, kgo("subActivity"), sub),
                ox.Triple(sub, RDF_TYPE, kgo("SubActivity")),
                ox.Triple(sub, POSITION, ox.Literal(str(j), datatype=XSD_INTEGER)),
            ]
            out += _texts(sub, RDFS_LABEL, sub_item.labels)
            out += _item_notes(sub, row)
    for code in row.leading_projects:
        out.append(
            ox.Triple(
                entry, kgo("leadingProject"), ox.NamedNode(leading_project_iri(base, plan, code))
            )
        )
    flags = {f.slug: f.iri for f in context.flags}
    for slug in row.flags:
        out.append(ox.Triple(entry, kgo("flag"), ox.NamedNode(flags[slug])))
    if row.relisting:
        out.append(ox.Triple(entry, kgo("isRelisting"), ox.Literal("true", datatype=XSD_BOOLEAN)))
        for number in row.relisting:
            original = ox.NamedNode(entry_iri(base, plan, number))
            out.append(ox.Triple(entry, kgo("relistingOf"), original))
    for iri in row.departments:
        out.append(ox.Triple(entry, kgo("responsibleDepartment"), ox.NamedNode(iri)))
    for iri in row.sources:
        out.append(ox.Triple(entry, DERIVED, ox.NamedNode(iri)))
    for iri in row.normalisations:
        out.append(ox.Triple(entry, kgo("normalisation"), ox.NamedNode(iri)))
    for iri in row.external:
        out.append(ox.Triple(entry, kgo("externalSource"), ox.NamedNode(iri)))
    out += row.other
    return out
