"""``/plan``: a picture of the plan — direction → policies → entries — drawn as SVG.

The structure is read from the served store with SPARQL, laid out here (plain
arithmetic: one column per level, one row per entry) and drawn by a Jinja2 template,
which escapes every text.  Each box links to its resource page; each entry shows its
leading project, the flag columns its row is marked in, and the entry it re-lists.
The same content follows as a table for screen readers and for copying.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response

from ...iris import PREFIXES
from ..http.language import get_lang, t
from ..http.pages import html_page
from ..state import current_state
from .labels import Labeller
from .linkeddata import local_href

bp = Blueprint("plan_page", __name__)

STRUCTURE_QUERY = """
SELECT ?plan ?direction ?directionNumber ?numeral ?policy ?policyNumber ?policyCode
       ?policyOriginal ?entry ?entryNumber ?programme
WHERE {
  ?direction a kgo:BasicDirection ; kgo:directionNumber ?directionNumber .
  OPTIONAL { ?direction kgo:inPlan ?plan }
  OPTIONAL { ?direction kgo:numeral ?numeral }
  ?policy a kgo:Policy ; kgo:underDirection ?direction ; kgo:policyNumber ?policyNumber .
  OPTIONAL { ?policy kgo:policyCode ?policyCode }
  OPTIONAL { ?policy kgo:relistingOf ?policyOriginal }
  OPTIONAL {
    ?entry kgo:underPolicy ?policy ; kgo:entryNumber ?entryNumber .
    FILTER NOT EXISTS { ?entry kgo:describedElsewhere true }
    OPTIONAL { ?entry kgo:administrativeProgramme ?programme }
  }
}
ORDER BY ?directionNumber ?policyNumber ?entryNumber
"""

MARKS_QUERY = """
SELECT ?entry ?project ?projectCode ?flag ?original ?originalNumber
WHERE {
  ?entry a kgo:PlanEntry .
  FILTER NOT EXISTS { ?entry kgo:describedElsewhere true }
  {
    ?entry kgo:leadingProject ?project .
    OPTIONAL { ?project skos:notation ?projectCode }
  } UNION {
    ?entry kgo:flag ?flag .
  } UNION {
    ?entry kgo:relistingOf ?original .
    OPTIONAL { ?original kgo:entryNumber ?originalNumber }
  }
}
"""

SHORT_LABEL = ox.NamedNode(PREFIXES["skos"] + "prefLabel")

# Geometry (px).
MARGIN = 16
HEADER = 34
DIRECTION_X, DIRECTION_W = MARGIN, 176
POLICY_X, POLICY_W = DIRECTION_X + DIRECTION_W + 40, 250
ENTRY_X, ENTRY_W = POLICY_X + POLICY_W + 40, 370
BADGE_X = ENTRY_X + ENTRY_W + 14
ORIGINAL_X, ORIGINAL_W = BADGE_X + 190, 180
WIDTH = ORIGINAL_X + ORIGINAL_W + MARGIN
LINE = 17
PAD = 8
ENTRY_GAP = 8
GROUP_GAP = 22
FONT = 13
SMALL = 11


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: full-width characters 1 em, others about 0.56 em."""
    return sum(
        size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text
    )


def wrap(text: str, width: float, size: float = FONT, max_lines: int = 4) -> list[str]:
    """Break text into lines that fit ``width``: at spaces when there are any, else anywhere."""
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current}{joiner}{word}" if current else word
        if text_width(candidate, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


@dataclass
class Box:
    """A rectangle with lines of text, linking to a resource page."""

    x: float
    y: float
    w: float
    h: float
    href: str | None
    title: str
    lines: list[str]
    kind: str
    code: str = ""

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2


@dataclass
class Badge:
    x: float
    y: float
    w: float
    text: str
    kind: str
    href: str | None
    title: str


@dataclass
class EntryRow:
    number: str
    box: Box
    programme: str
    projects: list[tuple[str, str | None]] = field(default_factory=list)
    flags: list[tuple[str, str | None]] = field(default_factory=list)
    originals: list[tuple[str, str | None]] = field(default_factory=list)
    badges: list[Badge] = field(default_factory=list)
    original_boxes: list[Box] = field(default_factory=list)


@dataclass
class PolicyGroup:
    number: int
    code: str
    label: str
    box: Box
    entries: list[EntryRow] = field(default_factory=list)
    original: Box | None = None


@dataclass
class Picture:
    width: float
    height: float
    direction: Box | None
    plan_label: str
    groups: list[PolicyGroup]

    @property
    def entry_count(self) -> int:
        return sum(len(g.entries) for g in self.groups)


def build_picture(store: ox.Store, lang: str, href=local_href) -> Picture:
    """Read the structure from the store and lay it out."""
    labeller = Labeller(store)
    rows = list(store.query(STRUCTURE_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True))
    marks = store.query(MARKS_QUERY, prefixes=PREFIXES, use_default_graph_as_union=True)
    projects: dict[str, dict[str, str]] = {}
    flags: dict[str, dict[str, str]] = {}
    originals: dict[str, dict[str, str]] = {}
    for m in marks:
        entry = m["entry"].value
        if m["project"] is not None:
            code = m["projectCode"].value if m["projectCode"] else labeller.label(
                m["project"].value, lang)
            projects.setdefault(entry, {})[m["project"].value] = code
        if m["flag"] is not None:
            flags.setdefault(entry, {})[m["flag"].value] = _short_label(
                store, labeller, m["flag"].value, lang)
        if m["original"] is not None:
            number = m["originalNumber"].value if m["originalNumber"] else ""
            originals.setdefault(entry, {})[m["original"].value] = number

    direction_iri = rows[0]["direction"].value if rows else None
    plan_iri = rows[0]["plan"].value if rows and rows[0]["plan"] else None
    groups: list[PolicyGroup] = []
    by_policy: dict[str, PolicyGroup] = {}
    y = MARGIN + HEADER
    for row in rows:
        if row["direction"].value != direction_iri:
            continue  # one direction per picture (the data holds one)
        policy = row["policy"].value
        group = by_policy.get(policy)
        if group is None:
            if groups:
                y = _close_group(groups[-1]) + GROUP_GAP
            number = int(row["policyNumber"].value)
            code = row["policyCode"].value if row["policyCode"] else str(number)
            label = labeller.label(policy, lang)
            lines = [f"{code}  {_policy_no(number, lang)}",
                     *wrap(label, POLICY_W - 2 * PAD, max_lines=6)]
            box = Box(POLICY_X, y, POLICY_W, PAD * 2 + LINE * len(lines), href(policy),
                      f"{code} {label}", lines, "policy", code)
            group = by_policy[policy] = PolicyGroup(number, code, label, box)
            if row["policyOriginal"] is not None:
                original = row["policyOriginal"].value
                group.original = Box(0, 0, POLICY_W, LINE + PAD, href(original),
                                     labeller.label(original, lang), [], "original")
            groups.append(group)
            entry_y = y
        else:
            entry_y = group.entries[-1].box.y + group.entries[-1].box.h + ENTRY_GAP
        if row["entry"] is None:
            continue
        iri = row["entry"].value
        number = row["entryNumber"].value
        programme = labeller.label(row["programme"].value, lang) if row["programme"] \
            else labeller.label(iri, lang)
        lines = wrap(f"{number}  {programme}", ENTRY_W - 2 * PAD, max_lines=3)
        box = Box(ENTRY_X, entry_y, ENTRY_W, PAD * 2 + LINE * len(lines), href(iri),
                  f"{number} {programme}", lines, "entry", number)
        entry_row = EntryRow(
            number, box, programme,
            projects=[(code, href(p)) for p, code in sorted(projects.get(iri, {}).items())],
            flags=[(name, href(f)) for f, name in sorted(flags.get(iri, {}).items())],
            originals=[(n, href(o)) for o, n in sorted(originals.get(iri, {}).items())],
        )
        _place_marks(entry_row, lang)
        group.entries.append(entry_row)
    bottom = _close_group(groups[-1]) if groups else y
    direction = None
    if direction_iri is not None:
        numeral = rows[0]["numeral"].value if rows[0]["numeral"] else ""
        label = labeller.label(direction_iri, lang)
        lines = [_direction_no(numeral, lang), *wrap(label, DIRECTION_W - 2 * PAD, max_lines=8)]
        height = max(PAD * 2 + LINE * len(lines), bottom - (MARGIN + HEADER))
        direction = Box(DIRECTION_X, MARGIN + HEADER, DIRECTION_W, height, href(direction_iri),
                        f"{numeral} {label}", lines, "direction", numeral)
        bottom = max(bottom, direction.y + direction.h)
    plan_label = labeller.label(plan_iri, lang) if plan_iri else ""
    return Picture(WIDTH, bottom + MARGIN, direction, plan_label, groups)


def _close_group(group: PolicyGroup) -> float:
    """Give a policy box and its entries the same height; return the group's bottom."""
    box = group.box
    if group.original is not None:
        box.lines.append("")  # room for the re-listing link drawn inside the box
        box.h += LINE
    entries_bottom = (group.entries[-1].box.y + group.entries[-1].box.h) if group.entries \
        else box.y + box.h
    bottom = max(box.y + box.h, entries_bottom)
    box.h = bottom - box.y
    if group.original is not None:
        group.original.x = box.x + PAD
        group.original.y = box.y + box.h - LINE - PAD
        group.original.w = box.w - 2 * PAD
        group.original.h = LINE + 2
    return bottom


def _place_marks(row: EntryRow, lang: str) -> None:
    x = BADGE_X
    y = row.box.y + PAD
    for code, link in row.projects:
        w = text_width(code, SMALL) + 14
        row.badges.append(Badge(x, y, w, code, "pj", link, code))
        x += w + 6
    for name, link in row.flags:
        w = text_width(f"● {name}", SMALL) + 14
        row.badges.append(Badge(x, y, w, f"● {name}", "flag", link, name))
        x += w + 6
    oy = row.box.y
    for number, link in row.originals:
        text = _entry_no(number, lang) if number else "?"
        title = text
        lines = [text]
        box = Box(ORIGINAL_X, oy, ORIGINAL_W, min(row.box.h, PAD * 2 + LINE), link, title,
                  lines, "original", number)
        row.original_boxes.append(box)
        oy += box.h + 4


def _short_label(store: ox.Store, labeller: Labeller, iri: str, lang: str) -> str:
    """A flag column's short name (skos:prefLabel) rather than its long rdfs:label."""
    from .labels import pick

    literals = [q.object for q in store.quads_for_pattern(ox.NamedNode(iri), SHORT_LABEL, None)
                if isinstance(q.object, ox.Literal)]
    chosen = pick(literals, lang)
    return chosen.value if chosen is not None else labeller.label(iri, lang)


def _policy_no(number: int, lang: str) -> str:
    return t("plan.policy_no", lang, n=number)


def _entry_no(number: str, lang: str) -> str:
    return t("plan.entry_no", lang, n=number)


def _direction_no(numeral: str, lang: str) -> str:
    return t("plan.direction_no", lang, n=numeral)


@bp.get("/plan")
def plan() -> Response:
    lang = get_lang()
    picture = build_picture(current_state().reader(), lang)
    return html_page(
        "frontdoor/plan.html",
        picture=picture,
        columns=[
            (DIRECTION_X, t("plan.col.direction")),
            (POLICY_X, t("plan.col.policy")),
            (ENTRY_X, t("plan.col.entry")),
            (BADGE_X, t("plan.col.marks")),
            (ORIGINAL_X, t("plan.col.relisting")),
        ],
        line=LINE,
        pad=PAD,
    )
