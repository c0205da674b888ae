"""The suite's own order: the longest files named in conftest.py exist and come first."""

from __future__ import annotations

from pathlib import Path

from conftest import LONGEST_FILES

TESTS = Path(__file__).parent


def test_every_longest_file_exists() -> None:
    assert [name for name in LONGEST_FILES if not (TESTS / name).is_file()] == []


def test_the_longest_files_are_collected_first(request) -> None:  # type: ignore[no-untyped-def]
    files = list(dict.fromkeys(item.path.name for item in request.session.items))
    collected = [name for name in files if name in LONGEST_FILES]
    assert collected == [name for name in LONGEST_FILES if name in files]
    assert files[: len(collected)] == collected
