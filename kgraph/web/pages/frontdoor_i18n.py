"""The query page script's strings, from the one catalogue (``ui.query.js.*``)."""

from __future__ import annotations

from ...messages import Group

_UI = Group("ui")
PREFIX = "query.js."


def script_messages(lang: str) -> dict[str, str]:
    """The query page script's strings in one language (keys without ``query.js.``)."""
    return {key[len(PREFIX):]: _UI[key](lang) for key in _UI if key.startswith(PREFIX)}
