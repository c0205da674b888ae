"""What the plan table refers to but does not hold: the plan, its policies, leading
projects, flag columns, departments, source passages and normalisations.

These live in the other graphs (``data/plan.ttl``, ``data/organisations.ttl``, …).
Export reads their names from here; import checks every reference against them,
so that a typing mistake in a spreadsheet is refused rather than published as a
new, dangling IRI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..iris import INSTANCE_ROOT, KGO, PREFIXES

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS_PREF = PREFIXES["skos"] + "prefLabel"
SKOS_ALT = PREFIXES["skos"] + "altLabel"
SKOS_HIDDEN = PREFIXES["skos"] + "hiddenLabel"
SKOS_NOTATION = PREFIXES["skos"] + "notation"
POSITION = PREFIXES["schema"] + "position"
HEADER = KGO + "columnHeaderAsExtracted"
ORG = PREFIXES["org"]


@dataclass
class Named:
    """A resource the table names: its IRI and labels per language."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    other_labels: list[str] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.labels.get("") or ""


@dataclass
class Policy(Named):
    number: int = 0
    code: str = ""


@dataclass
class Flag(Named):
    slug: str = ""
    position: int | None = None


@dataclass
class PlanContext:
    """The resources outside the entries graph that the table refers to."""

    base: str
    plan: str
    plan_slug: str
    policies: dict[int, Policy]
    leading_projects: dict[str, Named]
    flags: list[Flag]
    entries_elsewhere: dict[str, str]
    organisations: dict[str, Named]
    passages: set[str]
    normalisations: set[str]
    #: The implementation period's first and last fiscal year, as the plan gives them.
    period: tuple[str, str] | None = None

    @property
    def municipality(self) -> str:
        """The municipality slug programmes are minted under: the plan slug up to '-'."""
        return self.plan_slug.split("-", 1)[0]

    @property
    def source_root(self) -> str:
        return f"{self.base}{INSTANCE_ROOT}source/"

    @property
    def normalisation_root(self) -> str:
        return f"{self.base}{INSTANCE_ROOT}normalisation/"

    def organisation_by_name(self, text: str) -> str | None:
        """The IRI of the organisation with this label (any language), if just one has it."""
        found = {
            o.iri
            for o in self.organisations.values()
            if text in o.labels.values() or text in o.other_labels
        }
        return found.pop() if len(found) == 1 else None

    def organisation_cell(self, iri: str) -> str:
        """How a department is written in the table: its Japanese name when unambiguous."""
        named = self.organisations.get(iri)
        if named is not None:
            name = named.label("ja")
            if name and self.organisation_by_name(name) == iri:
                return name
        return relative(self.base, iri)


def relative(base: str, iri: str) -> str:
    """An IRI under the base as its relative path (``id/org/…``), others unchanged."""
    return iri[len(base) :] if iri.startswith(base) else iri


class ContextError(ValueError):
    """The other graphs lack what the table needs (for example, no plan)."""


def build_context(quads: Iterable[ox.Quad | ox.Triple], base: str) -> PlanContext:
    """The context from the dataset's graphs other than the entries graph."""
    index: dict[str, dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]]] = defaultdict(
        lambda: defaultdict(list)
    )
    types: dict[str, set[str]] = defaultdict(set)
    for quad in quads:
        if not isinstance(quad.subject, ox.NamedNode):
            continue
        s, p = quad.subject.value, quad.predicate.value
        if p == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            types[quad.object.value].add(s)
        else:
            index[s][p].append(quad.object)

    plans = sorted(types.get(KGO + "ClimateActionPlan", set()))
    plan_root = f"{base}{INSTANCE_ROOT}plan/"
    plans = [p for p in plans if p.startswith(plan_root) and "/" not in p[len(plan_root) :]]
    if len(plans) != 1:
        found = ", ".join(plans) or "none"
        raise ContextError(
            f"the dataset must hold exactly one kgo:ClimateActionPlan (found: {found})"
        )
    plan = plans[0]

    def named(iri: str, cls=Named, **extra) -> Named:
        labels: dict[str, str] = {}
        others: list[str] = []
        for predicate in (SKOS_PREF, RDFS_LABEL):
            for term in index[iri].get(predicate, []):
                if isinstance(term, ox.Literal):
                    labels.setdefault(term.language or "", term.value)
        for predicate in (SKOS_ALT, SKOS_HIDDEN, SKOS_PREF, RDFS_LABEL, SKOS_NOTATION, HEADER):
            for term in index[iri].get(predicate, []):
                if isinstance(term, ox.Literal) and term.value not in others:
                    others.append(term.value)
        return cls(iri, labels, others, **extra)

    def integer(iri: str, predicate: str) -> int | None:
        for term in index[iri].get(predicate, []):
            if isinstance(term, ox.Literal):
                try:
                    return int(term.value)
                except ValueError:
                    return None
        return None

    policies: dict[int, Policy] = {}
    for iri in sorted(types.get(KGO + "Policy", set())):
        if not iri.startswith(plan + "/policy/"):
            continue
        number = integer(iri, KGO + "policyNumber")
        if number is None:
            tail = iri[len(plan + "/policy/") :]
            number = int(tail) if tail.isdigit() else None
        if number is None:
            continue
        codes = [
            t.value for t in index[iri].get(KGO + "policyCode", []) if isinstance(t, ox.Literal)
        ]
        policies[number] = named(iri, Policy, number=number, code=codes[0] if codes else "")

    leading = {}
    for iri in sorted(types.get(KGO + "LeadingProject", set())):
        if iri.startswith(plan + "/leading-project/"):
            leading[iri.rsplit("/", 1)[-1]] = named(iri)

    flags = []
    for iri in sorted(types.get(KGO + "TableFlag", set())):
        if iri.startswith(plan + "/flag/"):
            flags.append(
                named(iri, Flag, slug=iri.rsplit("/", 1)[-1], position=integer(iri, POSITION))
            )
    flags.sort(key=lambda f: (f.position is None, f.position or 0, f.slug))

    entries = {}
    for iri in sorted(types.get(KGO + "PlanEntry", set())):
        numbers = [
            t.value for t in index[iri].get(KGO + "entryNumber", []) if isinstance(t, ox.Literal)
        ]
        entries[iri] = numbers[0] if numbers else iri.rsplit("/", 1)[-1]

    organisations = {}
    for cls in (ORG + "OrganizationalUnit", ORG + "Organization", ORG + "FormalOrganization"):
        for iri in sorted(types.get(cls, set())):
            organisations.setdefault(iri, named(iri))

    period = None
    for term in index[plan].get(KGO + "implementationPeriod", []):
        if isinstance(term, ox.NamedNode):
            start = index[term.value].get(KGO + "startFiscalYear", [])
            end = index[term.value].get(KGO + "endFiscalYear", [])
            if start and end:
                period = (start[0].value, end[0].value)

    return PlanContext(
        base=base,
        plan=plan,
        plan_slug=plan[len(plan_root) :],
        policies=dict(sorted(policies.items())),
        leading_projects=leading,
        flags=flags,
        entries_elsewhere=entries,
        organisations=organisations,
        passages=set(types.get(KGO + "SourcePassage", set())),
        normalisations=set(types.get(KGO + "Normalisation", set())),
        period=period,
    )
