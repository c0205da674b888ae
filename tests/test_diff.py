"""``kgraph diff``: what a change adds, removes and alters, per resource, for a reviewer."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from support.hostile import kgraph as run_kgraph

from kgraph.config import PROJECT_ROOT, Config
from kgraph.dataset import parse_sources
from kgraph.diff import diff_triples, excerpt, render_text
from kgraph.reports.labels import labels_from_quads
from kgraph.sources import shipped_sources
from kgraph.table.files import context_for, export_table, import_table, shipped_entries

BASE = "http://localhost:8000/"
ENTRY = BASE + "id/plan/kawasaki-2022/entry/"
ENTRIES = PROJECT_ROOT / "data" / "entries.ttl"


@pytest.fixture(scope="module")
def shipped():
    config = Config(base=BASE)
    return shipped_entries(config), context_for(config)


@pytest.fixture(scope="module")
def labels():
    return labels_from_quads(parse_sources(shipped_sources(BASE), BASE))


def edited_table(shipped) -> bytes:
    """The shipped table with a reviewer's typical edits."""
    triples, context = shipped
    rows = list(csv.reader(io.StringIO(export_table(triples, context, "csv").decode("utf-8-sig"))))
    col = {h: i for i, h in enumerate(rows[0])}
    r055, r056, r061 = rows[2], rows[3], rows[8]
    assert r055[col["事業No."]] == "055" and r061[col["事業No."]] == "061"
    r055[col["事業概要"]] = r055[col["事業概要"]].replace("取組を進めます。", "取組を推進します。")
    r055[col["2022～2025年度の事業内容"]] += "\n●新しい取組の検討"
    r055[col["事業内容（英語）"]] += "\n●Considering a new effort"
    r061[col["PJ"]] = ""
    rows.remove(r056)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def edited(shipped):
    return import_table(edited_table(shipped), "plan.csv", shipped[1])


def test_changes_are_told_per_resource_in_english(shipped, edited, labels):
    diff = diff_triples(shipped[0], edited, labels, "en")
    text = render_text(diff)
    assert f"plan entry 055: changed  <{ENTRY}055>" in text
    assert (
        "  overview (ja) changed: 「…強化していくための取組を［進め］ます。」 → "
        "「…強化していくための取組を［推進し］ます。」"
    ) in text
    assert f"activity 7 of plan entry 055: added  <{ENTRY}055/activity/7>" in text
    assert "  label (ja) added: 「新しい取組の検討」" in text
    assert "  position added: 「7」" in text
    assert "  activity added: Considering a new effort" in text
    assert f"plan entry 061: changed  <{ENTRY}061>" in text
    assert "  leading project removed: PJ2" in text
    assert f"plan entry 056: removed  <{ENTRY}056>" in text
    assert f"activity 1 of plan entry 056: removed  <{ENTRY}056/activity/1>" in text
    # the programme of 056 is used by no other entry, so it goes too
    assert "administrative programme Port Planning Programme: removed" in text
    counts = diff.counts()
    assert counts == {"added": 1, "removed": 4, "changed": 2}
    assert text.rstrip().endswith(
        f"7 resource(s) differ (1 added, 4 removed, 2 changed); "
        f"statements +{diff.added} −{diff.removed}"
    )


def test_changes_in_japanese(shipped, edited, labels):
    text = render_text(diff_triples(shipped[0], edited, labels, "ja"))
    assert f"事業 055: 変更  <{ENTRY}055>" in text
    assert "  事業概要 (ja) 変更: 「…" in text
    assert f"事業 055 の事業内容 7: 追加  <{ENTRY}055/activity/7>" in text
    assert "  リーディングプロジェクト 削除: PJ2" in text
    assert text.rstrip().endswith("文 +{} −{}".format(*_counts(shipped, edited)))


def _counts(shipped, edited):
    old, new = set(shipped[0]), set(edited)
    return len(new - old), len(old - new)


def test_json_keeps_iris_and_full_texts(shipped, edited, labels):
    data = diff_triples(shipped[0], edited, labels, "en").to_json()
    assert data["summary"]["changed"] == 2 and data["summary"]["added"] == 1
    entry = next(r for r in data["resources"] if r["iri"] == ENTRY + "055")
    overview = next(c for c in entry["changes"] if c["label"] == "overview" and c["lang"] == "ja")
    old, new = overview["changed"][0]
    assert old["text"].endswith("取組を進めます。") and new["text"].endswith("取組を推進します。")
    assert old["term"].startswith('"') and old["term"].endswith('"@ja')


def test_no_differences(shipped, labels):
    diff = diff_triples(shipped[0], list(reversed(shipped[0])), labels, "en")
    assert diff.empty and render_text(diff) == "No differences.\n"


def test_excerpt_shows_the_changed_middle():
    old = "あいうえおかきくけこさしすせそたちつてとなにぬねの"
    new = "あいうえおかきくけこさしすXXそたちつてとなにぬねの"
    assert excerpt(old, new, context=3) == ("…さしす［せ］そたち…", "…さしす［XX］そたち…")
    assert excerpt("short", "shirt") == ("short", "shirt")


def test_same_text_other_datatype_is_told_apart(labels):
    import pyoxigraph as ox

    s = ox.NamedNode(ENTRY + "055/activity/1")
    p = ox.NamedNode("https://schema.org/position")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    old = [ox.Triple(s, p, ox.Literal("1", datatype=ox.NamedNode(xsd + "decimal")))]
    new = [ox.Triple(s, p, ox.Literal("1", datatype=ox.NamedNode(xsd + "integer")))]
    text = render_text(diff_triples(old, new, labels, "en"))
    assert "  position changed: 「1」 (xsd:decimal) → 「1」 (xsd:integer)" in text


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def kgraph(*args: str) -> subprocess.CompletedProcess:
    return run_kgraph("--base", BASE, *args, cwd=PROJECT_ROOT)


def test_command_exit_codes_as_diff(tmp_path, shipped):
    same = kgraph("diff", str(ENTRIES), str(ENTRIES))
    assert same.returncode == 0 and same.stdout == "No differences.\n"
    table = tmp_path / "edited.csv"
    table.write_bytes(edited_table(shipped))
    changed = kgraph("diff", str(ENTRIES), str(table))
    assert changed.returncode == 1, changed.stderr
    assert f"plan entry 056: removed  <{ENTRY}056>" in changed.stdout
    missing = kgraph("diff", str(ENTRIES), str(tmp_path / "missing.ttl"))
    assert missing.returncode == 2 and "missing.ttl: no such file" in missing.stderr
    assert kgraph("diff", str(ENTRIES)).returncode == 2


def test_command_json_between_two_spreadsheets(tmp_path, shipped):
    old = tmp_path / "old.xlsx"
    old.write_bytes(export_table(*shipped, "xlsx"))
    new = tmp_path / "new.csv"
    new.write_bytes(edited_table(shipped))
    result = kgraph("diff", str(old), str(new), "--format", "json", "--lang", "ja")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    names = {r["iri"]: r["name"] for r in data["resources"]}
    assert names[ENTRY + "055"] == "事業 055"


def test_command_store_against_a_file(tmp_path, shipped):
    store = tmp_path / "store"
    assert kgraph("load", "--store", str(store)).returncode == 0
    new = tmp_path / "entries.csv"
    new.write_bytes(edited_table(shipped))
    result = kgraph("diff", "--store", str(store), str(new))
    assert result.returncode == 1, result.stderr
    assert "  leading project removed: PJ2" in result.stdout
    # only the entries graph is compared with a spreadsheet: nothing about other graphs
    assert "id/law/" not in result.stdout and "graph/plan" not in result.stdout
    assert kgraph("diff", "--store", str(store), str(ENTRIES), str(ENTRIES)).returncode == 2


def test_command_store_loaded_from_the_data_has_no_differences(tmp_path):
    """The store keeps the data as written: comparing it with the same file finds nothing."""
    store = tmp_path / "store"
    assert kgraph("load", "--store", str(store)).returncode == 0
    for path in (ENTRIES, ENTRIES.with_name("plan.ttl")):
        result = kgraph("diff", "--store", str(store), str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout == "No differences.\n"


def test_a_bad_spreadsheet_is_an_error_with_its_place(tmp_path, shipped):
    rows = list(csv.reader(io.StringIO(export_table(*shipped, "csv").decode("utf-8-sig"))))
    rows[2][6] = "PJ two"
    bad = tmp_path / "bad.csv"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    bad.write_text(out.getvalue(), encoding="utf-8")
    result = kgraph("diff", str(ENTRIES), str(bad))
    assert result.returncode == 2
    assert "sheet 'bad.csv', row 3, column G (PJ): 'PJ two'" in result.stderr


def test_files_are_not_changed_by_a_diff(tmp_path):
    before = Path(ENTRIES).read_bytes()
    kgraph("diff", str(ENTRIES), str(ENTRIES))
    assert Path(ENTRIES).read_bytes() == before
