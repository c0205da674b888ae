"""``/plan``: the picture of the plan, through Flask's test client on the shipped data
(expected structure read off the source: tests/source_facts.py) and on a tiny store
whose labels try to break out of the SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import html5lib
import pyoxigraph as ox
import pytest
from source_facts import ECO_MACHI, ENTRIES, PJ2, POLICIES, RELISTED

from kgraph.config import Config
from kgraph.dataset import parse_sources
from kgraph.iris import KGO, PREFIXES
from kgraph.sources import shipped_sources
from kgraph.web import create_app
from kgraph.web.state import AppState

BASE = "http://kgraph.test/"
PLAN = "/id/plan/kawasaki-2022/"
SVG = "{http://www.w3.org/2000/svg}"


def app_for(store: ox.Store):
    config = Config(base=BASE, cache_dir=None)
    return create_app(config, AppState.for_store(config, store)).test_client()


@pytest.fixture(scope="module")
def client():
    store = ox.Store()
    store.bulk_extend(parse_sources(shipped_sources(BASE), BASE))
    return app_for(store)


def page(client, lang: str):
    response = client.get(f"/plan?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response, html5lib.parse(response.data, namespaceHTMLElements=False)


def svg_of(tree) -> ET.Element:
    svgs = list(tree.iter(f"{SVG}svg"))
    assert len(svgs) == 1
    return svgs[0]


def links(svg: ET.Element) -> dict[str, ET.Element]:
    """href -> the <a> element, for every link drawn in the picture."""
    return {a.get("href"): a for a in svg.iter(f"{SVG}a")}


def rect(a: ET.Element) -> ET.Element:
    return next(a.iter(f"{SVG}rect"))


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def test_picture_links_every_part_of_the_plan(client) -> None:
    response, tree = page(client, "ja")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    svg = svg_of(tree)
    drawn = links(svg)
    assert f"{PLAN}direction/2" in drawn
    for number in POLICIES:
        assert f"{PLAN}policy/{number}" in drawn
    for number in ENTRIES:
        assert f"{PLAN}entry/{number}" in drawn
    for original in RELISTED.values():
        assert f"{PLAN}entry/{original}" in drawn
    assert f"{PLAN}policy/12/original" in drawn
    assert f"{PLAN}leading-project/PJ2" in drawn
    # nothing described elsewhere is drawn as if it were in the tables
    assert f"{PLAN}entry/001" not in drawn and f"{PLAN}entry/076" not in drawn


def test_entries_carry_their_pj_flags_and_relistings(client) -> None:
    _, tree = page(client, "ja")
    svg = svg_of(tree)
    entry_y = {}
    entry_right = 0.0
    for a in svg.iter(f"{SVG}a"):
        match = re.fullmatch(rf"{PLAN}entry/(\d+)", a.get("href"))
        if match and match[1] in ENTRIES and "entry" in (a_parent_class(svg, a)):
            box = rect(a)
            entry_y[match[1]] = float(box.get("y"))
            entry_right = float(box.get("x")) + float(box.get("width"))
    assert set(entry_y) == set(ENTRIES)

    def rows_with(kind: str) -> set[str]:
        """Entries with a mark of this kind drawn on their row, right of the entry box."""
        found = set()
        for group in svg.iter(f"{SVG}g"):
            if group.get("class") != kind:
                continue
            mark = next(group.iter(f"{SVG}rect"))
            if float(mark.get("x")) < entry_right:
                continue
            y = float(mark.get("y"))
            found |= {n for n, top in entry_y.items() if top <= y < top + 20}
        return found

    assert rows_with("pj") == PJ2
    assert rows_with("flag") == ECO_MACHI
    assert rows_with("original") == set(RELISTED)
    # each re-listing points at its own original
    for relisting, original in RELISTED.items():
        box = next(
            g for g in svg.iter(f"{SVG}g") if g.get("class") == "original"
            and abs(float(next(g.iter(f"{SVG}rect")).get("y")) - entry_y[relisting]) < 1
        )
        assert next(box.iter(f"{SVG}a")).get("href") == f"{PLAN}entry/{original}"


def a_parent_class(svg: ET.Element, a: ET.Element) -> str:
    for group in svg.iter(f"{SVG}g"):
        if a in list(group):
            return group.get("class") or ""
    return ""


def test_table_says_the_same_as_the_picture(client) -> None:
    _, tree = page(client, "ja")
    table = tree.find(".//table[@class='plan-table']")
    rows = {}
    for tr in table.iterfind("./tbody/tr"):
        cells = tr.findall("td")
        number = "".join(cells[0].itertext())
        rows[number] = ["".join(c.itertext()) for c in cells]
    assert set(rows) == set(ENTRIES)
    for number, (_, programme) in ENTRIES.items():
        _, shown, pj, flags, original = rows[number]
        assert shown == programme
        assert (pj == "PJ2") == (number in PJ2)
        assert (flags == "エコまち") == (number in ECO_MACHI)
        assert original == RELISTED.get(number, "")


def test_picture_reads_in_japanese_and_english(client) -> None:
    _, ja_tree = page(client, "ja")
    _, en_tree = page(client, "en")
    ja_text = " ".join(texts(svg_of(ja_tree)))
    en_text = " ".join(texts(svg_of(en_tree)))
    assert "施策No.8" in ja_text and "Policy 8" not in ja_text
    assert "Policy 8" in en_text and "施策No.8" not in en_text
    assert "水素戦略・カーボンニュートラル産業推進事業" in ja_text
    assert "Hydrogen Strategy" in en_text
    assert "Ⅱ-ア" in ja_text and "Ⅱ-ア" in en_text  # codes are codes in both
    assert "事業No.038" in ja_text and "Entry 038" in en_text
    assert ja_tree.find(".//h1").text == "計画の全体図"
    assert en_tree.find(".//h1").text == "Picture of the plan"


def test_text_is_escaped_inside_the_svg() -> None:
    kgo, rdfs = KGO, PREFIXES["rdfs"]
    evil = '<script>alert(1)</script> & \\"quotes\\"'
    data = f"""
    @prefix kgo: <{kgo}> . @prefix rdfs: <{rdfs}> .
    <id/d> a kgo:BasicDirection ; kgo:directionNumber 1 ; kgo:numeral "Ⅰ" ;
        rdfs:label "{evil}"@ja .
    <id/p> a kgo:Policy ; kgo:underDirection <id/d> ; kgo:policyNumber 1 ;
        kgo:policyCode "Ⅰ-ア" ; rdfs:label "</text></svg><b>policy</b>"@ja .
    <id/e> a kgo:PlanEntry ; kgo:underPolicy <id/p> ; kgo:entryNumber "001" ;
        rdfs:label "<a href='javascript:x'>entry</a>"@ja .
    """
    store = ox.Store()
    store.load(data.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    response = app_for(store).get("/plan?lang=ja", headers={"Accept": "text/html"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    assert "<b>policy</b>" not in body
    assert "href='javascript" not in body and 'href="javascript' not in body
    tree = html5lib.parse(response.data, namespaceHTMLElements=False)
    assert set(links(svg_of(tree))) == {"/id/d", "/id/p", "/id/e"}


def test_empty_store_says_there_is_nothing_to_draw() -> None:
    response = app_for(ox.Store()).get("/plan?lang=en", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert b"There is no plan structure to show" in response.data
    assert b"<svg" not in response.data
