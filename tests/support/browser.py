"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright.

The flags keep Chromium off the network (this machine's network is closed: without
them it tries Google's hosts at every start) and give each launch a fresh profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Screenshots and downloads the browser tests keep.
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def launched_browser() -> Iterator[Browser]:
    """For a fixture: the browser, closed afterwards; a skip naming the fix when
    Debian's chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
