"""Refuse RDF documents that would crash or exhaust the parser, before parsing them.

pyoxigraph 0.5.13 parses JSON-LD and RDF/XML recursively: about 10,000 levels of
nesting overflow the stack and kill the process that parses (SIGSEGV, measured; for
an upload that is the web worker), and the time grows with the square of the depth
(3,000 levels of JSON-LD: 2 s; 30,000 levels of RDF/XML: 18 s).  Its RDF/XML parser
also expands the entities of an internal DTD without limit, so a "billion laughs"
document of 1 KB becomes gigabytes in memory.  Turtle, TriG, N-Triples and N-Quads
are parsed iteratively (100,000 nested collections: 0.5 s) and need no check.

Real documents nest a few dozen levels at most and use DTD entities, if at all, as
short namespace abbreviations (``&rdf;``), so the limits below refuse only bombs.
"""

from __future__ import annotations

import re
from itertools import accumulate
from xml.parsers import expat

import pyoxigraph as ox

#: Deepest nesting of JSON arrays/objects or XML elements accepted.
MAX_NESTING = 256
#: Entity expansion allowed on top of the document's own size (bytes of text).
EXPANSION_ALLOWANCE = 1_000_000


class DocumentTooComplex(ValueError):
    """A document refused before parsing; the message says what and where."""


def check_document(data: bytes, fmt: ox.RdfFormat) -> None:
    """Raise :class:`DocumentTooComplex` for a JSON-LD or RDF/XML bomb."""
    if fmt == ox.RdfFormat.JSON_LD:
        check_json(data)
    elif fmt == ox.RdfFormat.RDF_XML:
        check_xml(data)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_DEPTH_STEP = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _DEPTH_STEP)


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays (strings skipped).

    With no more opening brackets than :data:`MAX_NESTING` in the whole text, that
    count bounds the depth and is returned without a scan.
    """
    openers = data.count(b"{") + data.count(b"[")
    if openers <= MAX_NESTING:
        return openers
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def check_json(data: bytes) -> None:
    depth = json_depth(data)
    if depth > MAX_NESTING:
        raise DocumentTooComplex(
            f"JSON nested {depth} levels deep; at most {MAX_NESTING} are accepted"
        )


class _XmlLimits:
    """Expat handlers that stop at too deep nesting or too much entity expansion."""

    def __init__(self, parser: expat.XMLParserType, size: int) -> None:
        self.parser = parser
        self.depth = 0
        self.text = 0
        self.limit = size + EXPANSION_ALLOWANCE

    def start(self, _name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise DocumentTooComplex(
                f"XML elements nested more than {MAX_NESTING} levels deep "
                f"(line {self.parser.CurrentLineNumber})"
            )
        self.count(sum(len(v) for v in attributes.values()))

    def end(self, _name: str) -> None:
        self.depth -= 1

    def count(self, size: int) -> None:
        self.text += size
        if self.text > self.limit:
            raise DocumentTooComplex(
                "XML entities expand to more text than the document could hold "
                f"(over {self.limit} characters by line {self.parser.CurrentLineNumber})"
            )


def check_xml(data: bytes) -> None:
    """Walk the document with expat (no external entities are read).

    A document that expat finds malformed is left to the RDF/XML parser, which says
    what is wrong in its own words.
    """
    parser = expat.ParserCreate()
    limits = _XmlLimits(parser, len(data))
    parser.StartElementHandler = limits.start
    parser.EndElementHandler = limits.end
    parser.CharacterDataHandler = lambda text: limits.count(len(text))
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return
