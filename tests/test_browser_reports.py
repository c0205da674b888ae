"""The HTML report and ``/validation`` in a real headless Chromium (Debian's), in ja and en.

The report from ``kgraph validate --format html`` is opened from disk and must need
nothing else (no other file, no other host).  ``/validation`` is opened on the real
server, followed to a focus node's page, and used to upload spreadsheets.
Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from support.browser import ARTIFACTS, launched_browser

from kgraph.config import PROJECT_ROOT, Config
from kgraph.table.files import context_for, export_table, shipped_entries

pytestmark = pytest.mark.browser

BASE = "http://localhost:8000/"

TEXTS = {
    "ja": {
        "title": "SHACL 検証レポート",
        "verdict": "適合しています（違反なし）",
        "problem": "シート「plan.csv」 3行目 G列（PJ）："
        "「PJ two」はリーディングプロジェクトの記号ではありません",
        "unchanged": "公開中のデータは変更していません。",
        "upload_note": "公開中のデータを「plan.csv」で置き換えた場合の検証結果です。",
    },
    "en": {
        "title": "SHACL validation report",
        "verdict": "conforms (no violations)",
        "problem": "sheet 'plan.csv', row 3, column G (PJ): 'PJ two' is not a leading project code",
        "unchanged": "The served data has not been changed.",
        "upload_note": "The report for the served data with 'plan.csv' in place.",
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_browser()


class Watch:
    """Requests to other hosts and console errors (CSP violations show up there)."""

    def __init__(self, page: Page, allowed: str | None) -> None:
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.allowed = allowed

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("file", "data", "about"):
            return
        if self.allowed is None or f"{parts.scheme}://{parts.netloc}" != self.allowed:
            self.foreign.append(request.url)


@pytest.fixture(scope="module")
def expected() -> dict:
    """What the report of the shipped data says, as JSON (to compare the pages with)."""
    result = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "validate", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["Violation"] == 0 and data["counts"]["Warning"] >= 21
    return data


@pytest.fixture(scope="module")
def html_reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html-reports")
    paths = {}
    for lang in ("ja", "en"):
        path = folder / f"report-{lang}.html"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kgraph.cli",
                "validate",
                "--format",
                "html",
                "--lang",
                lang,
                "-o",
                str(path),
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
        )
        assert result.returncode == 0, result.stderr
        paths[lang] = path
    return paths


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cli_html_report_renders_on_its_own(browser, html_reports, expected, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, allowed=None)
    page.goto(html_reports[lang].as_uri())
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(TEXTS[lang]["title"])
    verdict = page.locator(".verdict")
    expect(verdict).to_have_text(TEXTS[lang]["verdict"])
    # the inline styles apply: the verdict is drawn as a green badge
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(227, 244, 230)"
    expect(page.locator('[data-count="Violation"]')).to_have_text("0")
    expect(page.locator('[data-count="Warning"]')).to_have_text(str(expected["counts"]["Warning"]))
    sections = page.locator("section.focus")
    assert sections.count() == len(expected["focus_nodes"])
    first = sections.nth(0)
    expect(first.locator("tr.result td").nth(1)).to_contain_text("kgo:responsibleDepartment")
    assert watch.foreign == [] and watch.errors == []
    page.screenshot(path=str(ARTIFACTS / f"report-cli-{lang}.png"), full_page=True)
    context.close()


@pytest.fixture(scope="module")
def table_files(tmp_path_factory) -> dict[str, Path]:
    config = Config(base=BASE)
    data = export_table(shipped_entries(config), context_for(config), "csv")
    folder = tmp_path_factory.mktemp("tables")
    good, bad = folder / "good" / "plan.csv", folder / "bad" / "plan.csv"
    good.parent.mkdir()
    bad.parent.mkdir()
    good.write_bytes(data)
    bad.write_bytes(data.replace(b"PJ2", b"PJ two", 1))
    return {"good": good, "bad": bad}


@pytest.mark.server
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_validation_page_in_the_running_server(browser, server, expected, lang):
    origin = server.rstrip("/")
    context = browser.new_context(
        locale="ja-JP" if lang == "ja" else "en-GB",
        extra_http_headers={"Accept-Language": lang},
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    watch = Watch(page, allowed=origin)
    response = page.goto(server + "validation")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main h1")).to_have_text(TEXTS[lang]["title"])
    expect(page.locator(".verdict")).to_have_text(TEXTS[lang]["verdict"])
    expect(page.locator('[data-count="Warning"]')).to_have_text(str(expected["counts"]["Warning"]))
    colour = page.locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(227, 244, 230)", "reports.css is served and applied"
    page.screenshot(path=str(ARTIFACTS / f"validation-{lang}.png"), full_page=True)
    # a focus node's label leads to its page
    page.locator('section[data-focus$="/entry/055"] h3 a').click()
    page.wait_for_load_state()
    assert page.url == server + "id/plan/kawasaki-2022/entry/055"
    expect(page.locator("h1")).to_contain_text("055")
    assert watch.foreign == [] and watch.errors == []
    context.close()


@pytest.mark.server
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_spreadsheet_upload_in_the_browser(browser, server, table_files, lang):
    origin = server.rstrip("/")
    context = browser.new_context(
        extra_http_headers={"Accept-Language": lang}, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    watch = Watch(page, allowed=origin)
    page.goto(server + "validation")
    page.set_input_files("#upload-file", str(table_files["bad"]))
    with page.expect_navigation():
        page.locator("form.upload button[type=submit]").click()
    problems = page.locator("#problems")
    expect(problems).to_contain_text(TEXTS[lang]["problem"])
    expect(problems).to_contain_text(TEXTS[lang]["unchanged"])
    page.screenshot(path=str(ARTIFACTS / f"validation-upload-refused-{lang}.png"), full_page=True)

    page.set_input_files("#upload-file", str(table_files["good"]))
    with page.expect_navigation():
        page.locator("form.upload button[type=submit]").click()
    expect(page.locator("#upload-note")).to_contain_text(TEXTS[lang]["upload_note"])
    expect(page.locator(".verdict")).to_have_text(TEXTS[lang]["verdict"])
    page.screenshot(path=str(ARTIFACTS / f"validation-upload-{lang}.png"), full_page=True)
    # the upload error page answered 400 on purpose; nothing else went wrong
    assert watch.foreign == []
    assert [e for e in watch.errors if "400" not in e] == []
    context.close()
