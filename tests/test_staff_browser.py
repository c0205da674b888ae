"""The staff loop in a real headless Chromium (Debian's), against the real server.

In Japanese and in English, as a member of staff would: sign in with a token,
download the current table as XLSX, edit one cell in it, upload it, read the diff,
publish, see the change on the entry's page, restore the previous version from the
history, and see the change gone.  No page may load anything from another host,
break its Content-Security-Policy or raise a script error.  Screenshots go to
tests/artifacts/staff-*.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from support.browser import ARTIFACTS, launched_browser
from support.server import ServerURL, running_server
from test_staff_api import make_store, make_tokens

pytestmark = [pytest.mark.browser, pytest.mark.server]

ENTRY = "id/plan/kawasaki-2022/entry/"

#: Per language: the browser's locale, the entry edited, what is added, the words seen.
WALKS = {
    "ja": ("ja-JP", "066", "（ブラウザーで追記）",
           {"compare": "比較する", "publish": "公開する", "restore": "この版に戻す",
            "signin": "サインイン", "changed": "変更", "summary": "資源 1 件に違い",
            "current": "現在公開中", "field": "事業概要 (ja)"}),
    "en": ("en-US", "067", " (added in a browser)",
           {"compare": "Compare", "publish": "Publish", "restore": "Restore this version",
            "signin": "Sign in", "changed": "changed", "summary": "1 resource(s) differ",
            "current": "Current", "field": "overview (ja)"}),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[ServerURL, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("staff-browser")
    store = make_store(folder / "store")
    tokens = make_tokens(folder / "tokens", "sato", "smith")
    with running_server("--store", str(store), "--staff-accounts", str(folder / "tokens")) as url:
        yield url, tokens


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_browser()


class Watch:
    """What pages did that they should not: other hosts, script errors, CSP violations."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", lambda m: self.problems.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}.png"), full_page=True)


def edited_xlsx(data: bytes, number: str, addition: str) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["事業一覧"]
    header = [cell.value for cell in sheet[1]]
    column, entry = header.index("事業概要") + 1, header.index("事業No.") + 1
    for row in range(3, sheet.max_row + 1):
        if sheet.cell(row, entry).value == number:
            sheet.cell(row, column).value += addition
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", list(WALKS))
def test_sign_in_upload_publish_restore(site, browser, lang, tmp_path) -> None:
    url, tokens = site
    locale, number, addition, words = WALKS[lang]
    token = tokens["sato" if lang == "ja" else "smith"]
    context = browser.new_context(locale=locale, accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    foreign: list[str] = []

    def route(route_, request) -> None:
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost") or \
                request.url.startswith(("data:", "blob:")):
            route_.continue_()
        else:
            foreign.append(request.url)
            route_.abort()

    context.route("**/*", route)
    watch = Watch()
    page = context.new_page()
    watch.attach(page)
    try:
        # The footer of every page links the staff area; it asks for a token.
        page.goto(url)
        page.locator("#staff-link").click()
        page.wait_for_url(re.compile(r"/staff$"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.locator("#token").fill(token)
        shot(page, f"{lang}-0-sign-in")
        page.get_by_role("button", name=words["signin"]).click()
        expect(page.locator("#signed-in-as")).to_be_visible()
        shot(page, f"{lang}-1-home")

        # Download the current table, edit one cell as in Excel, upload it.
        with page.expect_download() as download:
            page.locator("#download-xlsx").click()
        original = Path(download.value.path()).read_bytes()
        upload = tmp_path / "plan.xlsx"
        upload.write_bytes(edited_xlsx(original, number, addition))
        page.locator("#upload-file").set_input_files(str(upload))
        page.get_by_role("button", name=words["compare"]).click()
        page.wait_for_url(re.compile(r"/staff/changes/[0-9a-f]{16}$"))

        # Read the diff: one entry, its overview, the addition marked.
        expect(page.locator("#diff-summary")).to_contain_text(words["summary"])
        resource = page.locator("#diff section.resource")
        expect(resource).to_have_count(1)
        expect(resource.locator("h3")).to_contain_text(number)
        expect(resource.locator("tbody th")).to_contain_text(words["field"])
        expect(resource.locator("ins")).to_have_text(addition)
        expect(page.locator("#verdict")).to_have_attribute("data-conforms", "true")
        shot(page, f"{lang}-2-diff")

        # Publish; the entry's page shows the change.
        page.get_by_role("button", name=words["publish"]).click()
        page.wait_for_url(re.compile(r"/staff/history/[0-9T.]+-[0-9a-f]{8}-staff$"))
        expect(page.locator("#current")).to_contain_text(words["current"])
        shot(page, f"{lang}-3-published")
        page.goto(url + ENTRY + number)
        expect(page.locator("main")).to_contain_text(addition.strip())
        shot(page, f"{lang}-4-entry-changed")

        # Restore the previous version from the history; the change is gone.
        page.goto(url + "staff/history")
        rows = page.locator("table.history tbody tr")
        expect(rows.first.locator(".current-mark")).to_have_text(words["current"])
        shot(page, f"{lang}-5-history")
        rows.nth(1).get_by_role("button", name=words["restore"]).click()
        page.wait_for_url(re.compile(r"/staff/history/[0-9T.]+-[0-9a-f]{8}-restore$"))
        expect(page.locator("#current")).to_be_visible()
        shot(page, f"{lang}-6-restored")
        page.goto(url + ENTRY + number)
        expect(page.locator("h1")).to_be_visible()
        assert addition.strip() not in page.locator("main").inner_text()
        shot(page, f"{lang}-7-entry-restored")
    finally:
        context.close()
    assert foreign == [], foreign
    assert watch.problems == [], watch.problems
