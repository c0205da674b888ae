"""The researchers' pages in a real headless Chromium (Debian's), against the real server.

Every query-page test runs twice: with the YASQE editor (the vendor files installed by
``python -m kgraph.web.pages.assets install``, served by the session's server) and with the
plain editor (a second server whose ``KGRAPH_VENDOR_DIR`` is an empty directory).
Each page must load nothing from another host and break no rule of its
Content-Security-Policy.  Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from playwright.sync_api import Browser, Page, expect
from support.browser import ARTIFACTS, launched_browser
from support.server import ServerURL, running_server

from kgraph.iris import KGO
from kgraph.web.pages import assets

pytestmark = [pytest.mark.browser, pytest.mark.server]

PLAN = "/id/plan/kawasaki-2022/"
PJ_QUERY = (
    "SELECT ?entry ?number WHERE { ?entry a kgo:PlanEntry ; kgo:entryNumber ?number ; "
    "kgo:leadingProject ?pj } ORDER BY ?number"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_browser()


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory) -> Iterator[ServerURL]:
    """The real server with no vendor files: the query page is a plain editor.

    It also answers at most 30 rows per query (no other test here asks for more)."""
    empty = tmp_path_factory.mktemp("no-vendor-assets")
    env = {"KGRAPH_VENDOR_DIR": str(empty), "KGRAPH_MAX_ROWS": "30"}
    with running_server(env=env) as url:
        yield url


@pytest.fixture(params=["yasqe", "plain"])
def site(request) -> tuple[ServerURL, str]:
    if request.param == "yasqe":
        if not assets.editor_installed(assets.DEFAULT_VENDOR_DIR):
            pytest.skip("front-end assets not installed (make assets / "
                        "python -m kgraph.web.pages.assets install needs npm)")
        return request.getfixturevalue("server"), "yasqe"
    return request.getfixturevalue("plain_server"), "plain"


class Watch:
    """What a page did that it should not: other hosts, CSP violations, script errors,
    failed requests (a test that provokes an error answer says which status it expects)."""

    def __init__(self) -> None:
        self.foreign: list[str] = []
        self.problems: list[str] = []
        self.failed: list[tuple[int, str]] = []
        self.expected_statuses: set[int] = set()

    def check(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.problems == [], f"console errors: {self.problems}"
        unexpected = [f for f in self.failed if f[0] not in self.expected_statuses]
        assert unexpected == [], f"failed requests: {unexpected}"


@pytest.fixture
def open_page(browser: Browser, request) -> Iterator:
    """Open pages in a fresh context (Japanese unless asked); check them at the end."""
    contexts = []
    watch = Watch()

    def opener(url: str, locale: str = "ja-JP") -> Page:
        context = browser.new_context(locale=locale, accept_downloads=True,
                                      viewport={"width": 1360, "height": 1000})
        contexts.append(context)

        def route(route_, req) -> None:
            host = urlsplit(req.url).hostname
            if req.url.startswith(("blob:", "data:")) or host in ("127.0.0.1", "localhost"):
                route_.continue_()
            else:
                watch.foreign.append(req.url)
                route_.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda error: watch.problems.append(f"page error: {error}"))
        page.on("console", lambda m: _console(m, watch))
        page.on("response", lambda r: _response(r, watch))
        page.goto(url)
        return page

    opener.watch = watch
    yield opener
    for context in contexts:
        context.close()
    watch.check()


def _console(message, watch: Watch) -> None:
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        watch.problems.append(message.text)  # script errors, CSP violations


def _response(response, watch: Watch) -> None:
    path = urlsplit(response.url).path
    if response.status >= 400 and path != "/favicon.ico":  # the browser's own probe
        watch.failed.append((response.status, path))


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ready(page: Page, kind: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-query-ready", kind)


def type_query(page: Page, kind: str, text: str) -> None:
    """Replace the editor's text by typing, as a person would."""
    if kind == "yasqe":
        page.locator(".CodeMirror").click()
    else:
        page.locator("#query-text").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    if kind == "yasqe" and page.locator(".CodeMirror-hints").count():
        page.keyboard.press("Escape")  # close an autocompletion hint (YASQE: Esc also blurs)
        page.locator(".CodeMirror").click()


def editor_text(page: Page, kind: str) -> str:
    if kind == "yasqe":
        return page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    return page.locator("#query-text").input_value()


def result_rows(page: Page):
    return page.locator("table.results tbody tr")


# -- query page ----------------------------------------------------------------------------


def test_type_a_query_run_it_and_click_through(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query")
    ready(page, kind)
    assert (page.locator(".CodeMirror").count() == 1) == (kind == "yasqe")
    type_query(page, kind, PJ_QUERY)
    assert editor_text(page, kind) == PJ_QUERY
    page.keyboard.press("Control+Enter")
    expect(result_rows(page)).to_have_count(12)
    status = page.locator("#query-status").inner_text()
    assert re.match(r"12件（\d+ ミリ秒）", status), status
    first = page.locator("table.results tbody tr").first.locator("a.iri")
    expect(first).to_have_attribute("href", f"{PLAN}entry/055")
    expect(first).to_have_class(re.compile("labelled"))  # the label replaced the IRI
    expect(first).to_contain_text("水素戦略・カーボンニュートラル産業推進事業")
    assert "055" in page.locator("table.results tbody tr").first.inner_text()
    assert "?query=" in page.url  # the address now carries the query
    shot(page, f"query-results-{kind}")
    first.click()
    page.wait_for_url(re.compile(rf"{PLAN}entry/055$"))
    expect(page.locator("h1")).to_contain_text("水素戦略")
    shot(page, f"query-click-through-{kind}")


def test_load_an_example_and_run_it_with_the_button(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query", locale="en-US")
    ready(page, kind)
    page.get_by_role("link", name="Entries by leading project").click()
    assert "kgo:leadingProject" in editor_text(page, kind)
    assert page.url.endswith("/query?example=05-entries-by-leading-project")
    expect(page.locator("#query-status")).to_contain_text("Loaded the example")
    page.get_by_role("button", name="Run").click()
    expect(result_rows(page)).to_have_count(1)
    row = result_rows(page).first.inner_text()
    assert "PJ2" in row and "12" in row
    expect(page.locator("#query-status")).to_contain_text("1 result")
    # an unchanged example is shared by its name
    assert page.url.endswith("/query?example=05-entries-by-leading-project")
    shot(page, f"query-example-{kind}")
    page.get_by_role("link", name="Legal bases (laws and ordinances, their articles and "
                     "paragraphs)").click()
    assert "kgo:legalBasis" in editor_text(page, kind)
    page.go_back()  # back to the first example, in the editor too
    page.wait_for_url(re.compile(r"example=05-entries-by-leading-project$"))
    # (YASQE keeps the page's textarea, hidden, in step with its text)
    expect(page.locator("#query-text")).to_have_value(re.compile("kgo:leadingProject"))
    assert "kgo:leadingProject" in editor_text(page, kind)


def test_download_csv(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query?example=02-entries-per-policy")
    ready(page, kind)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "kgraph-results.csv"
    target = ARTIFACTS / f"entries-per-policy-{kind}.csv"
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["policyCode", "policy", "entryNumber", "entry", "programmeJa",
                       "programmeEn"]
    assert [r[2] for r in rows[1:]] == [f"{n:03d}" for n in range(55, 76)]
    assert rows[1][4] == "水素戦略・カーボンニュートラル産業推進事業"


def test_other_downloads(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query?example=05-entries-by-leading-project")
    ready(page, kind)
    for button, name in (("TSV", "kgraph-results.tsv"), ("JSON", "kgraph-results.json")):
        with page.expect_download() as download_info:
            page.get_by_role("button", name=button).click()
        assert download_info.value.suggested_filename == name
        body = Path(download_info.value.path()).read_text(encoding="utf-8")
        assert "PJ2" in body


def test_syntax_error_is_shown_with_its_position(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query", locale="en-US")
    open_page.watch.expected_statuses.add(400)
    ready(page, kind)
    type_query(page, kind, "SELECT * WHERE {\n?s a kgo:PlanEntry ;\n?p FILTER(?p = ) }")
    query = editor_text(page, kind)  # YASQE indents the lines inside { }
    # The page declares kgo: before sending, so the server sees one line more; where
    # the server's parser puts the error in what it was sent:
    try:
        ox.Store().query(f"PREFIX kgo: <{KGO}>\n{query}")
    except SyntaxError as error:
        line, col = map(int, re.search(r"error at (\d+):(\d+)", str(error)).groups())
    assert line == 4
    page.keyboard.press("Control+Enter")
    error = page.locator("#query-error")
    expect(error).to_be_visible()
    # ... and the page reports it in the text the user typed: line 3
    expect(error.locator(".error-title")).to_have_text(f"Syntax error at line 3, column {col}")
    expect(error.locator(".error-context")).to_contain_text("?p FILTER(?p = ) }")
    expect(result_rows(page)).to_have_count(0)
    if kind == "yasqe":
        expect(page.locator(".query-error-line")).to_have_count(1)
        line_box = page.locator(".query-error-line").locator("..")  # CodeMirror's line wrapper
        expect(line_box).to_contain_text("?p FILTER")
    else:
        start, end = page.evaluate(
            "(() => { const t = document.getElementById('query-text');"
            " return [t.selectionStart, t.selectionEnd]; })()")
        third_line = query.index("?p FILTER")
        assert third_line <= start <= end <= len(query)
    shot(page, f"query-error-{kind}")


def test_shared_link_reopens_the_query(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query")
    ready(page, kind)
    query = "ASK { ?e kgo:entryNumber \"055\" }"
    type_query(page, kind, query)
    page.get_by_role("button", name="実行").click()
    expect(page.locator("#query-status")).to_contain_text("真")
    shared = page.locator("#share-link").get_attribute("href")
    other = open_page(url + shared.lstrip("/"))
    ready(other, kind)
    assert editor_text(other, kind) == query


def test_construct_shows_turtle_and_downloads_it(site, open_page) -> None:
    url, kind = site
    page = open_page(url + "query", locale="en-US")
    ready(page, kind)
    type_query(page, kind, "CONSTRUCT { ?e kgo:entryNumber ?n } WHERE { ?e kgo:entryNumber ?n "
                           "FILTER(?n = \"055\") }")
    page.keyboard.press("Control+Enter")
    graph = page.locator("pre.graph-result")
    expect(graph).to_contain_text('"055"')
    expect(page.locator("#query-status")).to_contain_text("RDF graph (Turtle)")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Turtle").click()
    assert download_info.value.suggested_filename == "kgraph-results.ttl"
    assert '"055"' in Path(download_info.value.path()).read_text(encoding="utf-8")


def test_cut_off_results_are_announced(plain_server, open_page) -> None:
    page = open_page(plain_server + "query", locale="en-US")
    ready(page, "plain")
    type_query(page, "plain", "SELECT * WHERE { ?s ?p ?o }")
    page.get_by_role("button", name="Run").click()
    expect(result_rows(page)).to_have_count(30)
    expect(page.locator("#query-status")).to_contain_text(
        "30 results in")
    expect(page.locator("#query-status")).to_contain_text(
        "Cut off at the server's limit of 30 rows.")


# -- search and plan -----------------------------------------------------------------------


def test_search_for_hydrogen_finds_entry_055(server, open_page, browser) -> None:
    page = open_page(server + "search")
    page.get_by_label("検索語").fill("水素")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    results = page.locator("ol.search-results > li")
    expect(results.first.locator(".result-title a")).to_have_attribute("href", f"{PLAN}entry/055")
    expect(results.first.locator("mark").first).to_have_text("水素")
    shot(page, "search-hydrogen")
    results.first.locator(".result-title a").click()
    page.wait_for_url(re.compile(rf"{PLAN}entry/055$"))
    expect(page.locator("h1")).to_contain_text("水素戦略")


def test_open_the_plan_picture(server, open_page) -> None:
    page = open_page(server + "plan")
    svg = page.locator("svg#plan-svg")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box["width"] > 900 and box["height"] > 600
    expect(svg.locator(f'a[href="{PLAN}entry/055"]')).to_have_count(1)
    expect(svg.locator("g.pj")).to_have_count(12)
    expect(svg.locator("g.flag")).to_have_count(6)
    shot(page, "plan-ja")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Picture of the plan")
    expect(svg.locator("text").filter(has_text="Policy 8")).to_have_count(1)
    shot(page, "plan-en")
    svg.locator(f'a[href="{PLAN}entry/073"]').click()
    page.wait_for_url(re.compile(rf"{PLAN}entry/073$"))
    expect(page.locator("h1")).to_contain_text("073")
