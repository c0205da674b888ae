"""Synthetic plans for N municipalities, for measuring scale (``python -m bench.generate``).

Each synthetic municipality is made from the shipped data, so that it has the same
ontology, follows the same conventions and passes the same shapes:

* the shipped plan has one basic direction (Ⅱ) with policies 8-12 and entries
  055-075; a synthetic plan has **5 basic directions** (Ⅰ-Ⅴ), each a copy of that
  block renumbered: 5 policies per direction plus the policies its text refers to
  (**35 policies**), and 30 entries per direction - the 21 of the block and a second
  copy of its first 9 - plus the entries its text refers to (**150 transcribed
  entries**, 180 in all), with their activities, sub-activities and mentions;
* everything else the plan names (administrative programmes, organisations, laws,
  instruments, places, zones, quantities, normalisations, the source passages) is
  given once per municipality;
* every instance IRI gets the municipality's slug (``id/plan/city-00042-2022/...``,
  ``id/org/city-00042-unep``), and each municipality is one named graph,
  ``<base>graph/municipality/{slug}``; the ontology is ``<base>graph/ontology``.

Numbers that the shapes compare are renumbered consistently: direction numbers and
numerals, policy numbers and codes, entry numbers (and the number at the start of
an entry's label), and the policy and entry numbers that references state.

One municipality is built once as N-Quads text with a placeholder slug; every
municipality is then that text with the slug replaced, so generating ten million
triples is bounded by disk speed, not by Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .dataset import parse_sources
from .iris import KGO, graph_iri
from .sources import shipped_sources

PLACEHOLDER = "zzslugzz"
DIRECTIONS = 5
SHIPPED_DIRECTION = 2
NUMERALS = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
#: Transcribed policies of the shipped block, and the policies its text refers to.
BLOCK_POLICIES = (8, 9, 10, 11, 12)
REFERRED_POLICIES = (1, 13)
#: How many of the block's transcribed entries get a second copy in each direction.
SECOND_COPY = 9

_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_BLOCK_IRI = re.compile(r"/direction/|/policy/|/entry/|-direction-\d+")
_POLICY = re.compile(r"/policy/(\d+)")
_ENTRY = re.compile(r"/entry/(\d+)")


def municipality_graph(base: str, slug: str) -> str:
    return graph_iri(base, f"municipality/{slug}")


def municipality_slug(index: int) -> str:
    return f"city-{index:05d}"


@dataclass(frozen=True)
class _Block:
    """Renumbering of the shipped block as direction ``direction``, copy ``copy``."""

    direction: int
    copy: int  # 0: all entries; 1: the second copy of the first SECOND_COPY entries
    policies: dict[int, int]
    entries: dict[int, int]  # old entry number -> new, for entries of this copy


class _Renumbering:
    """Old numbers of the shipped block -> new numbers in a synthetic plan."""

    def __init__(self, transcribed: list[int], referred: list[int]) -> None:
        self.transcribed = sorted(transcribed)
        self.referred = sorted(referred)
        self.per_direction = len(self.transcribed) + SECOND_COPY

    def block(self, direction: int, copy: int) -> _Block:
        d = direction - 1
        policies = {old: d * len(BLOCK_POLICIES) + i + 1 for i, old in enumerate(BLOCK_POLICIES)}
        first_referred = DIRECTIONS * len(BLOCK_POLICIES)
        policies.update({
            old: first_referred + d * len(REFERRED_POLICIES) + i + 1
            for i, old in enumerate(REFERRED_POLICIES)
        })
        entries = {
            old: d * self.per_direction + i + 1 for i, old in enumerate(self.transcribed)
        }
        first_referred_entry = DIRECTIONS * self.per_direction
        entries.update({
            old: first_referred_entry + d * len(self.referred) + i + 1
            for i, old in enumerate(self.referred)
        })
        if copy == 1:
            for i, old in enumerate(self.transcribed[:SECOND_COPY]):
                entries[old] = d * self.per_direction + len(self.transcribed) + i + 1
        return _Block(direction, copy, policies, entries)


def _instance_iri(value: str, base: str) -> str:
    """Give an instance IRI the placeholder slug (``kawasaki`` -> slug, else a prefix)."""
    prefix = base + "id/"
    if not value.startswith(prefix):
        return value
    kind, _, rest = value[len(prefix):].partition("/")
    slugged = rest.replace("kawasaki", PLACEHOLDER) if "kawasaki" in rest else None
    return f"{prefix}{kind}/{slugged or f'{PLACEHOLDER}-{rest}'}"


def _block_iri(value: str, block: _Block, base: str) -> str:
    if not value.startswith(base + "id/"):
        return value
    value = value.replace(
        f"/direction/{SHIPPED_DIRECTION}", f"/direction/{block.direction}"
    ).replace(f"-direction-{SHIPPED_DIRECTION}", f"-direction-{block.direction}")
    value = _POLICY.sub(lambda m: f"/policy/{block.policies.get(int(m[1]), int(m[1]))}", value)
    return _ENTRY.sub(lambda m: f"/entry/{block.entries.get(int(m[1]), int(m[1])):03d}", value)


class _Rewriter:
    def __init__(self, base: str, block: _Block) -> None:
        self.base = base
        self.block = block

    def node(self, term):  # type: ignore[no-untyped-def]
        if isinstance(term, ox.NamedNode):
            return ox.NamedNode(
                _instance_iri(_block_iri(term.value, self.block, self.base), self.base)
            )
        return term

    def literal(self, predicate: str, subject: str, term):  # type: ignore[no-untyped-def]
        if not isinstance(term, ox.Literal):
            return self.node(term)
        b = self.block
        name = predicate.removeprefix(KGO)
        if name == "directionNumber":
            return ox.Literal(str(b.direction), datatype=term.datatype)
        if name == "numeral":
            return ox.Literal(NUMERALS[b.direction - 1])
        if name == "policyCode":
            _, _, kana = term.value.partition("-")
            return ox.Literal(f"{NUMERALS[b.direction - 1]}-{kana}")
        if name in ("policyNumber", "statedPolicyNumber"):
            return ox.Literal(str(b.policies[int(term.value)]), datatype=term.datatype)
        if name == "statedEntryNumber":
            return ox.Literal(str(b.entries[int(term.value)]), datatype=term.datatype)
        if name == "entryNumber":
            new = b.entries[int(term.value)]
            text = f"{new:03d}" if len(term.value) == 3 else str(new)
            return ox.Literal(text, datatype=term.datatype)
        if predicate == _LABEL.value and "/entry/" in subject and "/activity/" not in subject:
            number, sep, rest = term.value.partition(" ")
            if sep and number.isdigit():
                new = b.entries.get(int(number), int(number))
                return ox.Literal(f"{new:03d} {rest}", language=term.language)
        return term


def _template_quads(base: str) -> list[ox.Quad]:
    """One municipality's quads, in its graph, with the placeholder slug."""
    shared = {graph_iri(base, "ontology"), graph_iri(base, "dataset")}
    sources = [s for s in shipped_sources(base) if s.graph not in shared]
    triples = [q.triple for q in parse_sources(sources, base)]
    entry_number = ox.NamedNode(KGO + "entryNumber")
    described = ox.NamedNode(KGO + "describedElsewhere")
    referred_subjects = {t.subject for t in triples if t.predicate == described}
    transcribed, referred = [], []
    for t in triples:
        if t.predicate == entry_number:
            (referred if t.subject in referred_subjects else transcribed).append(
                int(t.object.value)
            )
    numbers = _Renumbering(transcribed, referred)
    first_copy = set(sorted(transcribed)[:SECOND_COPY])
    graph = ox.NamedNode(municipality_graph(base, PLACEHOLDER))
    out: set[ox.Quad] = set()
    for direction in range(1, DIRECTIONS + 1):
        for copy in (0, 1):
            rewriter = _Rewriter(base, numbers.block(direction, copy))
            for t in triples:
                subject = t.subject.value
                in_block = bool(_BLOCK_IRI.search(subject))
                if copy == 1:
                    # only the copied entries, their activities and what they mention
                    entry = _ENTRY.search(subject)
                    if entry is None or int(entry[1]) not in first_copy:
                        continue
                elif not in_block and direction != SHIPPED_DIRECTION:
                    continue  # plan-wide resources: once, as the shipped direction
                out.add(ox.Quad(
                    rewriter.node(t.subject),
                    t.predicate,
                    rewriter.literal(t.predicate.value, subject, t.object),
                    graph,
                ))
    return sorted(out, key=str)


def template(base: str) -> str:
    """One municipality as N-Quads, with :data:`PLACEHOLDER` where its slug goes."""
    data = ox.serialize(_template_quads(base), format=ox.RdfFormat.N_QUADS)
    return (data or b"").decode("utf-8")


def ontology_nquads(base: str) -> str:
    sources = [s for s in shipped_sources(base) if s.graph == graph_iri(base, "ontology")]
    data = ox.serialize(parse_sources(sources, base), format=ox.RdfFormat.N_QUADS)
    return (data or b"").decode("utf-8")


@dataclass
class Generated:
    """What :func:`generate` wrote."""

    files: list[Path]
    municipalities: int
    quads: int
    quads_per_municipality: int
    ontology_quads: int


def municipalities_for(triples: int, per_municipality: int, ontology: int) -> int:
    """How many municipalities make about ``triples`` quads (at least one)."""
    return max(1, round((triples - ontology) / per_municipality))


def generate(
    out: Path, triples: int, base: str, per_file: int = 10, start: int = 1
) -> Generated:
    """Write ``ontology.nq`` and ``municipalities-NNNN.nq`` files of about ``triples`` quads."""
    out.mkdir(parents=True, exist_ok=True)
    text = template(base)
    per = text.count("\n")
    ontology = ontology_nquads(base)
    onto_count = ontology.count("\n")
    count = municipalities_for(triples, per, onto_count)
    files = [out / "ontology.nq"]
    files[0].write_text(ontology, encoding="utf-8")
    for first in range(0, count, per_file):
        path = out / f"municipalities-{first // per_file:04d}.nq"
        with path.open("w", encoding="utf-8") as f:
            for i in range(first, min(first + per_file, count)):
                f.write(text.replace(PLACEHOLDER, municipality_slug(start + i)))
        files.append(path)
    return Generated(files, count, onto_count + count * per, per, onto_count)


def municipality_quads(base: str, index: int) -> Iterator[ox.Quad]:
    """The quads of one synthetic municipality (for tests and small runs)."""
    text = template(base).replace(PLACEHOLDER, municipality_slug(index))
    return iter(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
