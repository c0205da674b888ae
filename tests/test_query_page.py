"""``/query`` through Flask's test client, and the front-end asset installer.

What the page does in a browser is tested in test_browser_query.py; here: what the
server sends (no inline script, everything local, the example catalogue, the query
carried by the URL) and the request-time check for the vendor files.
"""

from __future__ import annotations

import json
import subprocess
import sys

import html5lib
import pyoxigraph as ox
import pytest

from kgraph.config import Config
from kgraph.examples import load_examples
from kgraph.iris import PREFIXES
from kgraph.web import create_app
from kgraph.web.pages import assets
from kgraph.web.state import AppState

BASE = "http://kgraph.test/"


def client_for(vendor_dir) -> object:
    config = Config(base=BASE, cache_dir=None, vendor_dir=str(vendor_dir))
    return create_app(config, AppState.for_store(config, ox.Store())).test_client()


def fake_vendor(directory) -> None:
    for item in assets.VENDOR_FILES:
        path = directory / item.target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {item.package} */\n")


def get(client, url: str, lang: str = "ja"):
    response = client.get(url, headers={"Accept": "text/html", "Accept-Language": lang})
    return response, html5lib.parse(response.data, namespaceHTMLElements=False)


def config_of(tree) -> dict:
    block = tree.find(".//script[@id='query-config']")
    assert block.get("type") == "application/json"
    return json.loads(block.text)


def test_page_has_no_inline_script_and_loads_only_local_files(tmp_path) -> None:
    fake_vendor(tmp_path)
    response, tree = get(client_for(tmp_path), "/query")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for script in tree.iter("script"):
        assert script.get("src") or script.get("type") == "application/json"
        if script.get("src"):
            assert script.get("src").startswith("/")
    for link in tree.iter("link"):
        if link.get("rel") == "stylesheet":
            assert link.get("href").startswith("/")
    sources = [s.get("src") for s in tree.iter("script") if s.get("src")]
    assert sources == ["/vendor/yasqe/yasqe.min.js", "/static/js/query-page.js"]


def test_vendor_files_are_detected_per_request(tmp_path) -> None:
    client = client_for(tmp_path)
    _, tree = get(client, "/query", "en")
    assert config_of(tree)["editor"] == "plain"
    assert "Syntax highlighting is not available" in "".join(tree.find(".//main").itertext())
    assert client.get("/vendor/yasqe/yasqe.min.js").status_code == 404
    fake_vendor(tmp_path)  # installed while the server runs
    _, tree = get(client, "/query", "en")
    assert config_of(tree)["editor"] == "yasqe"
    served = client.get("/vendor/yasqe/yasqe.min.js")
    assert served.status_code == 200 and b"@zazuko/yasqe" in served.data
    assert client.get("/vendor/manifest.json").status_code == 404  # only the listed files
    assert client.get("/vendor/../pyproject.toml").status_code == 404


def test_examples_are_listed_in_the_page_language(tmp_path) -> None:
    client = client_for(tmp_path)
    examples = load_examples()
    for lang in ("ja", "en"):
        _, tree = get(client, "/query", lang)
        listed = tree.findall(".//ol[@class='examples']/li/a")
        assert [a.get("data-example") for a in listed] == [e.name for e in examples]
        assert [a.text for a in listed] == [e.title(lang) for e in examples]
        assert all(a.get("href") == f"/query?example={a.get('data-example')}" for a in listed)
        assert config_of(tree)["examples"] == {e.name: e.text for e in examples}


def test_the_url_carries_the_query(tmp_path) -> None:
    client = client_for(tmp_path)
    _, tree = get(client, "/query")
    first = load_examples()[0]
    assert tree.find(".//textarea[@id='query-text']").text == first.text
    _, tree = get(client, "/query?example=05-entries-by-leading-project")
    assert "kgo:leadingProject" in tree.find(".//textarea").text
    _, tree = get(client, "/query?example=entries-by-leading-project")  # without the number
    assert "kgo:leadingProject" in tree.find(".//textarea").text
    text = "SELECT * WHERE { ?s rdfs:label \"<b>&\" }"
    response, tree = get(client, "/query?query=" + text.replace("&", "%26"))
    assert tree.find(".//textarea").text == text
    assert b"<b>&" not in response.data  # escaped in the page
    assert tree.find(".//a[@id='share-link']").get("href").startswith("/query?query=SELECT")
    missing, _ = get(client, "/query?example=nope")
    assert missing.status_code == 404


def test_script_gets_endpoint_base_prefixes_and_messages(tmp_path) -> None:
    _, tree = get(client_for(tmp_path), "/query", "en")
    config = config_of(tree)
    assert config["endpoint"] == "/sparql"
    assert config["base"] == BASE
    assert config["prefixes"] == PREFIXES
    assert config["lang"] == "en"
    assert config["messages"]["syntax"] == "Syntax error at line {line}, column {col}"
    _, tree = get(client_for(tmp_path), "/query", "ja")
    assert config_of(tree)["messages"]["syntax"] == "構文エラー：{line}行目 {col}文字目"


def test_examples_json(tmp_path) -> None:
    response = client_for(tmp_path).get("/query/examples.json")
    body = json.loads(response.data)
    assert response.mimetype == "application/json"
    assert len(body) == len(load_examples()) >= 15
    assert set(body[0]) == {"name", "title", "description", "query"}
    assert set(body[0]["title"]) == {"ja", "en"}


# -- the installer ------------------------------------------------------------------------


def test_copy_vendor_files_from_node_modules(tmp_path) -> None:
    root = tmp_path / "project"
    for item in assets.VENDOR_FILES:
        source = root / "node_modules" / item.source
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("built")
        (root / "node_modules" / item.package / "package.json").write_text('{"version": "9.9.9"}')
    target = tmp_path / "vendor"
    copied = assets.copy_vendor_files(root, target)
    assert sorted(p.relative_to(target).as_posix() for p in copied) == sorted(
        f.target for f in assets.VENDOR_FILES
    )
    assert assets.editor_installed(target)
    assert assets.installed_versions(target) == {"@zazuko/yasqe": "9.9.9"}


def test_missing_node_modules_or_npm_is_a_clear_error(tmp_path, monkeypatch) -> None:
    with pytest.raises(assets.AssetError, match=r"not found \(did `npm ci` run\?\)"):
        assets.copy_vendor_files(tmp_path, tmp_path / "vendor")
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed"):
        assets.npm_install(tmp_path)


def test_status_command(tmp_path) -> None:
    empty = subprocess.run(
        [sys.executable, "-m", "kgraph.web.pages.assets", "status", "--target", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert empty.returncode == 1 and "plain editor" in empty.stdout
    fake_vendor(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "kgraph.web.pages.assets", "status", "--target", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert ok.returncode == 0 and "installed in" in ok.stdout


def test_package_lock_pins_the_editor() -> None:
    lock = json.loads((assets.PROJECT_ROOT / "package-lock.json").read_text())
    package = json.loads((assets.PROJECT_ROOT / "package.json").read_text())
    pinned = package["dependencies"]["@zazuko/yasqe"]
    assert pinned[0].isdigit()  # an exact version, not a range
    assert lock["packages"]["node_modules/@zazuko/yasqe"]["version"] == pinned
