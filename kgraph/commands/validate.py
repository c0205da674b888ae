"""``kgraph validate``: SHACL-validate the shipped data or given files, and report.

The report names, for each result, the focus node (label and IRI), the property
path, the offending value, the severity, the message in ``--lang`` and the named
shape; ``--format`` picks text, a table, the Turtle report graph, JSON or a
self-contained HTML page.  Exit codes as pySHACL's CLI: 0 conforms, 1 does not,
2 an error (unreadable file, bad arguments, a crash in validation).  The report of
unchanged inputs is taken from the validation cache, as the gate does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_OK
from ..config import Config
from ..dataset import SourceError, parse_sources
from ..reports import FORMATS, labels_from_graph, labels_from_quads, render
from ..sources import Source, UnknownFormatError, shapes_files, shipped_sources, sources_for_files
from ..validation import (
    cached_report,
    load_shapes,
    store_report,
    validation_key,
)
from ..validation_units import validate_dataset


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate data against the SHACL shapes (exit 0 conforms, 1 not, 2 error)",
        description=(
            "Validate the shipped data, or the given RDF files, against shapes/. "
            "A plan spreadsheet (.csv, .xlsx) stands for the entries graph."
        ),
    )
    p.add_argument(
        "files", nargs="*", help="RDF files or plan spreadsheets (default: the shipped data)"
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="validate the shipped data with FILES replacing the shipped files of the same name",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="report format (text)")
    p.add_argument("--lang", choices=("ja", "en"), default="en", help="message language")
    p.add_argument("-o", "--output", help="write the report to this file (default: stdout)")
    p.add_argument("--no-cache", action="store_true", help="re-validate even if cached")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        sources, temporary = _sources(args, config)
    except (SourceError, UnknownFormatError, FileNotFoundError) as error:
        print(f"kgraph validate: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        quads = parse_sources(sources, config.base)
        shapes = load_shapes()
        key = "" if args.no_cache else validation_key(sources, shapes_files())
        report = cached_report(config.cache_dir, key) if key else None
        if report is None:
            # Per unit (named graphs), in parallel, with a per-unit cache: the same
            # report as validating the whole union (kgraph.validation_units).
            report = validate_dataset(
                quads, base=config.base, cache_dir=config.cache_dir if key else None
            )
            if key:
                store_report(config.cache_dir, key, report)
    except SourceError as error:
        print(f"kgraph validate: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # pySHACL or rdflib failing: an error, not a verdict
        print(f"kgraph validate: error: validation failed: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
    labels = labels_from_quads(quads).merge(labels_from_graph(shapes))
    text = render(report, args.format, args.lang, labels)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.format == "text":
        verdict = "conforms" if report.conforms else "does not conform"
        print(f"{len(quads)} quads from {len(sources)} file(s): {verdict}", file=sys.stderr)
    return EXIT_OK if report.conforms else EXIT_NONCONFORMANT


def _sources(args: argparse.Namespace, config: Config) -> tuple[list[Source], list[Path]]:
    """The sources to validate; spreadsheets are converted to a temporary entries file."""
    rdf_files = [f for f in args.files if not _is_table(f)]
    tables = [f for f in args.files if _is_table(f)]
    for name in args.files:
        if not Path(name).is_file():
            raise FileNotFoundError(f"{name}: no such file")
    sources = sources_for_files(rdf_files, config.base) if rdf_files else []
    temporary: list[Path] = []
    if tables:
        from ..table.files import TableError, table_source

        if len(tables) > 1:
            raise UnknownFormatError("give at most one plan spreadsheet (it is the entries graph)")
        try:
            source = table_source(Path(tables[0]), config)
        except TableError as error:
            raise SourceError(tables[0], error.summary(args.lang)) from error
        sources.append(source)
        temporary.append(source.path)
    if not args.files or args.replace or tables:
        given = {s.area for s in sources}
        graphs = {s.graph for s in sources}
        shipped = [
            s for s in shipped_sources(config.base) if s.area not in given and s.graph not in graphs
        ]
        sources = shipped + sources
    return sources, temporary


def _is_table(name: str) -> bool:
    return Path(name).suffix.lower() in (".csv", ".xlsx")
