"""``kgraph export-table``: the plan entries as a spreadsheet in the plan's table layout.

Writes CSV (UTF-8 with BOM) or XLSX with Japanese and English columns; the export
is checked to import back to exactly the same entries graph before it is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyoxigraph as ox

from ..cli import EXIT_OK, fail, say
from ..config import Config
from ..dataset import SourceError, parse_sources
from ..iris import graph_iri
from ..snapshots import SnapshotStore
from ..sources import config_sources
from ..table.context import ContextError, build_context
from ..table.errors import ExportError
from ..table.files import ENTRIES, FORMATS, export_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-table",
        help="write the plan entries as a CSV or XLSX spreadsheet in the plan's table layout",
    )
    p.add_argument("-o", "--output", help="file to write (.csv or .xlsx; default: CSV to stdout)")
    p.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from -o, else csv)")
    p.add_argument("--store", help="export the current snapshot of this store (default: the data)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    fmt = args.format or (Path(args.output).suffix.lower().lstrip(".") if args.output else "csv")
    if fmt not in FORMATS:
        return fail(args, say(args, "unknown_table_format", format=repr(fmt)))
    try:
        quads = _dataset(args, config)
        entries = ox.NamedNode(graph_iri(config.base, ENTRIES))
        others = [q for q in quads if q.graph_name != entries]
        context = build_context(others, config.base)
        triples = [q.triple for q in quads if q.graph_name == entries]
        data = export_table(triples, context, fmt)
    except (SourceError, ContextError, ExportError, FileNotFoundError, OSError) as error:
        return fail(args, str(error))
    if args.output:
        Path(args.output).write_bytes(data)
        print(say(args, "wrote_table", path=args.output, format=fmt, size=len(data)),
              file=sys.stderr)
    elif fmt == "xlsx" and sys.stdout.isatty():
        return fail(args, say(args, "xlsx_needs_output"))
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def _dataset(args: argparse.Namespace, config: Config) -> list[ox.Quad]:
    if args.store:
        return list(SnapshotStore(args.store).open_read_only())
    return parse_sources(config_sources(config), config.base)
