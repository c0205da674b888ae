"""``kgraph validate``: SHACL-validate the shipped data or given files, and report.

The report names, for each result, the focus node (label and IRI), the property
path, the offending value, the severity, the message in ``--lang`` and the named
shape; ``--format`` picks text, a table, the Turtle report graph, JSON or a
self-contained HTML page.  Exit codes as pySHACL's CLI: 0 conforms, 1 does not,
2 an error (unreadable file, bad arguments, a crash in validation).  A dry run of
the service layer's one path (:mod:`kgraph.service`), with its cache.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_NONCONFORMANT, EXIT_OK, fail, say
from ..config import Config
from ..dataset import SourceError
from ..messages import text
from ..reports import FORMATS, labels_from_graph, labels_from_quads, render
from ..service import Candidate, Refused, from_files, validate
from ..sources import UnknownFormatError, shipped_sources, sources_for_files
from ..uploads import UploadError, candidate_quads
from ..validation import load_shapes


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
    p.add_argument("-o", "--output", help="write the report to this file (default: stdout)")
    p.add_argument("--no-cache", action="store_true", help="re-validate even if cached")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        candidate, files = _candidate(args, config)
        checked = validate(config, candidate, use_cache=not args.no_cache)
    except (SourceError, UnknownFormatError, FileNotFoundError) as error:
        return fail(args, str(error))
    except Refused as error:  # a file that cannot be parsed
        return fail(args, str(error))
    except Exception as error:  # pySHACL or rdflib failing: an error, not a verdict
        return fail(args, say(args, "validation_failed", detail=error))
    report = checked.report
    labels = labels_from_quads(checked.quads).merge(labels_from_graph(load_shapes()))
    rendered = render(report, args.format, args.lang, labels)
    if args.output:
        Path(args.output).write_text(rendered, encoding="utf-8")
    else:
        sys.stdout.write(rendered)
    if args.format == "text":
        verdict = text("report.conforms" if report.conforms else "report.not_conforms",
                       args.lang)
        print(say(args, "verdict", n=len(checked.quads), files=files, verdict=verdict),
              file=sys.stderr)
    return EXIT_OK if report.conforms else EXIT_NONCONFORMANT


def _candidate(args: argparse.Namespace, config: Config) -> tuple[Candidate, int]:
    """The dataset to validate: RDF files (with the shipped ones when replacing or when
    a spreadsheet stands for the entries graph), and the spreadsheet in place."""
    rdf_files = [f for f in args.files if not _is_table(f)]
    tables = [f for f in args.files if _is_table(f)]
    for name in args.files:
        if not Path(name).is_file():
            raise FileNotFoundError(say(args, "no_such_file", path=name))
    if len(tables) > 1:
        raise UnknownFormatError("give at most one plan spreadsheet (it is the entries graph)")
    sources = sources_for_files(rdf_files, config.base) if rdf_files else []
    if not args.files or args.replace or tables:
        given = {s.area for s in sources}
        graphs = {s.graph for s in sources}
        shipped = [
            s for s in shipped_sources(config.base) if s.area not in given and s.graph not in graphs
        ]
        sources = shipped + sources
    candidate = from_files(config, sources, label="validate")
    if tables:
        path = Path(tables[0])
        try:
            candidate.quads = candidate_quads(path.name, path.read_bytes(), candidate.quads,
                                              config.base)
        except UploadError as error:
            raise SourceError(tables[0], "\n".join(p.text(args.lang)
                                                   for p in error.problems)) from error
    return candidate, len(sources) + len(tables)


def _is_table(name: str) -> bool:
    return Path(name).suffix.lower() in (".csv", ".xlsx")
