"""Cell text in and out of spreadsheets: formula injection and broken characters.

Formula injection.  A spreadsheet application evaluates a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and some treat a leading tab or carriage return the
same way).  On export such a text is protected:

- in CSV, by one leading apostrophe ``'``, which applications show as text.  To
  keep the round trip exact, a text that itself starts with ``'`` also gets one,
  and import removes exactly one leading ``'`` from every cell that has it;
- in XLSX, the cell is stored as a string (never as a formula) with the
  "quote prefix" style, so the text is kept as it is, with no apostrophe.

On import, a CSV cell that starts with one of those characters without the
apostrophe, and an XLSX cell that holds a formula, are refused: the data never
takes in what a spreadsheet may have computed.

Broken characters.  Every cell is checked for the signs of a wrong character
encoding: the replacement character U+FFFD, control characters, lone surrogates,
and text that reads as Japanese once its characters are taken back to the bytes
a wrong decoding made of them (mojibake such as ``æ°´ç´ ``).
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def protect_csv(text: str) -> str:
    """The CSV form of a cell's text (see module notes)."""
    if text.startswith((*FORMULA_START, QUOTE)):
        return QUOTE + text
    return text


def unprotect_csv(text: str) -> str:
    return text[1:] if text.startswith(QUOTE) else text


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


# OOXML escapes characters XML cannot hold as _xHHHH_; a literal "_x" is "_x005F_x".
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def escape_ooxml(text: str) -> str:
    """Escape a literal ``_xHHHH_`` the way Excel does, so that import reads it back."""
    return _OOXML_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text) if "_x" in text else text


def unescape_ooxml(text: str) -> str:
    """Decode ``_xHHHH_`` escapes (how Excel stores control characters)."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def broken_text(text: str) -> tuple[str, str] | None:
    """Why a cell's text looks damaged, in (ja, en); ``None`` when it looks fine."""
    if "\ufffd" in text:
        return (
            "置換文字「\ufffd」を含みます。文字コードを誤って読み書きしたため文字が壊れています。",
            "it contains the replacement character \ufffd: the text was damaged by a wrong "
            "character encoding",
        )
    fixed = mojibake_of(text)
    if fixed is not None:
        return (
            f"文字化けしています（本来は「{_short(fixed)}」と思われます）。"
            "UTF-8 で保存し直してください。",
            f"the text is garbled (mojibake; it probably reads 「{_short(fixed)}」). "
            "Save the file as UTF-8 again",
        )
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return (
                f"壊れた文字（孤立したサロゲート U+{code:04X}）を含みます。",
                f"it contains a broken character (lone surrogate U+{code:04X})",
            )
        if char not in "\n\t" and unicodedata.category(char) == "Cc":
            return (
                f"表示できない制御文字 U+{code:04X} を含みます。",
                f"it contains the control character U+{code:04X}, which is not text",
            )
        if code in (0xFFFE, 0xFFFF):
            return (
                f"文字でない符号 U+{code:04X} を含みます。",
                f"it contains the non-character U+{code:04X}",
            )
    return None


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def mojibake_of(text: str) -> str | None:
    """The Japanese text that a wrongly decoded cell was, if that is what it is."""
    if text.isascii():
        return None
    for wrong in ("cp1252", "latin-1", "cp932"):
        try:
            fixed = text.encode(wrong).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if (
            fixed != text
            and _japanese_share(fixed) > 0.5
            and _japanese_share(fixed) > _japanese_share(text)
        ):
            return fixed
    return None


def _japanese_share(text: str) -> float:
    wide = [c for c in text if not c.isascii() and not c.isspace()]
    if not wide:
        return 0.0
    names = sum(
        1
        for c in wide
        if "\u3040" <= c <= "\u30ff"
        or "\u4e00" <= c <= "\u9fff"
        or "\uff00" <= c <= "\uffef"
        or c in "、。「」・●（）"
    )
    return names / len(wide)
