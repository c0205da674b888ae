"""The words of the reports, in Japanese and English, from the one catalogue.

``report.*`` entries name the parts of a report, ``constraint.*`` the SHACL
constraint components in plain words; every format (text, table, JSON, HTML, the
web page) says the same thing in the same words.
"""

from __future__ import annotations

from ..messages import LANGS, has, text


def t(key: str, lang: str, **values: object) -> str:
    """The report string ``key`` in ``lang``."""
    return text(f"report.{key}", lang, **values)


def constraint_words(component: str, lang: str) -> str:
    """Plain words for a constraint component IRI, or its local name."""
    local = component.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return text(f"constraint.{local}", lang) if has(f"constraint.{local}") else local


def check_lang(lang: str | None) -> str:
    """``ja`` or ``en``; anything else is a programming error."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r} (known: ja, en)")
    return lang
