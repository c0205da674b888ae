"""The endpoint's form decoding gives exactly what the plain library gives:
``_parse_qs`` against ``urllib.parse.parse_qsl``.  (The query text itself is read
only in the sandbox: tests/test_hostile_findings.py.)"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgraph.examples import load_examples
from kgraph.web.http.errors import ApiError
from kgraph.web.sparql.protocol import _parse_qs

BASE = "http://base.example/"

PIECES = [*"%\\+ax0F9gé日&=;", "%41", "%E6%97%A5", "%5C", "%25", "%ff", "%e3%81", "%2B", "%4", "%%"]


def _stdlib(text: str) -> list[tuple[str, str]] | None:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def _ours(text: str) -> list[tuple[str, str]] | None:
    try:
        return _parse_qs(text)
    except ApiError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_form_decoding_agrees_with_parse_qsl(text: str) -> None:
    assert _ours(text) == _stdlib(text)


@pytest.mark.parametrize(
    "text",
    ["a%5Cb", "%5C%5Cx41", "\\x41%41", "%zz%4", "100%", "a+b%2B", "\\\\", "\\%41", "%%41",
     "query=SELECT+*+%7B%7D&format=json&format=", "a&&b=&=c", "\\N{DIGIT ONE}%41"],
)
def test_form_decoding_edge_cases(text: str) -> None:
    assert _ours(text) == _stdlib(text)


def test_invalid_utf8_escape_is_refused() -> None:
    with pytest.raises(ApiError) as info:
        _parse_qs("query=%E6%97")
    assert info.value.code == 400


def test_example_forms_round_trip() -> None:
    for example in load_examples():
        body = urlencode([("query", example.text), ("default-graph-uri", BASE + "g")])
        assert _parse_qs(body) == [("query", example.text), ("default-graph-uri", BASE + "g")]
