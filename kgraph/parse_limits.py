"""Bounds on what an RDF document may ask of its parser, checked before parsing.

Parsing of what users send happens in a sandbox (:mod:`kgraph.engine.sandbox`), so a
parser that crashes or blows up takes only the sandbox with it.  These bounds make
the common bombs a clear error naming what and where, instead of a crash:

* **XML entities.**  pyoxigraph 0.5.13 expands the entities of an internal DTD
  without limit (a 1 KB "billion laughs" became gigabytes, even with the entities
  defined and never used).  Every RDF/XML document is first read by defusedxml,
  which refuses any entity declaration and any external reference; a document
  that XML parser cannot read is refused too (fail closed) rather than handed on.
* **Nesting.**  pyoxigraph parses JSON-LD, RDF/XML and triple terms (``<<( … )>>``
  in Turtle, TriG, N-Triples and N-Quads) recursively: ~10,000 levels overflow the
  stack (SIGSEGV, measured).  Every format's nesting is bounded by
  :data:`MAX_NESTING`, counted outside strings, IRIs and comments.

Real documents nest a few dozen levels at most and use DTD entities, if at all, as
namespace abbreviations that a publisher can write out.
"""

from __future__ import annotations

import re
from itertools import accumulate

import pyoxigraph as ox
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

#: Deepest nesting accepted (JSON arrays/objects, XML elements, Turtle brackets).
MAX_NESTING = 256


class DocumentTooComplex(ValueError):
    """A document refused before parsing; the message says what and where."""


def check_document(data: bytes, fmt: ox.RdfFormat) -> None:
    """Raise :class:`DocumentTooComplex` for a document past the bounds."""
    if fmt == ox.RdfFormat.JSON_LD:
        _check_depth(json_depth(data), "JSON")
    elif fmt == ox.RdfFormat.RDF_XML:
        check_xml(data)
    else:
        _check_depth(turtle_depth(data), "brackets, collections and triple terms")


def _check_depth(depth: int, what: str) -> None:
    if depth > MAX_NESTING:
        raise DocumentTooComplex(
            f"{what} nested {depth} levels deep; at most {MAX_NESTING} are accepted"
        )


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_STEP = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}
_NOT_JSON_BRACKETS = bytes(b for b in range(256) if b not in _JSON_STEP)


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays (strings skipped).

    With no more opening brackets than :data:`MAX_NESTING` in the whole text, that
    count bounds the depth and is returned without a scan.
    """
    openers = data.count(b"{") + data.count(b"[")
    if openers <= MAX_NESTING:
        return openers
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_JSON_BRACKETS)
    return max(accumulate(map(_JSON_STEP.__getitem__, brackets)), default=0)


#: What can hide a bracket in the Turtle family: long and short strings, IRIs
#: (``<`` not followed by ``<``), comments.  Removed before brackets are counted.
_TURTLE_SKIP = re.compile(
    rb"'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)"
    rb'|"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)'
    rb"|'(?:[^'\\\n\r]|\\.)*'?"
    rb'|"(?:[^"\\\n\r]|\\.)*"?'
    rb"|(?<!<)<(?![<(])[^<>\s]*>?"
    rb"|#[^\n\r]*",
    re.DOTALL,
)
_TURTLE_BRACKETS = re.compile(rb"<<\(?|\)?>>|[\[\](){}]")
_TURTLE_STEP = {b"<<": 1, b"<<(": 1, b">>": -1, b")>>": -1, b"[": 1, b"(": 1, b"{": 1,
                b"]": -1, b")": -1, b"}": -1}


def turtle_depth(data: bytes) -> int:
    """The deepest nesting of ``[ ]``, ``( )``, ``{ }`` and ``<< >>`` in Turtle, TriG,
    N-Triples or N-Quads (strings, IRIs and comments skipped); an upper bound
    when the text is malformed."""
    openers = data.count(b"<<") + data.count(b"[") + data.count(b"(") + data.count(b"{")
    if openers <= MAX_NESTING:
        return openers
    text = _TURTLE_SKIP.sub(b" ", data)
    steps = (_TURTLE_STEP[m.group()] for m in _TURTLE_BRACKETS.finditer(text))
    return max(accumulate(steps), default=0)


def check_xml(data: bytes) -> None:
    """Read the document with defusedxml: no entity declarations, no external
    references, elements nested at most :data:`MAX_NESTING` deep."""
    import io

    depth = 0
    try:
        for event, _element in iterparse(
            io.BytesIO(data), events=("start", "end"),
            forbid_dtd=False, forbid_entities=True, forbid_external=True,
        ):
            depth += 1 if event == "start" else -1
            if depth > MAX_NESTING:
                raise DocumentTooComplex(
                    f"XML elements nested more than {MAX_NESTING} levels deep"
                )
    except DefusedXmlException as error:
        raise DocumentTooComplex(
            f"XML entity declarations and external references are not accepted ({error})"
        ) from None
    except ParseError as error:
        raise DocumentTooComplex(f"not well-formed XML: {error}") from None
    except (LookupError, ValueError) as error:  # an encoding the parser does not know
        raise DocumentTooComplex(f"unreadable XML: {error}") from None
