"""The one message catalogue, and the one rule for choosing the language."""

from __future__ import annotations

import re
import subprocess

import pytest

from kgraph.config import PROJECT_ROOT
from kgraph.messages import LANGS, catalogue, choose

PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")
#: Placeholders that name the Japanese form of a value ({kind} / {kind_ja}).
JA_FORMS = re.compile(r"_ja$")


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_message_is_in_both_languages_with_the_same_values(key):
    entry = catalogue()[key]
    assert set(entry) == set(LANGS), key
    assert all(entry[lang].strip() for lang in LANGS), key
    names = {lang: {n for n in PLACEHOLDER.findall(entry[lang])} for lang in LANGS}
    # A Japanese text may use the Japanese form of a value ({kind_ja} for {kind}).
    ja = {JA_FORMS.sub("", n) for n in names["ja"]}
    en = {JA_FORMS.sub("", n) for n in names["en"]}
    assert ja == en, (key, names)


@pytest.mark.parametrize(("explicit", "accepted", "locale", "expected"), [
    ("en", ["ja"], "ja_JP.UTF-8", "en"),        # an explicit choice wins
    (None, ["en-GB", "ja"], None, "en"),        # then Accept-Language, best first
    (None, ["fr", "ja;q=0.5"], None, "ja"),
    (None, ["fr"], None, "ja"),                 # nothing known: Japanese
    (None, None, "ja_JP.UTF-8", "ja"),          # the locale (the command line)
    (None, None, "C.UTF-8", "en"),              # C/POSIX messages are English
    (None, None, "de_DE.UTF-8", "en"),
    (None, None, None, "ja"),
    ("xx", None, None, "ja"),                   # an unknown explicit choice is ignored
])
def test_one_rule_for_the_language(explicit, accepted, locale, expected):
    accepted = [a.split(";")[0] for a in accepted] if accepted else None
    assert choose(explicit, accepted, locale) == expected


def test_no_module_keeps_a_catalogue_of_its_own():
    """Pairs of Japanese and English literals belong in the catalogue: a module that
    defines a dict of them (``{"ja": ..., "en": ...}``) or ``Message(en, ja)`` is a
    second catalogue."""
    found = subprocess.run(
        ["grep", "-rnE", r'\{"ja": "|Message\("[A-Z]', "kgraph", "--include=*.py"],
        capture_output=True, text=True, cwd=PROJECT_ROOT,
    ).stdout
    assert found == "", found
