"""``kgraph query``: run a SPARQL query against the store, print a table, JSON or CSV."""

from __future__ import annotations

import argparse
import sys

import pyoxigraph as ox

from .. import formats
from ..cli import EXIT_ERROR, EXIT_OK, fail, say
from ..config import Config
from ..formats import find
from ..iris import PREFIXES
from ..service import Refused, serving_store
from ..terms import short

#: The CLI's names of the output formats (pyoxigraph's formats, :mod:`kgraph.formats`).
RESULT_FORMATS = {name: find(name, formats.RESULT_FORMATS)
                  for name in ("json", "csv", "tsv", "xml")}
GRAPH_FORMATS = {name: find(name, formats.GRAPH_FORMATS)
                 for name in ("turtle", "ntriples", "jsonld", "xml")}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="run a SPARQL query (prefixes kgo:, rdfs:, ... predeclared)")
    p.add_argument("query", nargs="?", help="the SPARQL query text, or - to read standard input")
    p.add_argument(
        "--format",
        default="table",
        choices=["table", *RESULT_FORMATS, *(f for f in GRAPH_FORMATS if f != "xml")],
        help="output: table (default), json, csv, tsv, xml; turtle/ntriples/jsonld for graphs",
    )
    p.add_argument("--store", help="read an on-disk store instead of the shipped data")
    p.add_argument("--example", metavar="NAME", help="run an example query from queries/")
    p.add_argument("--list-examples", action="store_true", help="list the example queries")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    if args.list_examples or args.example:
        text = example_text(args)
        if text is None:
            return EXIT_OK if args.list_examples else EXIT_ERROR
    else:
        text = sys.stdin.read() if args.query in (None, "-") else args.query
    if not text or not text.strip():
        return fail(args, say(args, "no_query"))
    try:
        store = serving_store(config.replace(store=args.store))
    except (Refused, FileNotFoundError, OSError) as error:
        return fail(args, str(error))
    try:
        results = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    except SyntaxError as error:
        print(say(args, "syntax", detail=error), file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(render(results, args.format))
    return EXIT_OK


def example_text(args: argparse.Namespace) -> str | None:
    """The text of ``--example NAME``; ``--list-examples`` prints the catalogue instead."""
    from ..examples import ExampleError, find_example, load_examples

    try:
        if args.list_examples:
            for example in load_examples():
                print(f"{example.name}\t{example.title('ja')}\t{example.title('en')}")
            return None
        if args.query:
            fail(args, say(args, "query_or_example"))
            return None
        return find_example(args.example).text
    except (KeyError, ExampleError) as error:
        fail(args, str(error.args[0]))
        return None


def render(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str) -> str:
    """Results in a CLI format; a table shows terms in prefixed form."""
    if isinstance(results, ox.QueryBoolean):
        if fmt in RESULT_FORMATS:
            return results.serialize(format=RESULT_FORMATS[fmt]).decode()
        return ("true" if bool(results) else "false") + "\n"
    if isinstance(results, ox.QueryTriples):
        graph_format = GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE)
        return ox.serialize(results, format=graph_format, prefixes=PREFIXES).decode()
    if fmt in RESULT_FORMATS:
        return results.serialize(format=RESULT_FORMATS[fmt]).decode()
    names = [v.value for v in results.variables]
    rows = [
        [short(row[name]) if row[name] is not None else "" for name in names] for row in results
    ]
    return table(names, rows)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table sized to its East Asian wide characters."""
    from unicodedata import east_asian_width

    def width(text: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max([width(h), *(width(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return " | ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
