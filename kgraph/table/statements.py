"""The "other statements" column: Turtle triples, one per line, with relative IRIs.

Whatever the entries graph says that no column carries is written here, so that
exporting and importing a table loses nothing.  Prefixes such as ``kgo:`` are
declared for the reader, and IRIs under the base are written relative (``<id/…>``)
so that the cell, like the data files, names no host.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ..iris import PREFIXES
from ..terms import compact


def term_text(term: ox.NamedNode | ox.Literal, base: str) -> str:
    if isinstance(term, ox.NamedNode):
        if term.value.startswith(base):
            return f"<{term.value[len(base) :]}>"
        short = compact(term.value)
        return short if not short.endswith(".") else f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return str(term)
    raise ValueError(f"blank nodes cannot be written in a table: {term}")


def write_statements(triples: list[ox.Triple], base: str) -> str:
    """One ``subject predicate object .`` line per triple, sorted."""
    lines = [
        f"{term_text(t.subject, base)} {term_text(t.predicate, base)} {term_text(t.object, base)} ."
        for t in triples
    ]
    return "\n".join(sorted(lines))


def prologue() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())


def read_statements(text: str, base: str) -> list[ox.Triple]:
    """The triples of a cell; raises ``SyntaxError`` with the line within the cell."""
    head = prologue()
    offset = head.count("\n")
    try:
        return [q.triple for q in ox.parse(head + text, format=ox.RdfFormat.TURTLE, base_iri=base)]
    except SyntaxError as error:
        line = (error.lineno - offset) if error.lineno else None
        message = str(error.args[0]) if error.args else str(error)
        message = re.sub(r"^Parser error (at|between) [^:]*: ", "", message)
        raise SyntaxError(message, ("cell", line, error.offset, "")) from None
