"""The validation gate end to end, through the real ``kgraph load`` command.

The shipped data is loaded into an on-disk store first.  Then copies of it, broken in
the ways people break data (a required property dropped, an entry number duplicated, an
entry attached to the wrong policy, a date mistyped, a number given the wrong datatype or
a value below 1, a Turtle syntax error), must be refused with a message that names the resource, and
the store must still serve the snapshot it served before, quad for quad.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgraph.config import DEFAULT_BASE, Config
from kgraph.dataset import parse_source
from kgraph.iris import KGO, KGS
from kgraph.service import from_files, validate
from kgraph.snapshots import SnapshotStore
from kgraph.sources import Source, shipped_sources

BASE = DEFAULT_BASE
PLAN = f"{BASE}id/plan/kawasaki-2022"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The entries with a row in the plan's table (事業No.055–075).
TABLE_ENTRIES = [f"{PLAN}/entry/{n:03d}" for n in range(55, 76)]

Triples = list[ox.Triple]


def kgraph_command() -> list[str]:
    """The installed console script (the real CLI), next to this interpreter."""
    script = Path(sys.executable).with_name("kgraph")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kgraph.cli"]


def run_kgraph(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*kgraph_command(), *args], capture_output=True, text=True, env=env, timeout=600
    )


def snapshot(store_dir: Path) -> tuple[str, set[str]]:
    """What the store serves: the ``current`` link's target and all its quads."""
    target = os.readlink(store_dir / "current")
    store = SnapshotStore(store_dir).open_read_only()
    try:
        return target, {str(q) for q in store}
    finally:
        del store


@pytest.fixture(scope="module")
def shipped() -> list[Source]:
    return shipped_sources(BASE)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return {**os.environ, "KGRAPH_BASE": BASE, "KGRAPH_CACHE_DIR": str(cache)}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, shipped, env):
    """A store holding the shipped data (the CLI's default), its snapshot and the load's output."""
    store_dir = tmp_path_factory.mktemp("store")
    done = run_kgraph("load", "--store", str(store_dir), env=env)
    assert done.returncode == 0, done.stderr
    return store_dir, snapshot(store_dir), done


def test_shipped_data_loads_with_the_expected_warnings_only(loaded, shipped, env):
    _, _, done = loaded
    assert "(21 warning(s))" in done.stdout
    # The report the load computed (cached by content hash, per unit), read back in full.
    report = validate(Config(base=BASE, cache_dir=env["KGRAPH_CACHE_DIR"]),
                      from_files(Config(base=BASE), shipped)).report
    assert report.count("Violation") == 0
    warnings = sorted((r.focus, r.path, r.shape) for r in report.results if r.severity == "Warning")
    assert warnings == [
        (entry, f"{KGO}responsibleDepartment", f"{KGS}TranscribedEntry-responsibleDepartment")
        for entry in TABLE_ENTRIES
    ]
    for r in report.results:
        assert r.shape.startswith(KGS), r
        assert r.messages.get("ja") and r.messages.get("en"), r


# ---------------------------------------------------------------------------
# Ways to break the data: each edits the triples of one file and says which
# resources the refusal must name (and a phrase of the English message).
# ---------------------------------------------------------------------------


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _subjects(all_triples: Triples, predicate: str, obj: ox.Term | None = None) -> list[str]:
    return [
        t.subject.value
        for t in all_triples
        if t.predicate.value == predicate and (obj is None or t.object == obj)
    ]


def _replace(triples: Triples, subject: str, predicate: str, new: ox.Term | None) -> Triples:
    """Replace (or with ``None`` drop) every value of one property of one subject."""
    kept = [
        t
        for t in triples
        if not (t.subject == _iri(subject) and t.predicate.value == predicate)
    ]
    if len(kept) == len(triples):
        return triples
    if new is not None:
        kept.append(ox.Triple(_iri(subject), _iri(predicate), new))
    return kept


def drop_programme(all_triples: Triples) -> tuple[Callable[[Triples], Triples], list[str], str]:
    entry = f"{PLAN}/entry/055"
    edit = lambda ts: _replace(ts, entry, f"{KGO}administrativeProgramme", None)  # noqa: E731
    return edit, [entry], "administrative programme"


def duplicate_entry_number(all_triples):
    entry = f"{PLAN}/entry/056"
    edit = lambda ts: _replace(ts, entry, f"{KGO}entryNumber", ox.Literal("055"))  # noqa: E731
    return edit, [f"{PLAN}/entry/055", entry], "is also used by"


def wrong_policy(all_triples):
    entry = f"{PLAN}/entry/060"
    [scheme] = _subjects(all_triples, f"{KGO}relatedEntry", _iri(entry))
    edit = lambda ts: _replace(ts, entry, f"{KGO}underPolicy", _iri(f"{PLAN}/policy/10"))  # noqa: E731
    return edit, [scheme, entry], "is not under the related policy"


def mistyped_date(all_triples):
    [designation] = _subjects(all_triples, f"{KGO}designationDate")
    bad = ox.Literal("2021-13", datatype=_iri(f"{XSD}gYearMonth"))
    edit = lambda ts: _replace(ts, designation, f"{KGO}designationDate", bad)  # noqa: E731
    return edit, [designation], "2021-13"


def wrong_datatype(all_triples):
    policy = f"{PLAN}/policy/8"
    number = ox.Literal("8")  # a string where an xsd:integer belongs
    edit = lambda ts: _replace(ts, policy, f"{KGO}policyNumber", number)  # noqa: E731
    return edit, [policy], "is an xsd:integer of at least 1"


def number_below_one(all_triples):
    policy = f"{PLAN}/policy/8"
    number = ox.Literal("0", datatype=_iri(f"{XSD}integer"))
    edit = lambda ts: _replace(ts, policy, f"{KGO}policyNumber", number)  # noqa: E731
    return edit, [policy], "is an xsd:integer of at least 1"


BREAKAGES = [
    drop_programme,
    duplicate_entry_number,
    wrong_policy,
    mistyped_date,
    wrong_datatype,
    number_below_one,
]


def copy_name(folder: Path, source: Source) -> Path:
    """The copy's file name, whose stem names the same graph as the original's."""
    return folder / (source.graph.rsplit("/", 1)[-1] + source.path.suffix)


def broken_copy(folder: Path, shipped: list[Source], edit) -> list[str]:
    """Copies of the shipped files; a file whose triples ``edit`` changed is rewritten."""
    folder.mkdir()
    files, changed = [], 0
    for source in shipped:
        target = copy_name(folder, source)
        triples = [q.triple for q in parse_source(source, BASE)]
        edited = edit(triples)
        if edited is triples:
            shutil.copyfile(source.path, target)
        else:
            target.write_bytes(ox.serialize(edited, format=ox.RdfFormat.TURTLE))
            changed += 1
        files.append(str(target))
    assert changed == 1, "the breakage must change exactly one file"
    return files


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.__name__)
def test_broken_data_is_refused_and_the_store_is_unchanged(
    breakage, loaded, shipped, env, tmp_path
):
    store_dir, before, _ = loaded
    all_triples = [q.triple for s in shipped for q in parse_source(s, BASE)]
    edit, named, phrase = breakage(all_triples)
    files = broken_copy(tmp_path / "data", shipped, edit)

    done = run_kgraph("load", "--store", str(store_dir), *files, env=env)

    assert done.returncode == 1, done.stderr
    assert "violation" in done.stderr
    for iri in named:
        assert iri in done.stderr
    assert phrase in done.stderr
    assert "nothing was changed" in done.stderr
    assert snapshot(store_dir) == before


def test_syntax_error_is_refused_with_file_and_line_and_the_store_is_unchanged(
    loaded, shipped, env, tmp_path
):
    store_dir, before, _ = loaded
    folder = tmp_path / "data"
    folder.mkdir()
    files = []
    for source in shipped:
        target = copy_name(folder, source)
        shutil.copyfile(source.path, target)
        files.append(str(target))
    broken = folder / "plan.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append("<id/plan/kawasaki-2022> kgo:inPlan .\n")
    broken.write_text("".join(lines), encoding="utf-8")

    done = run_kgraph("load", "--store", str(store_dir), *files, env=env)

    assert done.returncode == 2, done.stderr
    assert f"{broken}:{len(lines)}" in done.stderr
    assert snapshot(store_dir) == before
