"""The command line of the staff loop: the same diff everywhere, the user's language,
every publication recorded, and ``kgraph staff-token``.

``kgraph import-table`` prints, entry by entry and field by field, the diff that
``kgraph diff`` prints and the staff area shows; both speak Japanese when the
locale says so and ``--lang`` wins.  ``kgraph load`` and ``import-table --apply``
publish through the service layer, which records who (the user at the command
line), when and why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.env import clean_env
from test_staff_api import edit_csv

from kgraph.config import Config
from kgraph.snapshots import SnapshotStore
from kgraph.staff.accounts import Accounts
from kgraph.table.files import context_for, export_table, shipped_entries

BASE = "http://localhost:8000/"


def kgraph(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess:
    env = clean_env("LC_", "LANG", LANG=lang, KGRAPH_BASE=BASE)
    return subprocess.run([sys.executable, "-m", "kgraph.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff-cli")
    store = folder / "store"
    done = kgraph("load", "--store", str(store))
    assert done.returncode == 0, done.stderr
    config = Config(base=BASE)
    table = export_table(shipped_entries(config), context_for(config), "csv")
    edited = folder / "plan.csv"
    edited.write_bytes(edit_csv(table, "061", "事業概要", lambda t: t + "（CLI）"))
    return {"store": store, "edited": edited, "folder": folder}


def resource_lines(output: str) -> list[str]:
    """The per-resource part of a diff (the summary line follows a blank line)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "<http" in line)
    return lines[start:lines.index("", start) + 2]


def test_import_table_prints_the_diff_kgraph_diff_prints(setup):
    imported = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]))
    assert imported.returncode == 0, imported.stderr
    compared = kgraph("diff", "--store", str(setup["store"]), str(setup["edited"]))
    assert compared.returncode == 1
    assert resource_lines(imported.stdout) == resource_lines(compared.stdout)
    assert resource_lines(imported.stdout)[0] == \
        f"plan entry 061: changed  <{BASE}id/plan/kawasaki-2022/entry/061>"
    assert "overview (ja) changed:" in imported.stdout and "（CLI）］" in imported.stdout


def test_the_command_line_follows_the_locale_and_lang_wins(setup):
    japanese = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]),
                      lang="ja_JP.UTF-8")
    assert "事業 061: 変更" in japanese.stdout and "事業概要 (ja) 変更:" in japanese.stdout
    assert "検証に合格しました" in japanese.stdout
    english = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]),
                     "--lang", "en", lang="ja_JP.UTF-8")
    assert "plan entry 061: changed" in english.stdout
    token = kgraph("staff-token", "a b", lang="ja_JP.UTF-8")
    assert token.returncode == 2 and "名前に使えません" in token.stderr


def test_a_publication_from_the_command_line_is_recorded(setup):
    store = SnapshotStore(setup["store"])
    [loaded] = store.history()
    assert loaded["label"] == "load" and loaded["by"].startswith("cli:")
    applied = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]),
                     "--apply", "--summary", "061 の概要に追記")
    assert applied.returncode == 0, applied.stderr
    newest, first = store.history()
    assert first["id"] == loaded["id"] and newest["replaced"] == loaded["id"]
    assert newest["summary"] == {"ja": "061 の概要に追記", "en": "061 の概要に追記"}
    assert newest["current"] and not first["current"]
    diff = store.record_diff(newest["id"])
    assert diff["en"]["resources"][0]["name"] == "plan entry 061"


def test_importing_what_is_published_publishes_nothing(setup):
    """After the import above, the same table again: no new snapshot, said in ja/en."""
    store = SnapshotStore(setup["store"])
    before = store.history()
    current = store.current().name
    again = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]), "--apply")
    assert again.returncode == 0, again.stderr
    assert f"nothing published: the published data ({current}) already holds exactly this" \
        in again.stdout
    assert store.history() == before and store.current().name == current
    ja = kgraph("import-table", str(setup["edited"]), "--store", str(setup["store"]), "--apply",
                "--json", lang="ja_JP.UTF-8")
    assert json.loads(ja.stdout)["status"] == "unchanged"
    assert json.loads(ja.stdout)["snapshot"] == current


def test_staff_token_makes_a_line_that_signs_in(setup):
    path = setup["folder"] / "tokens"
    made = kgraph("staff-token", "tanaka", "--file", str(path))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    accounts = Accounts(str(path), None)
    assert accounts.verify(token).name == "tanaka"
    printed = kgraph("staff-token", "suzuki")
    line, = printed.stdout.splitlines()
    assert line.startswith("suzuki:") and ":scrypt:" in line
    other = printed.stderr.strip().splitlines()[-1]
    with Path(path).open("a") as out:
        out.write(line + "\n")
    assert Accounts(str(path), None).verify(other).name == "suzuki"
    assert token not in path.read_text() and other not in path.read_text()
