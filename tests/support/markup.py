"""Whether an HTML page could run anything that data or a request put into it.

The page is parsed as a browser would (html5lib), and every element that could act
is checked: a ``<script>`` must be either a file of this site or a data block
(``application/ld+json`` or ``application/json``) that parses as JSON, so that a
``</script>`` in a literal did not end it early; no element carries an event
handler attribute (``onerror=``); no link, form or frame leads to ``javascript:``
or ``data:`` (images may use ``data:``); no ``<iframe>``, ``<object>``, ``<embed>``
or ``<base>`` appears.
"""

from __future__ import annotations

import json

import html5lib

DATA_BLOCKS = ("application/ld+json", "application/json")
FORBIDDEN = {"iframe", "object", "embed", "base", "frame", "applet"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def assert_no_active_markup(html: str) -> None:
    document = html5lib.parse(html, namespaceHTMLElements=True)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element.tag)
        assert tag not in FORBIDDEN, f"<{tag}> in the page"
        attributes = {_local(k): v for k, v in element.attrib.items()}
        handlers = [k for k in attributes if k.startswith("on")]
        assert not handlers, f"<{tag}> has event handlers {handlers}"
        for name in URL_ATTRIBUTES:
            value = "".join(attributes.get(name, "").split()).lower()
            if value.startswith("javascript:") or (value.startswith("data:") and tag != "img"
                                                   and tag != "link"):
                raise AssertionError(f"<{tag} {name}={attributes[name]!r}>")
        if tag == "script":
            kind = attributes.get("type", "").lower()
            if "src" in attributes:
                src = attributes["src"]
                assert src.startswith("/") and not src.startswith("//"), f"script from {src}"
                assert not (element.text or "").strip(), "a script with src and a body"
            else:
                assert kind in DATA_BLOCKS, f"an inline script of type {kind!r}"
                json.loads(element.text or "null")
