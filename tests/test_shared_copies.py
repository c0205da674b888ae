"""The vendored copies of ../shared are byte-identical to the originals where those exist."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COPIES = {
    "source": ROOT / "source",
    "w3c": ROOT / "tests" / "w3c",
    "dcat-ap": ROOT / "tests" / "dcat-ap",
}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not present on this machine")
@pytest.mark.parametrize("name", sorted(COPIES))
def test_copy_is_identical(name: str) -> None:
    original = SHARED / name
    copy = COPIES[name]
    originals = sorted(p.relative_to(original) for p in original.rglob("*") if p.is_file())
    assert originals, f"nothing found under {original}"
    for rel in originals:
        assert (copy / rel).read_bytes() == (original / rel).read_bytes(), rel
