"""One message catalogue, and one rule for choosing the reader's language.

Every user-visible message and UI string lives in ``catalogue.toml`` beside this
module, in Japanese and English, under a key ``group.name``.  Pages, error
answers, reports and the command line all take their words from here, and all
choose the language by :func:`choose`:

1. an explicit choice (``?lang=``, the language cookie, ``--lang``);
2. else what the reader's software says (``Accept-Language``; the locale, where
   ``C``/``POSIX`` is English);
3. else Japanese: the plan is a Japanese document.

>>> text("status.404", "ja")
'見つかりません。'
>>> message("sparql.repeated").format(name="query")("en")
"The parameter 'query' was given more than once; give exactly one."
>>> choose(explicit=None, accepted=["fr", "en"])
'en'
>>> choose(locale="ja_JP.UTF-8"), choose(locale="C.UTF-8"), choose()
('ja', 'en', 'ja')
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("ja", "en")
#: When nothing says otherwise: the plan is a Japanese document.
DEFAULT = "ja"

CATALOGUE = Path(__file__).with_name("catalogue.toml")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every entry, by its full key (``group.name``)."""
    data = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    return {f"{group}.{name}": entry for group, entries in data.items()
            for name, entry in entries.items()}


def text(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (Japanese for a language it does not have)."""
    entry = catalogue()[key]
    words = entry.get(lang) or entry[DEFAULT]
    return words.format(**values) if values else words


def has(key: str) -> bool:
    return key in catalogue()


@dataclass(frozen=True)
class Message:
    """A catalogue message with its values, to be said in the reader's language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, lang: str) -> str:
        return text(self.key, lang, **self.values)

    def format(self, **values: object) -> Message:
        return Message(self.key, {**self.values, **values})

    @property
    def en(self) -> str:
        return self("en")

    @property
    def ja(self) -> str:
        return self("ja")


def message(key: str) -> Message:
    if key not in catalogue():
        raise KeyError(f"no message {key!r} in {CATALOGUE.name}")
    return Message(key)


class Group(Mapping[str, Message]):
    """The messages of one group, by name: ``Group("sparql")["repeated"]``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, key: str) -> Message:
        return message(f"{self.name}.{key}")

    def __iter__(self):  # type: ignore[no-untyped-def]
        prefix = self.name + "."
        return (k[len(prefix):] for k in catalogue() if k.startswith(prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def choose(explicit: str | None = None, accepted: Iterable[str] | None = None,
           locale: str | None = None) -> str:
    """The language by the one rule (see the module docstring).  ``accepted`` is the
    reader's languages, best first (tags like ``en-GB`` match ``en``)."""
    if explicit in LANGS:
        return explicit  # type: ignore[return-value]
    for tag in accepted or ():
        base = tag.lower().split("-")[0].split("_")[0]
        if base in LANGS:
            return base
        if base == "*":
            break
    if locale:
        name = locale.split(".")[0].split("@")[0]
        if name in ("C", "POSIX"):
            return "en"
        base = name.lower().split("_")[0]
        if base in LANGS:
            return base
        if base:
            return "en"  # a locale in another language: English is closer than Japanese
    return DEFAULT


def locale_language() -> str | None:
    """The locale the environment names for messages (``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``, in POSIX order), or ``None``."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value
    return None
