"""The points of an independent audit of the data against the source, one test each.

Each expected value was read off the source text (``source/000_92204f952bfb02bb.txt``) by a
person: who publishes the graph, the exact phrase a relation stands for, which placements are
readings, what a label may claim, and what the English translations say.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from support.shipped import ask, select, shipped_store

from kgraph.iris import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "000_92204f952bfb02bb.txt"
SOURCE_LINES = SOURCE.read_text(encoding="utf-8").split("\n")
BASE = "http://kgraph.test/data/"
PLAN = f"{BASE}id/plan/kawasaki-2022"
KGO = PREFIXES["kgo"]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return shipped_store(BASE)


def texts(store: ox.Store, iri: str, prop: str, lang: str) -> list[str]:
    return [t for (t,) in select(store, f"""
        SELECT ?t WHERE {{ <{iri}> {prop} ?t . FILTER (lang(?t) = "{lang}") }}""")]


# ---------------------------------------------------------------------------
# Who publishes the graph
# ---------------------------------------------------------------------------


def test_the_dataset_publisher_is_not_the_city(store: ox.Store) -> None:
    dataset = f"{BASE}id/dataset/kawasaki-climate-plan-2022"
    publishers = [p for (p,) in select(store, f"""
        SELECT ?p WHERE {{ <{dataset}> dcterms:publisher ?p }}""")]
    assert publishers == [f"{BASE}id/org/kgraph-project"]
    publisher = publishers[0]
    assert texts(store, publisher, "rdfs:label", "en") == ["kgraph project"]
    assert texts(store, publisher, "rdfs:label", "ja") == ["kgraph プロジェクト"]
    # It is described as what it is, and says that nothing shows the city publishes the data.
    (description,) = texts(store, publisher, "dcterms:description", "en")
    assert "nothing found shows that the city publishes or endorses this dataset" in description
    # The city remains the publisher of the plan itself.
    assert ask(store, f"ASK {{ <{PLAN}> dcterms:publisher <{BASE}id/org/kawasaki-city> }}")


# ---------------------------------------------------------------------------
# 075: 「…に示す「目指す将来像」実現のための」 is not 「に基づく」
# ---------------------------------------------------------------------------


def test_075_is_not_based_on_the_coastal_area_vision(store: ox.Store) -> None:
    assert "●臨海部ビジョンに示す「目指す将来像」実現のための" in SOURCE_LINES[55]
    assert not ask(store, f"""ASK {{
        <{PLAN}/entry/075> (kgo:activity/kgo:subActivity?)? ?part . ?part kgo:basedOn ?x }}""")
    assert ask(store, f"""ASK {{
        <{PLAN}/entry/075/activity/1> kgo:aimsToRealise <{BASE}id/instrument/coastal-area-vision> .
        kgo:aimsToRealise rdfs:subPropertyOf kgo:mentions ;
            rdfs:label ?ja , ?en ; skos:definition ?dja , ?den .
        FILTER (lang(?ja) = "ja" && lang(?en) = "en" && lang(?dja) = "ja" && lang(?den) = "en")
    }}""")


def test_based_on_is_used_only_where_the_text_says_based_on(store: ox.Store) -> None:
    """kgo:basedOn stands for 「～に基づく」「～に基づき」 in the subject's own text."""
    rows = select(store, """
        SELECT ?s ?text WHERE {
            ?s kgo:basedOn ?x .
            { ?s rdfs:label ?text } UNION { ?s kgo:overview ?text }
            FILTER (lang(?text) = "ja")
        }""")
    subjects = {s for s, _ in rows}
    assert len(subjects) >= 8
    for s in subjects:
        assert any(re.search(r"に基づ[くき]", t) for s2, t in rows if s2 == s), s


# ---------------------------------------------------------------------------
# 001 and 076: placed under policies 1 and 13 by reading the pairing 【施策No.x、事業No.y】
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "policy", "reference"), [
    ("001", "1", "【施策No.1、事業No.1】"),
    ("076", "13", "【施策No.13、事業No.76】"),
])
def test_placements_read_from_a_reference_carry_a_confidence(
    store: ox.Store, entry: str, policy: str, reference: str
) -> None:
    iri = f"{PLAN}/entry/{entry}"
    assert select(store, f"""
        SELECT ?confidence WHERE {{
            <{iri}> kgo:underPolicy <{PLAN}/policy/{policy}> ; kgo:placementConfidence ?confidence .
            ?confidence skos:inScheme kgo:ConfidenceLevels .
        }}""") == [(KGO + "MediumConfidence",)]
    assert ask(store, """ASK {
        kgo:placementConfidence rdfs:subPropertyOf kgo:interpretationConfidence }""")
    (note_ja,) = texts(store, iri, "skos:scopeNote", "ja")
    (note_en,) = texts(store, iri, "skos:scopeNote", "en")
    assert reference in note_ja and "読み" in note_ja
    assert reference in note_en and "is a reading" in note_en
    # The one checkable pairing agrees: entry 060 is in the table under policy 9.
    assert "【施策No.9、事業No.60】" in note_en
    assert ask(store, f"ASK {{ <{PLAN}/entry/060> kgo:underPolicy <{PLAN}/policy/9> }}")


# ---------------------------------------------------------------------------
# The flag columns' names do not state their guessed meaning
# ---------------------------------------------------------------------------


def test_flag_labels_are_neutral_and_the_guess_stays_in_the_note(store: ox.Store) -> None:
    guessed = re.compile(r"低炭素|まちづくり|気候変動|low-carbon|city development|climate", re.I)
    for slug in ("ecomachi", "adaptation"):
        flag = f"{PLAN}/flag/{slug}"
        names = [t for (t,) in select(store, f"""
            SELECT ?t WHERE {{
                VALUES ?p {{ rdfs:label skos:prefLabel skos:altLabel }} <{flag}> ?p ?t }}""")]
        assert names
        for name in names:
            assert not guessed.search(name), (slug, name)
        assert ask(store, f"ASK {{ <{flag}> kgo:interpretationConfidence kgo:MediumConfidence }}")
    (note,) = texts(store, f"{PLAN}/flag/ecomachi", "skos:scopeNote", "ja")
    assert "低炭素まちづくり計画" in note
    (note,) = texts(store, f"{PLAN}/flag/adaptation", "skos:scopeNote", "en")
    assert "adaptation to the impacts of climate change" in note


# ---------------------------------------------------------------------------
# 060 rests on 「法令で定める配慮基準等」
# ---------------------------------------------------------------------------


def test_060_rests_on_the_statutory_consideration_criteria(store: ox.Store) -> None:
    assert "第21条第5項各号の規定及び法令で定める配慮基準等に基づき" in SOURCE_LINES[26]
    criteria = f"{BASE}id/instrument/statutory-consideration-criteria"
    assert ask(store, f"""ASK {{
        <{PLAN}/entry/060> kgo:basedOn <{criteria}> ;
            kgo:legalBasis <{BASE}id/law/410AC0000000117/article/21/paragraph/5> .
        <{criteria}> a kgo:PolicyInstrument ; kgo:instrumentType kgo:Criteria ;
            rdfs:label "法令で定める配慮基準等"@ja ;
            prov:wasDerivedFrom <{BASE}id/source/kawasaki-2022-direction-2/L27-27> .
    }}""")
    # Described only as far as the text goes: no law or provision is named for it.
    assert not ask(store, f"ASK {{ <{criteria}> kgo:legalBasis|kgo:establishedBy ?x }}")
    (description,) = texts(store, criteria, "dcterms:description", "en")
    assert "does not say which law or provision" in description


# ---------------------------------------------------------------------------
# English
# ---------------------------------------------------------------------------


def test_direction_2_aims_to_be_the_city_in_japan_that_contributes_most(store: ox.Store) -> None:
    assert "日本で最も脱炭素化に貢献している都市を目指します" in SOURCE_LINES[10]
    (aim,) = texts(store, f"{PLAN}/direction/2", "kgo:statedAim", "en")
    assert aim.endswith(
        "it aims to be the city in Japan that contributes the most to decarbonisation.")


def test_jica_is_the_japan_international_cooperation_agency_in_english(store: ox.Store) -> None:
    english = [t for (t,) in select(store, """
        SELECT ?t WHERE { ?s ?p ?t . FILTER (lang(?t) = "en") }""")]
    mentions = [t for t in english if "International Cooperation Agency" in t]
    assert len(mentions) >= 3
    for text in mentions:
        assert re.sub(r"Japan International Cooperation Agency", "", text).count(
            "International Cooperation Agency") == 0, text
    for entry in ("068", "069"):
        (overview,) = texts(store, f"{PLAN}/entry/{entry}", "kgo:overview", "en")
        assert "the Japan International Cooperation Agency (JICA)" in overview


def test_075_studies_projects_rather_than_plans_them(store: ox.Store) -> None:
    (label,) = texts(store, f"{PLAN}/entry/075/activity/1", "rdfs:label", "en")
    assert label.startswith("Studying and promoting projects")
    assert "Planning" not in label


def test_071_makes_use_of_field_sites(store: ox.Store) -> None:
    assert "川崎市のフィールド等を活用した" in SOURCE_LINES[47]
    (overview,) = texts(store, f"{PLAN}/entry/071", "kgo:overview", "en")
    assert "field sites in Kawasaki City" in overview
    assert "fields and other resources" not in overview


def test_the_plans_english_label_is_marked_as_a_translation(store: ox.Store) -> None:
    (label,) = texts(store, PLAN, "rdfs:label", "en")
    assert label.endswith("(unofficial translation)")
    assert texts(store, PLAN, "dcterms:title", "en") == []
    assert texts(store, PLAN, "dcterms:title", "ja") == ["川崎市地球温暖化対策推進基本計画"]
    (note,) = texts(store, PLAN, "skos:editorialNote", "en")
    assert "no official English title" in note and "translation" in note
    (note,) = texts(store, PLAN, "skos:editorialNote", "ja")
    assert "公式の英語の題名はない" in note


def test_english_has_none_of_the_phrases_a_native_editor_struck(store: ox.Store) -> None:
    struck = ("future image", "support menus", "one after another", "advanced cases",
              "first among them", "evaluation of effects", "emissions are large",
              "studying its review", "studying their review", "Planning and promoting")
    english = [t for (t,) in select(store, """
        SELECT ?t WHERE { ?s ?p ?t . FILTER (lang(?t) = "en") }""")]
    for text in english:
        for phrase in struck:
            assert phrase not in text, (phrase, text)
