"""Every example query in queries/ against the shipped data, checked against answers
read off the source text (/work/shared/source/000_92204f952bfb02bb.txt, copied into
source/).  The expected values below were written by reading the source, not by
running the queries.  IRIs are compared relative to the configured base.
"""

from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest
from source_facts import ACTIVITIES, ECO_MACHI, ENTRIES, ENTRY_LINES, PJ2, POLICIES, RELISTED

from kgraph.dataset import parse_sources
from kgraph.examples import ExampleError, find_example, load_examples, parse_example
from kgraph.iris import KGO, PREFIXES
from kgraph.snapshots import SnapshotStore
from kgraph.sources import shipped_sources

BASE = "http://kgraph.test/"
PLAN = "id/plan/kawasaki-2022/"

# -- running the examples ---------------------------------------------------------------


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    """The shipped sources, parsed (validation is the gate's tests' business)."""
    return parse_sources(shipped_sources(BASE), BASE)


@pytest.fixture(scope="module")
def store(quads) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(quads)
    return store


def value(term: object) -> object:
    """A result term as a plain value: IRIs under the base relative to it, numbers as int."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        iri = term.value
        return iri[len(BASE):] if iri.startswith(BASE) else iri
    if isinstance(term, ox.Literal):
        if term.datatype.value.endswith("#integer"):
            return int(term.value)
        if term.datatype.value.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return str(term)


def run(store: ox.Store, name: str) -> list[dict[str, object]]:
    results = store.query(
        find_example(name).text, prefixes=PREFIXES, use_default_graph_as_union=True
    )
    names = [v.value for v in results.variables]
    return [{n: value(row[n]) for n in names} for row in results]


def numbers(text: object) -> set[str]:
    return set(str(text).split()) if text else set()


def entry(number: str) -> str:
    return f"{PLAN}entry/{number}"


# -- the catalogue itself ---------------------------------------------------------------


def test_catalogue_has_at_least_15_bilingual_examples() -> None:
    examples = load_examples()
    assert len(examples) >= 15
    assert len({e.name for e in examples}) == len(examples)
    for example in examples:
        for lang in ("ja", "en"):
            assert example.title(lang) and example.description(lang), example.name
        assert example.titles["ja"] != example.titles["en"], example.name


def test_every_example_parses_as_sparql() -> None:
    empty = ox.Store()
    for example in load_examples():
        list(empty.query(example.text, prefixes=PREFIXES))  # raises SyntaxError if broken


def test_missing_header_is_reported_with_the_file(tmp_path) -> None:
    bad = tmp_path / "no-english.rq"
    bad.write_text("# title@ja: 題\n# description@ja: 説明\n# description@en: d\nASK {}\n")
    with pytest.raises(ExampleError, match=r"no-english\.rq: missing header '# title@en"):
        parse_example(bad)


def test_examples_are_found_with_or_without_their_number() -> None:
    assert find_example("02-entries-per-policy").name == "02-entries-per-policy"
    assert find_example("entries-per-policy").name == "02-entries-per-policy"
    with pytest.raises(KeyError, match="no example called 'nope'"):
        find_example("nope")


def test_cli_lists_and_runs_examples(quads, tmp_path) -> None:
    snapshots = tmp_path / "store"
    SnapshotStore(snapshots).publish_quads(quads)
    listed = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "query", "--list-examples"],
        capture_output=True, text=True, check=True,
    )
    assert "16-keyword-search-ja\t" in listed.stdout
    assert "施策ごとの事業一覧" in listed.stdout and "Entries per policy" in listed.stdout
    ran = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "--base", BASE, "query", "--store", str(snapshots),
         "--example", "keyword-search-ja", "--format", "csv"],
        capture_output=True, text=True, check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0] == "entryNumber,entry,where,text"
    assert {line.split(",")[0] for line in ran.stdout.splitlines()[1:]} == {"055"}
    unknown = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "query", "--example", "nope"],
        capture_output=True, text=True, check=False,
    )
    assert unknown.returncode == 2
    assert "no example called 'nope'" in unknown.stderr


# -- each example's answers -------------------------------------------------------------


def test_01_plan_structure(store) -> None:
    rows = run(store, "plan-structure")
    assert [r["policyNumber"] for r in rows] == [8, 9, 10, 11, 12]
    for row in rows:
        number = row["policyNumber"]
        code, heading = POLICIES[number]
        mine = [e for e, (p, _) in ENTRIES.items() if p == number]
        assert row["direction"] == f"{PLAN}direction/2"
        assert row["numeral"] == "Ⅱ"
        assert row["policyCode"] == code
        assert row["policyLabel"] == heading
        assert row["entries"] == len(mine)
        assert row["activities"] == sum(ACTIVITIES[e][0] for e in mine)
        assert row["subActivities"] == sum(ACTIVITIES[e][1] for e in mine)
    assert sum(r["activities"] for r in rows) == 40
    assert sum(r["subActivities"] for r in rows) == 18


def test_02_entries_per_policy(store) -> None:
    rows = run(store, "entries-per-policy")
    assert [r["entryNumber"] for r in rows] == sorted(ENTRIES)
    for row in rows:
        policy, programme = ENTRIES[row["entryNumber"]]
        assert row["policy"] == f"{PLAN}policy/{policy}"
        assert row["policyCode"] == POLICIES[policy][0]
        assert row["programmeJa"] == programme
        assert row["programmeEn"], row  # every programme has an English label
        assert row["entry"] == entry(row["entryNumber"])


def test_03_entry_activities(store) -> None:
    rows = run(store, "entry-activities")
    got = [(r["activityPosition"], r["activityText"], r["subPosition"], r["subText"]) for r in rows]
    assert got == [
        (1, "環境規制のワンストップ窓口の構築による事業者支援の実施",
         1, "ワンストップ窓口の構築及び活用による事業者支援の実施"),
        (2, "各法・条例の特例制度の活用及び拡充による事業者支援の実施",
         1, "特例制度の活用及び拡充による事業者支援の実施"),
        (3, "グリーンイノベーションの創出に向けた研究会等の開催", None, None),
        (4, "グリーンイノベーションに関する情報発信", None, None),
    ]
    assert rows[0]["activity"] == f"{entry('062')}/activity/1"
    assert rows[1]["sub"] == f"{entry('062')}/activity/2/sub/1"


def test_04_entries_by_flag(store) -> None:
    rows = run(store, "entries-by-flag")
    by_entries = {frozenset(numbers(r["entryNumbers"])): r for r in rows}
    assert set(by_entries) == {frozenset(ECO_MACHI), frozenset()}
    eco = by_entries[frozenset(ECO_MACHI)]
    assert eco["count"] == 6
    # the column's header as extracted: the garbled forms in the source (lines 15, 20, 45)
    assert set(eco["headersAsExtracted"].split(" / ")) == {"イコまち", "まち", "イ ま ち"}
    assert eco["confidence"] is not None
    adaptation = by_entries[frozenset()]
    assert adaptation["count"] == 0
    assert set(adaptation["headersAsExtracted"].split(" / ")) == {"適応", "適 応"}


def test_05_entries_by_leading_project(store) -> None:
    rows = run(store, "entries-by-leading-project")
    assert len(rows) == 1
    assert rows[0]["project"] == f"{PLAN}leading-project/PJ2"
    assert rows[0]["count"] == 12
    assert numbers(rows[0]["entryNumbers"]) == PJ2


def test_06_entries_without_leading_project(store) -> None:
    rows = run(store, "entries-without-leading-project")
    assert [r["entryNumber"] for r in rows] == sorted(set(ENTRIES) - PJ2)
    assert {r["programmeJa"] for r in rows} >= {"港湾計画策定事業", "産学公民連携事業"}


def test_07_programmes_spanning_entries(store) -> None:
    rows = run(store, "programmes-spanning-entries")
    got = {r["programmeJa"]: (numbers(r["entryNumbers"]), set(r["policyCodes"].split()))
           for r in rows}
    assert got == {
        "地球温暖化対策事業": ({"060", "061", "067", "073"}, {"Ⅱ-イ", "Ⅱ-ウ", "Ⅱ-エ", "Ⅱ-オ"}),
        "グリーンイノベーション・国際環境施策推進事業": ({"062", "072"}, {"Ⅱ-エ", "Ⅱ-オ"}),
        "グリーンイノベーション推進事業": ({"063", "074"}, {"Ⅱ-エ", "Ⅱ-オ"}),
    }
    assert rows[0]["programmeJa"] == "地球温暖化対策事業" and rows[0]["count"] == 4
    # one programme, one resource: the four entries share it
    assert len({r["programme"] for r in rows}) == 3


def test_08_partners(store) -> None:
    rows = run(store, "partners")
    by_org = {r["organisation"]: r for r in rows}
    # 068/069: 「国連環境計画(UNEP)、地球環境戦略研究機関(IGES)、国際協力機関(JICA)等の
    # 国際機関と連携」
    unep = by_org["id/org/unep"]
    assert numbers(unep["entryNumbers"]) == {"068", "069"}
    for row in rows:
        assert numbers(row["entryNumbers"]) <= set(ENTRIES), row
        assert row["nameJa"] and row["nameEn"], row
    names = {r["nameEn"] for r in rows if numbers(r["entryNumbers"]) >= {"068", "069"}}
    assert any("JICA" in n or "Japan International Cooperation Agency" in n for n in names)
    assert any("IGES" in n or "Institute for Global Environmental Strategies" in n
               for n in names)


def test_09_places(store) -> None:
    rows = run(store, "places")
    by_place: dict[str, set[str]] = {}
    for row in rows:
        by_place.setdefault(row["nameJa"], set()).update(numbers(row["entryNumbers"]))
        assert numbers(row["entryNumbers"]) <= set(ENTRIES), row
    found = {name: entries for name, entries in by_place.items() if name}
    # 058: 南渡田地区（浜川崎駅周辺地域）; 059: 扇島地区; 057: 川崎港
    assert any("南渡田" in name and "058" in e for name, e in found.items()), found
    assert any("扇島" in name and "059" in e for name, e in found.items()), found
    assert any("川崎港" in name and "057" in e for name, e in found.items()), found


def test_10_legal_bases(store) -> None:
    rows = run(store, "legal-bases")
    cited = {(r["provision"], r["entryNumber"]) for r in rows}
    # 060: 「地球温暖化対策推進法第21条第5項各号の規定…に基づき」
    law = "id/law/410AC0000000117"
    assert (f"{law}/article/21/paragraph/5", "060") in cited
    assert {r["law"] for r in rows if r["provision"].startswith(law)} == {law}
    assert {r["lawJa"] for r in rows if r["law"] == law} == {"地球温暖化対策の推進に関する法律"}
    # 061: 「温対条例に規定されている…」「「地球温暖化対策の推進に関する条例」に基づく取組の運用」
    ordinance = {r["provision"] for r in rows if r["entryNumber"] == "061"}
    assert ordinance and all(p.startswith("id/law/") for p in ordinance)
    assert any("地球温暖化対策の推進に関する条例" in (r["provisionJa"] or r["lawJa"] or "")
               for r in rows if r["entryNumber"] == "061")
    # no entry outside the section cites anything
    assert {r["entryNumber"] for r in rows if r["entryNumber"]} <= set(ENTRIES)


def test_11_zone_schemes(store) -> None:
    rows = run(store, "zone-schemes")
    got = {(r["statedPolicyNumber"], r["statedEntryNumber"]): r for r in rows}
    # 【施策No.1、事業No.1】 市の独自取組; 【施策No.9、事業No.60】 国の法律;
    # 【施策No.13、事業No.76】 国の政策
    assert set(got) == {(1, 1), (9, 60), (13, 76)}
    assert got[(1, 1)]["basis"] == "市の独自取組"
    assert got[(9, 60)]["basis"] == "国の法律に基づく取組"
    assert got[(13, 76)]["basis"] == "国の政策に基づく取組"
    # 設定しました / 検討を進めます / 実現を目指し
    assert got[(1, 1)]["status"] == "設定済み"
    assert got[(9, 60)]["status"] == "検討中"
    assert got[(13, 76)]["status"] == "実現を目指す"
    assert got[(1, 1)]["schemeJa"] == "脱炭素モデル地区"
    assert got[(9, 60)]["schemeJa"] == "地域脱炭素化促進区域"
    assert got[(13, 76)]["schemeJa"] == "脱炭素先行地域"
    assert got[(9, 60)]["policy"] == f"{PLAN}policy/9"
    assert got[(9, 60)]["entry"] == entry("060")
    assert got[(1, 1)]["entry"] == entry("001")
    assert got[(13, 76)]["entry"] == entry("076")


def test_12_zone_facts(store) -> None:
    rows = run(store, "zone-facts")
    by_fact = {r["fact"]: r for r in rows}
    assert set(by_fact) == {KGO + "target", KGO + "fundingPerMunicipality", KGO + "memberCount"}
    # 「2030年度までに少なくとも100か所の脱炭素先行地域を作る」
    target = by_fact[KGO + "target"]
    assert target["minValue"] == 100 and target["value"] is None
    assert target["targetFiscalYear"] == 2030  # a fiscal year, as an integer
    # 「1自治体当たり最大50億円の交付金が交付される予定」
    funding = by_fact[KGO + "fundingPerMunicipality"]
    assert int(float(funding["maxValue"])) == 5_000_000_000
    assert funding["planned"] is True
    # 「（R4.2末時点の会員数28）」
    members = by_fact[KGO + "memberCount"]
    assert members["value"] == 28
    assert members["asOf"] == "2022-02-28"
    assert "脱炭素アクションみぞのくち推進会議" in (members["subjectJa"] or "")


def test_13_mizonokuchi_designation(store) -> None:
    rows = run(store, "mizonokuchi-designation")
    assert len({r["designation"] for r in rows}) == 1
    row = rows[0]
    # 「令和2（2020）年11月、本市は…高津区溝口周辺地域を脱炭素モデル地区に設定し」
    assert row["date"] == "2020-11"
    assert "溝口" in row["areaJa"]
    assert row["designatedBy"] == "id/org/kawasaki-city"
    # 「令和3（2021）年7月、…「脱炭素アクションみぞのくち推進会議」を発足しました」
    assert row["councilJa"] == "脱炭素アクションみぞのくち推進会議"
    assert row["councilFounded"] == "2021-07"


def test_14_relistings(store) -> None:
    rows = run(store, "relistings")
    entries = {r["number"]: r for r in rows if r["kind"] == "entry"}
    assert {n: r["originalNumber"] for n, r in entries.items()} == RELISTED
    for number, row in entries.items():
        assert row["relisting"] == entry(number)
        assert row["original"] == entry(RELISTED[number])
        assert row["originalDescribedElsewhere"] is True
    policies = [r for r in rows if r["kind"] == "policy"]
    # 「施策NO.12（II-オ）グリーンファイナンス・投資促進の取組推進（再掲）」
    assert [(r["number"], r["original"]) for r in policies] == [
        (12, f"{PLAN}policy/12/original")
    ]
    assert policies[0]["originalDescribedElsewhere"] is True


def test_15_described_elsewhere(store) -> None:
    rows = run(store, "described-elsewhere")
    assert {r["resource"] for r in rows} == {
        f"{PLAN}policy/1", f"{PLAN}policy/13", f"{PLAN}policy/12/original",
        entry("001"), entry("038"), entry("039"), entry("040"), entry("041"), entry("076"),
    }
    referrers = {(r["resource"], r["referredToBy"]) for r in rows}
    for relisting, original in RELISTED.items():
        assert (entry(original), entry(relisting)) in referrers
    assert (f"{PLAN}policy/12/original", f"{PLAN}policy/12") in referrers


def test_16_keyword_search_ja(store) -> None:
    rows = run(store, "keyword-search-ja")
    assert {r["entryNumber"] for r in rows} == {"055"}
    where = [r["where"] for r in rows]
    # 事務事業名「水素戦略・…」, 事業概要「水素社会の実現に…」, and three of its activities
    assert where.count("事務事業名 / programme") == 1
    assert where.count("事業概要 / overview") == 1
    assert where.count("事業内容 / activity") == 3
    assert all("水素" in r["text"] for r in rows)


def test_17_strategies_entries_are_based_on(store) -> None:
    rows = run(store, "strategies-entries-are-based-on")
    based = {r["nameJa"]: numbers(r["entryNumbers"]) for r in rows}
    # 055: 「川崎水素戦略」「炭素循環戦略」「エネルギー地域最適化戦略」に基づく取組の推進,
    #      川崎カーボンニュートラルコンビナート構想に基づくプロジェクトの創出
    for name in ("川崎水素戦略", "炭素循環戦略", "エネルギー地域最適化戦略",
                 "川崎カーボンニュートラルコンビナート構想"):
        assert based.get(name) == {"055"}, (name, based)
    # 065: 「創業支援事業計画」に基づく起業の促進
    assert "065" in based.get("創業支援事業計画", set())
    for entries in based.values():
        assert entries <= set(ENTRIES)


def test_18_entry_provenance(store) -> None:
    rows = run(store, "entry-provenance")
    covered = {
        r["entryNumber"] for r in rows
        if r["entryNumber"] in ENTRY_LINES
        and r["startLine"] <= ENTRY_LINES[r["entryNumber"]] <= r["endLine"]
    }
    assert covered == set(ENTRIES)
    assert {r["document"] for r in rows} == {"id/source/kawasaki-2022-direction-2"}


def test_19_named_graphs(store) -> None:
    rows = run(store, "named-graphs")
    graphs = {r["graph"] for r in rows}
    assert {"graph/ontology", "graph/plan", "graph/entries"} <= graphs
    assert all(r["triples"] > 0 for r in rows)


def test_20_flag_and_leading_project(store) -> None:
    rows = run(store, "flag-and-leading-project")
    assert [r["entryNumber"] for r in rows] == sorted(ENTRIES)
    for row in rows:
        number = row["entryNumber"]
        assert (row["projectCode"] == "PJ2") == (number in PJ2), row
        assert bool(row["flags"]) == (number in ECO_MACHI), row
    both = {r["entryNumber"] for r in rows if r["projectCode"] and r["flags"]}
    assert both == PJ2 & ECO_MACHI == {"055", "061", "067", "073"}


def test_every_example_has_a_test() -> None:
    tested = {name[len("test_"):].split("_", 1)[0] for name in globals()
              if name.startswith("test_") and name[5:7].isdigit()}
    assert {e.name.split("-", 1)[0] for e in load_examples()} <= tested
