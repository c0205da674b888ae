"""The reader's language (Japanese or English) and the UI strings in both.

The language is chosen, in this order, by a ``?lang=ja|en`` query parameter (which
also sets a cookie, so that the switch sticks), by the ``lang`` cookie, and by the
``Accept-Language`` header (Werkzeug's parser).  Every page template gets ``lang``,
``t`` (look up a UI string), ``switch_url`` and ``LANGS`` from the context processor
registered here, so that all helpers' pages share one switch.

The rule is :func:`kgraph.messages.choose`, the one every part of kgraph uses; UI
strings are the ``ui.*`` entries of the one catalogue (``kgraph/messages``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

from ...messages import DEFAULT, LANGS, choose, text

DEFAULT_LANG = DEFAULT
COOKIE = "lang"
PARAM = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600



def get_lang() -> str:
    """The reader's language for this request (computed once per request)."""
    lang = getattr(g, "kgraph_lang", None)
    if lang is None:
        lang = _choose(request.args.get(PARAM), request.cookies.get(COOKIE))
        g.kgraph_lang = lang
    return lang


def _choose(param: str | None, cookie: str | None) -> str:
    explicit = param if param in LANGS else cookie if cookie in LANGS else None
    accepted = [tag for tag, quality in request.accept_languages if quality > 0]
    return choose(explicit, accepted)


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The UI string ``ui.key`` in ``lang`` (default: the reader's language)."""
    return text(f"ui.{key}", lang or get_lang(), **values)


def switch_url(lang: str) -> str:
    """This page with ``?lang=`` set, for the language switch: a query-only reference
    (this same page), so nothing in the request's path can make it point elsewhere
    (``/\\evil.example`` would be another host to a browser)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM]
    args.append((PARAM, lang))
    return f"?{urlencode(args)}"


T = TypeVar("T")


def prefer(items: Iterable[T], lang_of, lang: str | None = None) -> list[T]:
    """Items sorted so that the reader's language comes first, then untagged, then others."""
    lang = lang or get_lang()

    def rank(item: T) -> int:
        tag = (lang_of(item) or "").lower()
        if tag == lang or tag.startswith(lang + "-"):
            return 0
        if not tag:
            return 1
        return 2 if tag in LANGS else 3

    return sorted(items, key=rank)


bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def _template_globals() -> dict[str, object]:
    lang = get_lang()
    return {"lang": lang, "t": t, "switch_url": switch_url, "LANGS": LANGS}


@bp.after_app_request
def _remember_choice(response: Response) -> Response:
    """Make an explicit ``?lang=`` stick, and tell caches that HTML varies by language."""
    chosen = request.args.get(PARAM)
    if chosen in LANGS and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        response.headers.setdefault("Content-Language", get_lang())
    return response
