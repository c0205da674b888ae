"""The shipped plan data says what the source text says.

Every expected value below was read off the source text (``source/000_92204f952bfb02bb.txt``)
by a person, not copied from running the code.  The data is loaded through the gate-free
path (shipped sources parsed into a pyoxigraph store) under a base that is not the default,
which also shows that the data files carry no host name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgraph.dataset import parse_sources
from kgraph.iris import PREFIXES
from kgraph.sources import shipped_sources

ROOT = Path(__file__).resolve().parent.parent
SOURCE_TEXT = ROOT / "source" / "000_92204f952bfb02bb.txt"
BASE = "http://kgraph.test/data/"
PLAN = f"{BASE}id/plan/kawasaki-2022"
DATA_GRAPHS = (
    "plan", "entries", "mentions", "organisations", "legal", "instruments", "places", "zones",
)
HEADER = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    return parse_sources(shipped_sources(BASE), BASE)


@pytest.fixture(scope="module")
def store(quads: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(quads)
    return store


def select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """Rows of a SELECT over the union of all graphs, as plain strings."""
    solutions = store.query(HEADER + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [tuple(row[name].value if row[name] is not None else "" for name in names)
            for row in solutions]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(HEADER + query, use_default_graph_as_union=True))


def entry_number(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------
# Table structure
# ---------------------------------------------------------------------------


def test_entries_of_each_policy(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?n ?no WHERE {
            ?e a kgo:PlanEntry ; kgo:underPolicy/kgo:policyNumber ?n ; kgo:entryNumber ?no .
            FILTER NOT EXISTS { ?e kgo:describedElsewhere true }
        }""")
    by_policy: dict[int, set[str]] = defaultdict(set)
    for n, no in rows:
        by_policy[int(n)].add(no)
    assert dict(by_policy) == {
        8: {"055", "056", "057", "058", "059"},
        9: {"060"},
        10: {"061"},
        11: {"062", "063", "064", "065", "066", "067", "068", "069", "070", "071"},
        12: {"072", "073", "074", "075"},
    }


def test_policies_codes_and_titles(store: ox.Store) -> None:
    rows = select(store, f"""
        SELECT ?n ?code ?label WHERE {{
            ?p a kgo:Policy ; kgo:underDirection <{PLAN}/direction/2> ;
               kgo:policyNumber ?n ; kgo:policyCode ?code ; rdfs:label ?label .
            FILTER (lang(?label) = "ja")
        }} ORDER BY ?n""")
    assert rows == [
        ("8", "Ⅱ-ア", "臨海部エリアのカーボンニュートラルに向けた取組推進"),
        ("9", "Ⅱ-イ", "改正地球温暖化対策推進法に基づく地域脱炭素化促進区域の指定の検討"),
        ("10", "Ⅱ-ウ", "事業者の新たな評価・支援制度の構築による脱炭素化の取組促進"),
        ("11", "Ⅱ-エ", "グリーンイノベーション推進に向けた機能強化及び国際貢献の推進"),
        ("12", "Ⅱ-オ", "グリーンファイナンス・投資促進の取組推進"),
    ]


def test_direction_and_period(store: ox.Store) -> None:
    assert select(store, f"""
        SELECT ?numeral ?n ?label WHERE {{
            <{PLAN}/direction/2> kgo:numeral ?numeral ; kgo:directionNumber ?n ; rdfs:label ?label .
            FILTER (lang(?label) = "ja")
        }}""") == [("Ⅱ", "2", "グリーンイノベーションで世界の脱炭素化に貢献するまち")]
    assert select(store, f"""
        SELECT ?fy1 ?fy2 ?d1 ?d2 WHERE {{
            <{PLAN}> kgo:implementationPeriod ?p .
            ?p kgo:startFiscalYear ?fy1 ; kgo:endFiscalYear ?fy2 ;
               dcat:startDate ?d1 ; dcat:endDate ?d2 .
        }}""") == [("2022", "2025", "2022-04-01", "2026-03-31")]


def test_entries_with_pj2(store: ox.Store) -> None:
    rows = select(store, f"""
        SELECT ?no WHERE {{
            ?e kgo:leadingProject <{PLAN}/leading-project/PJ2> ; kgo:entryNumber ?no .
        }}""")
    assert {no for (no,) in rows} == {
        "055", "061", "062", "063", "064", "065", "066", "067", "072", "073", "074", "075",
    }
    # PJ2's title is not in the source: it is an opaque code, described elsewhere.
    assert select(store, f"""
        SELECT ?ja ?en WHERE {{
            <{PLAN}/leading-project/PJ2> kgo:describedElsewhere true ; skos:notation "PJ2" ;
                rdfs:label ?ja , ?en .
            FILTER (lang(?ja) = "ja" && lang(?en) = "en")
        }}""") == [("PJ2", "PJ2")]


def test_entries_with_each_flag(store: ox.Store) -> None:
    rows = select(store, f"""
        SELECT ?flag ?no WHERE {{
            VALUES ?flag {{ <{PLAN}/flag/ecomachi> <{PLAN}/flag/adaptation> }}
            ?e kgo:flag ?flag ; kgo:entryNumber ?no .
        }}""")
    flagged: dict[str, set[str]] = defaultdict(set)
    for flag, no in rows:
        flagged[flag.rsplit("/", 1)[-1]].add(no)
    assert dict(flagged) == {"ecomachi": {"055", "060", "061", "067", "070", "073"}}
    # The 適応 column is empty in every row of this section.
    assert not ask(store, f"ASK {{ ?e kgo:flag <{PLAN}/flag/adaptation> }}")


def test_flag_headers_as_extracted(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?flag ?header ?confidence WHERE {
            ?flag a kgo:TableFlag ; kgo:columnHeaderAsExtracted ?header ;
                  kgo:interpretationConfidence ?confidence .
        }""")
    headers: dict[str, set[str]] = defaultdict(set)
    for flag, header, confidence in rows:
        headers[flag.rsplit("/", 1)[-1]].add(header)
        assert confidence == PREFIXES["kgo"] + "MediumConfidence"
    assert dict(headers) == {
        "ecomachi": {"イコまち", "まち", "イ ま ち"},
        "adaptation": {"適応", "適 応"},
    }


def test_flag_columns_are_ordered_as_printed(store: ox.Store) -> None:
    # The table header reads "… PJ	イコまち	適応": the エコまち column comes first.
    assert "\tPJ\tイコまち\t適応\n" in SOURCE_TEXT.read_text(encoding="utf-8")
    rows = select(store, """
        SELECT ?flag ?position WHERE { ?flag a kgo:TableFlag ; schema:position ?position }
        ORDER BY ?position""")
    assert [(flag.rsplit("/", 1)[-1], position) for flag, position in rows] == [
        ("ecomachi", "1"),
        ("adaptation", "2"),
    ]


def test_programmes_shared_by_several_entries(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?name ?no WHERE {
            ?e kgo:administrativeProgramme ?prog ; kgo:entryNumber ?no .
            ?prog rdfs:label ?name . FILTER (lang(?name) = "ja")
        }""")
    entries: dict[str, set[str]] = defaultdict(set)
    for name, no in rows:
        entries[name].add(no)
    assert len(entries) == 16
    shared = {name: nos for name, nos in entries.items() if len(nos) > 1}
    assert shared == {
        "地球温暖化対策事業": {"060", "061", "067", "073"},
        "グリーンイノベーション・国際環境施策推進事業": {"062", "072"},
        "グリーンイノベーション推進事業": {"063", "074"},
    }


def test_relistings(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?no ?original ?originalNo WHERE {
            ?e a kgo:PlanEntry ; kgo:isRelisting true ; kgo:relistingOf ?original ;
               kgo:entryNumber ?no .
            ?original kgo:describedElsewhere true ; kgo:entryNumber ?originalNo .
        }""")
    assert {(no, orig_no) for no, _, orig_no in rows} == {
        ("072", "038"), ("073", "039"), ("074", "040"), ("075", "041"),
    }
    assert all(entry_number(orig) == orig_no for _, orig, orig_no in rows)
    # Policy 12 is itself a re-listing of a policy described elsewhere.
    assert ask(store, f"""ASK {{
        <{PLAN}/policy/12> kgo:isRelisting true ; kgo:relistingOf ?o .
        ?o kgo:describedElsewhere true .
    }}""")


def test_references_known_only_by_number(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?no ?policy WHERE {
            ?e a kgo:PlanEntry ; kgo:describedElsewhere true ; kgo:entryNumber ?no .
            OPTIONAL { ?e kgo:underPolicy/kgo:policyNumber ?policy }
        }""")
    assert set(rows) == {
        ("1", "1"), ("76", "13"), ("038", ""), ("039", ""), ("040", ""), ("041", ""),
    }


# ---------------------------------------------------------------------------
# Activities, in order
# ---------------------------------------------------------------------------


def activities(store: ox.Store, number: str) -> list[tuple[str, list[str]]]:
    rows = select(store, f"""
        SELECT ?i ?text ?j ?sub WHERE {{
            <{PLAN}/entry/{number}> kgo:activity ?a .
            ?a schema:position ?i ; rdfs:label ?text . FILTER (lang(?text) = "ja")
            OPTIONAL {{
                ?a kgo:subActivity ?s . ?s schema:position ?j ; rdfs:label ?sub .
                FILTER (lang(?sub) = "ja")
            }}
        }}""")
    acts: dict[int, tuple[str, dict[int, str]]] = {}
    for i, text, j, sub in rows:
        _, subs = acts.setdefault(int(i), (text, {}))
        if j:
            subs[int(j)] = sub
    assert sorted(acts) == list(range(1, len(acts) + 1)), "activity positions have gaps"
    result = []
    for i in sorted(acts):
        text, subs = acts[i]
        assert sorted(subs) == list(range(1, len(subs) + 1)), "sub-activity positions have gaps"
        result.append((text, [subs[j] for j in sorted(subs)]))
    return result


def test_activities_of_058(store: ox.Store) -> None:
    assert activities(store, "058") == [
        ("南渡田地区（浜川崎駅周辺地域）における新たな戦略拠点形成に向けた取組の推進",
         ["拠点整備計画に基づく取組の推進"]),
    ]


def test_activities_of_062(store: ox.Store) -> None:
    assert activities(store, "062") == [
        ("環境規制のワンストップ窓口の構築による事業者支援の実施",
         ["ワンストップ窓口の構築及び活用による事業者支援の実施"]),
        ("各法・条例の特例制度の活用及び拡充による事業者支援の実施",
         ["特例制度の活用及び拡充による事業者支援の実施"]),
        ("グリーンイノベーションの創出に向けた研究会等の開催", []),
        ("グリーンイノベーションに関する情報発信", []),
    ]


def test_activities_of_075(store: ox.Store) -> None:
    assert activities(store, "075") == [
        ("臨海部ビジョンに示す「目指す将来像」実現のためのプロジェクトの検討及び推進",
         ["投資促進制度の運用と効果検証", "立地誘導制度の創設・運用"]),
    ]


def test_activities_of_055_and_068(store: ox.Store) -> None:
    assert activities(store, "055") == [
        ("「川崎水素戦略」に基づく取組の推進", []),
        ("CO₂フリー水素等の供給・需要拡大に向けた取組の推進", []),
        ("水素の社会認知度向上に向けた取組の推進", []),
        ("「炭素循環戦略」に基づく取組の推進", []),
        ("「エネルギー地域最適化戦略」に基づく取組の推進", []),
        ("川崎カーボンニュートラルコンビナート構想に基づくプロジェクトの創出や取組推進", []),
    ]
    assert activities(store, "068") == [
        ("国際連合環境計画（UNEP）との連携（フォーラム等の開催検討・活用）", []),
        ("JICA等の国際・研究機関との連携", []),
        ("友好都市・中国瀋陽市との環境技術交流（技術研修及び行政研修）", []),
        ("環境技術情報の収集・発信", []),
    ]


def test_activity_counts(store: ox.Store) -> None:
    """Read off the table: number of ● and ・ items per entry."""
    rows = select(store, """
        SELECT ?no (COUNT(DISTINCT ?a) AS ?acts) (COUNT(DISTINCT ?s) AS ?subs) WHERE {
            ?e kgo:entryNumber ?no ; kgo:activity ?a .
            OPTIONAL { ?a kgo:subActivity ?s }
        } GROUP BY ?no""")
    counts = {no: (int(a), int(s)) for no, a, s in rows}
    assert counts == {
        "055": (6, 0), "056": (2, 0), "057": (3, 0), "058": (1, 1), "059": (1, 2),
        "060": (1, 1), "061": (1, 2), "062": (4, 2), "063": (2, 2), "064": (1, 1),
        "065": (1, 1), "066": (1, 1), "067": (1, 1), "068": (4, 0), "069": (2, 0),
        "070": (3, 0), "071": (2, 0), "072": (1, 1), "073": (1, 0), "074": (1, 1),
        "075": (1, 2),
    }


# ---------------------------------------------------------------------------
# Overview texts
# ---------------------------------------------------------------------------


def overview(store: ox.Store, number: str, lang: str = "ja") -> str:
    rows = select(store, f"""
        SELECT ?text WHERE {{
            <{PLAN}/entry/{number}> kgo:overview ?text . FILTER (lang(?text) = "{lang}")
        }}""")
    assert len(rows) == 1
    return rows[0][0]


def test_overview_057_has_co2_corrected(store: ox.Store) -> None:
    assert overview(store, "057") == (
        "川崎港のカーボンニュートラル化に向け、港湾管理者としてCO₂排出量の削減に率先して"
        "取り組むとともに、利用者や立地企業とも連携し、船社や荷主には選ばれる港づくりを推進します。"
    )


def test_overview_062_has_two_paragraphs(store: ox.Store) -> None:
    assert overview(store, "062").split("\n") == [
        "環境技術先進企業等が行う実証事業等の取組を促進するため、環境規制に係る相談窓口体制の整備や"
        "環境関連法の特例制度の活用などによる、イノベーションに取り組みやすい環境の構築を目指します。",
        "脱炭素社会の実現に向けて、本市の強みと特徴である環境技術・産業の集積を活かした「環境」と"
        "「経済」の調和と好循環の取組をより一層推進することで、グリーンイノベーションを促進していきます。",
    ]
    assert len(overview(store, "062", "en").split("\n")) == 2


def test_overview_072_without_relisting_marker(store: ox.Store) -> None:
    assert overview(store, "072").split("\n") == [
        "川崎市が脱炭素化の取組を推進する中で、グリーンボンド等を発行し、ESG投資を活性化させることで、"
        "幅広いステークホルダーを巻き込み、脱炭素社会の実現に貢献します。",
        "金融機関と企業の対話のツールを作成するなど、金融機関と連携した脱炭素化の取組を推進します。",
    ]


def test_overviews_064_and_068_069(store: ox.Store) -> None:
    assert "慶應義塾大学新川崎（K²）タウンキャンパス" in overview(store, "064")
    assert "産学交流・研究開発施設（AIRBIC）" in overview(store, "064")
    # The same sentence is extracted with half-width brackets in 068 and full-width in 069.
    assert overview(store, "068") == overview(store, "069")
    assert overview(store, "068").startswith(
        "国連環境計画（UNEP）、地球環境戦略研究機関（IGES）、国際協力機関（JICA）"
    )


def test_japanese_text_has_no_extraction_artefacts(store: ox.Store) -> None:
    """Transcribed text is corrected; only the provenance records describe the artefacts."""
    rows = select(store, """
        SELECT ?s ?p ?text WHERE {
            VALUES ?p { rdfs:label skos:altLabel skos:prefLabel dcterms:description kgo:overview
                        kgo:statedAim kgo:purpose kgo:requirement kgo:municipalStance }
            ?s ?p ?text . FILTER (lang(?text) = "ja")
            FILTER NOT EXISTS { ?s a ?c . VALUES ?c { kgo:SourceDocument kgo:Normalisation } }
        }""")
    assert rows
    for s, p, text in rows:
        assert not re.search(r"[()]", text), (s, p, text)
        assert not re.search(r"\s[₂²]|[₂²] ", text), (s, p, text)
        assert "**" not in text and "<ul" not in text and "\t" not in text, (s, p, text)
        if p.endswith("#overview"):
            assert not re.search(r"再掲", text), (s, text)


# ---------------------------------------------------------------------------
# Law, zones, facts with numbers and dates
# ---------------------------------------------------------------------------


def test_promotion_area_policy_rests_on_article_21_paragraph_5(store: ox.Store) -> None:
    law = f"{BASE}id/law/410AC0000000117"
    assert select(store, """
        SELECT ?para ?pn ?article ?an ?law WHERE {
            ?e kgo:underPolicy/kgo:policyNumber ?n ; kgo:legalBasis ?para . FILTER (?n = 9)
            ?para a kgo:Paragraph ; eli:number ?pn ; eli:is_part_of ?article .
            ?article a kgo:Article ; eli:number ?an ; eli:is_part_of ?law .
        }""") == [(f"{law}/article/21/paragraph/5", "5", f"{law}/article/21", "21", law)]
    assert ask(store, f"ASK {{ <{PLAN}/policy/9> kgo:legalBasis <{law}> }}")
    assert ask(store, f"""ASK {{
        <{law}/amendment/2021-06> eli:changes <{law}> ; dcterms:date "2021-06"^^xsd:gYearMonth .
        <{BASE}id/instrument/local-decarbonisation-promotion-area>
            kgo:establishedBy <{law}/amendment/2021-06> ; kgo:designationBasis kgo:NationalLaw .
    }}""")


def test_model_district_and_its_council(store: ox.Store) -> None:
    assert select(store, f"""
        SELECT ?date ?area ?founded ?members ?asOf WHERE {{
            <{BASE}id/zone/mizonokuchi> kgo:underScheme ?scheme ; kgo:designationDate ?date ;
                kgo:designatedArea ?a ; kgo:designatedBy <{BASE}id/org/kawasaki-city> ;
                kgo:council ?council .
            ?scheme kgo:designationBasis kgo:MunicipalInitiative ;
                kgo:designationStatus kgo:Designated .
            ?a rdfs:label ?area . FILTER (lang(?area) = "ja")
            ?council schema:foundingDate ?founded ; kgo:memberCount ?m .
            ?m schema:value ?members ; kgo:asOf ?asOf .
        }}""") == [("2020-11", "高津区溝口周辺地域", "2021-07", "28", "2022-02-28")]
    assert ask(store, f"""ASK {{
        <{BASE}id/zone/mizonokuchi> kgo:designationDate "2020-11"^^xsd:gYearMonth .
        <{BASE}id/org/mizonokuchi-council> schema:foundingDate "2021-07"^^xsd:gYearMonth .
        <{BASE}id/place/mizonokuchi-area> schema:containedInPlace <{BASE}id/place/takatsu-ward> .
    }}""")


def test_leading_region_target_and_funding(store: ox.Store) -> None:
    assert select(store, f"""
        SELECT ?min ?fy ?max ?currency ?planned WHERE {{
            <{BASE}id/instrument/decarbonisation-leading-region>
                kgo:designationBasis kgo:NationalPolicy ; kgo:designationStatus kgo:Aspired ;
                kgo:target ?t ; kgo:fundingPerMunicipality ?f .
            ?t schema:minValue ?min ; kgo:targetFiscalYear ?fy .
            ?f schema:maxValue ?max ; schema:currency ?currency ; kgo:isPlanned ?planned .
        }}""") == [("100", "2030", "5000000000", "JPY", "true")]


def test_zone_schemes_stated_references(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?label ?sp ?se ?pn ?en WHERE {
            ?z a kgo:ZoneDesignationScheme ; rdfs:label ?label ;
               kgo:statedPolicyNumber ?sp ; kgo:statedEntryNumber ?se ;
               kgo:relatedPolicy/kgo:policyNumber ?pn ; kgo:relatedEntry/kgo:entryNumber ?en .
            FILTER (lang(?label) = "ja")
        }""")
    assert set(rows) == {
        ("脱炭素モデル地区", "1", "1", "1", "1"),
        ("地域脱炭素化促進区域", "9", "60", "9", "060"),
        ("脱炭素先行地域", "13", "76", "13", "76"),
    }


def test_jica_label_and_text_form(store: ox.Store) -> None:
    assert ask(store, f"""ASK {{
        <{BASE}id/org/jica> rdfs:label "国際協力機構"@ja ; skos:altLabel "国際協力機関"@ja ;
            kgo:externalSource ?url .
    }}""")


# ---------------------------------------------------------------------------
# Conventions: labels, IRIs, provenance
# ---------------------------------------------------------------------------


def test_every_resource_has_japanese_and_english_labels(store: ox.Store) -> None:
    missing = select(store, f"""
        SELECT DISTINCT ?r ?lang WHERE {{
            ?r ?p ?o . FILTER (STRSTARTS(STR(?r), "{BASE}id/"))
            VALUES ?lang {{ "ja" "en" }}
            FILTER NOT EXISTS {{ ?r rdfs:label ?l . FILTER (lang(?l) = ?lang) }}
        }}""")
    assert missing == []


def test_no_blank_nodes(quads: list[ox.Quad]) -> None:
    blank = [q for q in quads
             if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]
    assert blank == []


def test_data_files_use_relative_iris_only(quads: list[ox.Quad]) -> None:
    for name in DATA_GRAPHS:
        text = (ROOT / "data" / f"{name}.ttl").read_text(encoding="utf-8")
        assert "localhost" not in text and "<id/" in text, name
    graphs = {f"{BASE}graph/{name}" for name in DATA_GRAPHS}
    for q in quads:
        if q.graph_name.value in graphs and isinstance(q.subject, ox.NamedNode):
            assert q.subject.value.startswith(f"{BASE}id/"), q.subject.value


def test_every_plan_entry_and_activity_is_derived_from_a_passage(store: ox.Store) -> None:
    orphans = select(store, """
        SELECT ?r WHERE {
            VALUES ?class { kgo:PlanEntry kgo:Activity kgo:SubActivity kgo:Policy }
            ?r a ?class .
            FILTER NOT EXISTS { ?r prov:wasDerivedFrom ?p . ?p a kgo:SourcePassage }
        }""")
    assert orphans == []
    # An entry row's passage is exactly the table row it was read from.
    assert select(store, f"""
        SELECT ?start ?end WHERE {{
            <{PLAN}/entry/062> prov:wasDerivedFrom ?p . ?p kgo:startLine ?start ; kgo:endLine ?end .
        }}""") == [("37", "37")]


def test_passages_hold_the_raw_source_lines(store: ox.Store) -> None:
    lines = SOURCE_TEXT.read_text(encoding="utf-8").split("\n")
    rows = select(store, f"""
        SELECT ?start ?end ?value WHERE {{
            ?p a kgo:SourcePassage ; dcterms:isPartOf <{BASE}id/source/kawasaki-2022-direction-2> ;
               kgo:startLine ?start ; kgo:endLine ?end ; prov:value ?value .
        }}""")
    assert len(rows) > 40
    for start, end, value in rows:
        assert value == "\n".join(lines[int(start) - 1:int(end)]), (start, end)


def test_every_passage_is_cited(store: ox.Store) -> None:
    """Every line range kept as a passage is where some resource was transcribed from."""
    assert select(store, """
        SELECT ?p WHERE {
            ?p a kgo:SourcePassage . FILTER NOT EXISTS { ?r prov:wasDerivedFrom ?p }
        }""") == []


def test_entries_graph_holds_only_the_table(store: ox.Store) -> None:
    rows = select(store, f"""
        SELECT DISTINCT ?class WHERE {{
            GRAPH <{BASE}graph/entries> {{ ?s a ?class }}
        }}""")
    assert {c.rsplit("#", 1)[-1] for (c,) in rows} == {
        "PlanEntry", "Activity", "SubActivity", "AdministrativeProgramme",
    }


def test_normalisations_are_documented(store: ox.Store) -> None:
    doc = (ROOT / "docs" / "normalisations.md").read_text(encoding="utf-8")
    used = select(store, "SELECT DISTINCT ?n WHERE { ?s kgo:normalisation ?n }")
    declared = select(store, "SELECT ?n WHERE { ?n a kgo:Normalisation }")
    assert {n for (n,) in used} <= {n for (n,) in declared}
    for (n,) in declared:
        assert n.removeprefix(BASE) in doc, n
