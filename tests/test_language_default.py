"""With nothing said, every answer is Japanese: pages, errors and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pyoxigraph as ox

from kgraph.config import Config
from kgraph.web import create_app
from kgraph.web.state import AppState

BASE = "http://kg.test/"


def client_without_language():
    config = Config(base=BASE, cache_dir=None)
    client = create_app(config, AppState.for_store(config, ox.Store())).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ""  # says nothing
    return client


def test_an_error_with_no_accept_language_is_japanese():
    answer = client_without_language().get("/sparql", query_string={"query": ""})
    assert answer.status_code == 400
    assert answer.headers["Content-Language"] == "ja"
    assert "クエリが空です" in answer.get_data(as_text=True)


def test_a_page_with_no_accept_language_is_japanese():
    answer = client_without_language().get("/query")
    assert answer.headers["Content-Language"] == "ja"


def test_accept_language_then_the_explicit_choice():
    client = client_without_language()
    english = client.get("/sparql", query_string={"query": ""},
                         headers={"Accept-Language": "fr, en;q=0.8"})
    assert "The query is empty." in english.get_data(as_text=True)
    chosen = client.get("/sparql", query_string={"query": "", "lang": "ja"},
                        headers={"Accept-Language": "en"})
    assert "クエリが空です" in chosen.get_data(as_text=True)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "kgraph.cli", *args], capture_output=True,
                          text=True, env=environ, timeout=120)


def test_the_command_line_follows_the_locale_and_lang_wins():
    missing = "/nonexistent/plan.csv"
    japanese = run_cli("import-table", missing, LANG="ja_JP.UTF-8")
    english = run_cli("import-table", missing, LANG="C.UTF-8")
    chosen = run_cli("import-table", missing, "--lang", "en", LANG="ja_JP.UTF-8")
    assert "ファイルがありません" in japanese.stderr, japanese.stderr
    assert "no such file" in english.stderr, english.stderr
    assert "no such file" in chosen.stderr, chosen.stderr
