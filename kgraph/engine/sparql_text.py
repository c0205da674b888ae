"""What the endpoint must know about a query's text before Oxigraph runs it.

pyoxigraph 0.5 exposes no query algebra, yet the protocol layer needs a few facts:

* whether a query has its own dataset clause (``FROM`` / ``FROM NAMED``): Oxigraph's
  ``use_default_graph_as_union=True`` silently ignores those clauses, so the union
  default graph may only be asked for when the query has none;
* the query form (SELECT, ASK, CONSTRUCT, DESCRIBE), to negotiate the result format
  before running it;
* every ``SERVICE`` and ``LOAD`` target, because pyoxigraph 0.5.13 *does* open HTTP
  connections for both (measured with a loopback listener), and a public endpoint
  must not;
* where to put ``USING`` clauses for the protocol's ``using-graph-uri`` /
  ``using-named-graph-uri`` (``Store.update`` takes no dataset arguments).

A SPARQL keyword can only appear as a bare word token, never inside an IRI, a string,
a comment, a variable, a prefixed name, a blank node label or a language tag.  So a
small lexer that recognises exactly those token kinds (their regular expressions
follow the SPARQL 1.1 grammar's terminals) and reports the bare words is enough;
Oxigraph itself still parses the query and reports syntax errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

# Token patterns, tried in this order at each position.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
      |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$)
      |'(?:[^'\\\n\r]|\\.)*(?:'|$)
      |"(?:[^"\\\n\r]|\\.)*(?:"|$))
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<bnode>_:[\w\-.\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<pname>(?:[^\W\d_][\w\-.\u00B7\u0300-\u036F\u203F-\u2040]*)?:
      (?:[\w\-.:%\u00B7\u0300-\u036F\u203F-\u2040]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<word>[^\W\d][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[{}()\[\];,.*+\-/!=<>|^?$@&])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    """A significant token (a tuple, not a frozen dataclass: a query has hundreds)."""

    kind: str
    text: str
    start: int
    depth: int  # brace depth at the token (0 = outside every group)

    @property
    def keyword(self) -> str:
        """Upper-cased text for bare words, '' for anything else."""
        return self.text.upper() if self.kind == "word" else ""


#: Keywords that Oxigraph also recognises when a ':' follows at once: it reads
#: ``SERVICE:x`` as ``SERVICE :x`` (measured), so such a prefixed name is split.
SPLIT_KEYWORDS = frozenset(
    {"SERVICE", "SILENT", "LOAD", "FROM", "NAMED", "USING", "WITH", "WHERE", "INTO", "GRAPH"}
)


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens (no whitespace or comments), with their brace depth."""
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        start = match.start()
        if kind == "pname":
            value = value.rstrip(".")  # a local name cannot end with '.'
            prefix = value.split(":", 1)[0]
            if prefix.upper() in SPLIT_KEYWORDS:
                yield Token("word", prefix, start, depth)
                value, start = value[len(prefix) :], start + len(prefix)
        if value == "}":
            depth = max(depth - 1, 0)
        yield Token(kind, value, start, depth)
        if value == "{":
            depth += 1


#: Deepest nesting of brackets (``{``, ``(``, ``[``) a query or update may have.
#: Oxigraph parses and evaluates recursively: a few thousand levels overflow the
#: stack of the process that runs the query and kill it.  Real queries nest a
#: handful of levels; generated ones a few dozen.
MAX_NESTING = 200

_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{``, ``(`` and ``[`` outside strings, IRIs and comments.

    Cheap for ordinary texts: with no more opening brackets than :data:`MAX_NESTING`
    in the whole text (strings included), that count bounds the depth and is returned
    without lexing.
    """
    openers = text.count("{") + text.count("(") + text.count("[")
    if openers <= MAX_NESTING:
        return openers
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup != "punct":
            continue
        value = match.group()
        if value in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif value in _CLOSE:
            depth = max(depth - 1, 0)
    return deepest


@dataclass
class Remote:
    """A ``SERVICE`` or ``LOAD`` target."""

    keyword: str  # "SERVICE" or "LOAD"
    iri: str | None  # None when the target is a variable or cannot be resolved
    text: str  # as written

    @property
    def host(self) -> str | None:
        if not self.iri:
            return None
        return (urlsplit(self.iri).hostname or "").lower() or None


@dataclass
class Analysis:
    """Facts about one query or update text."""

    form: str | None = None  # SELECT / ASK / CONSTRUCT / DESCRIBE (queries)
    has_dataset_clause: bool = False  # FROM or FROM NAMED (queries)
    has_using_or_with: bool = False  # USING, USING NAMED or WITH (updates)
    remotes: list[Remote] = field(default_factory=list)
    #: The IRIs of FROM and FROM NAMED (``None`` where one cannot be read).
    from_graphs: list[str | None] = field(default_factory=list)
    from_named: list[str | None] = field(default_factory=list)


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


#: Keywords the analysis records (all but the query form), upper-cased as the lexer
#: upper-cases a word (:attr:`Token.keyword`); of a query, all but those only an update
#: has (the example queries say "with" in their comments, and were lexed for it).
_RECORDED = re.compile(r"FROM|USING|WITH|SERVICE|LOAD")
_RECORDED_IN_QUERY = re.compile(r"FROM|SERVICE|LOAD")


def analyse(
    text: str, base: str | None = None, prefixes: Mapping[str, str] | None = None,
    *, form: bool = True, update: bool = True,
) -> Analysis:
    """Scan a query or update; IRIs of SERVICE/LOAD are resolved like Oxigraph does.

    With ``form=False`` (the query form is not wanted) a text in whose upper case no
    recorded keyword appears is not lexed at all (most look-ups: the lexer was half of
    the sandbox's time for them).  The lexer takes a word's upper case for its keyword,
    and the upper case of a text holds that of each of its words, so nothing the lexer
    would record is skipped - ``\u017fERVICE`` (a long s) included, though Oxigraph
    reads keywords in ASCII only.  With ``update=False`` (the text runs as a query)
    ``USING`` and ``WITH`` are not recorded: only an update has them.
    """
    if not form and (_RECORDED if update else _RECORDED_IN_QUERY).search(text.upper()) is None:
        return Analysis()
    result = Analysis()
    declared = dict(prefixes or {})
    toks = list(tokens(text))
    for i, tok in enumerate(toks):
        kw = tok.keyword
        if not kw:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if kw == "BASE" and nxt is not None and nxt.kind == "iri":
            base = _resolve(nxt.text[1:-1], base)
        elif kw == "PREFIX" and nxt is not None and nxt.kind == "pname" and i + 2 < len(toks):
            target = toks[i + 2]
            if target.kind == "iri":
                declared[nxt.text[:-1] if nxt.text.endswith(":") else nxt.text.split(":")[0]] = (
                    _resolve(target.text[1:-1], base)
                )
        elif kw in QUERY_FORMS and result.form is None and tok.depth == 0:
            result.form = kw
        elif kw == "FROM":
            result.has_dataset_clause = True
            named = nxt is not None and nxt.keyword == "NAMED"
            target = toks[i + 2] if named and i + 2 < len(toks) else nxt
            iri = _remote("FROM", target, base, declared).iri
            (result.from_named if named else result.from_graphs).append(iri)
        elif kw in ("USING", "WITH") and update:
            result.has_using_or_with = True
        elif kw in ("SERVICE", "LOAD"):
            j = i + 1
            if j < len(toks) and toks[j].keyword == "SILENT":
                j += 1
            target = toks[j] if j < len(toks) else None
            result.remotes.append(_remote(kw, target, base, declared))
    return result


def _remote(
    keyword: str, target: Token | None, base: str | None, prefixes: Mapping[str, str]
) -> Remote:
    if target is None:
        return Remote(keyword, None, "")
    if target.kind == "iri":
        return Remote(keyword, _resolve(target.text[1:-1], base), target.text)
    if target.kind == "pname":
        prefix, _, local = target.text.partition(":")
        namespace = prefixes.get(prefix)
        iri = namespace + _LOCAL_ESCAPE.sub(r"\1", local) if namespace is not None else None
        return Remote(keyword, iri, target.text)
    return Remote(keyword, None, target.text)


_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def _resolve(iri: str, base: str | None) -> str:
    """Decode UCHAR escapes, then resolve a relative reference (RFC 3986)."""
    iri = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)
    if _SCHEME.match(iri) or not base:
        return iri
    return urljoin(base, iri)


def add_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Give every DELETE/INSERT ... WHERE operation the protocol's USING clauses.

    The clauses go right before the operation's top-level ``WHERE``; the short form
    ``DELETE WHERE`` and the ``DATA`` forms have no WHERE clause to scope.
    """
    if not using and not using_named:
        return update
    clause = " ".join(
        [f"USING <{iri}>" for iri in using] + [f"USING NAMED <{iri}>" for iri in using_named]
    )
    inserts: list[int] = []
    previous = ""
    for tok in tokens(update):
        kw = tok.keyword
        if tok.depth == 0 and kw == "WHERE" and previous not in ("DELETE", "INSERT"):
            inserts.append(tok.start)
        if tok.depth == 0:
            previous = kw
    out = update
    for position in reversed(inserts):
        out = out[:position] + clause + " " + out[position:]
    return out
