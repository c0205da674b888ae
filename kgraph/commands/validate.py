"""``kgraph validate``: SHACL-validate the shipped data or given files."""

from __future__ import annotations

import argparse
import sys

from ..cli import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_OK
from ..config import Config
from ..dataset import SourceError, parse_sources
from ..sources import UnknownFormatError, shipped_sources, sources_for_files
from ..validation import load_shapes, validate_quads


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate data against the SHACL shapes (exit 0 conforms, 1 not, 2 error)",
        description="Validate the shipped data, or the given RDF files, against shapes/.",
    )
    p.add_argument("files", nargs="*", help="RDF files to validate (default: the shipped data)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="validate the shipped data with FILES replacing the shipped files of the same name",
    )
    p.add_argument("--lang", choices=("ja", "en"), default="en", help="message language")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        sources = sources_for_files(args.files, config.base) if args.files else []
        if not args.files or args.replace:
            given = {s.area for s in sources}
            sources = [s for s in shipped_sources(config.base) if s.area not in given] + sources
        quads = parse_sources(sources, config.base)
    except (SourceError, UnknownFormatError) as error:
        print(f"kgraph validate: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    report = validate_quads(quads, load_shapes())
    counts = report.by_severity()
    for focus, results in report.by_focus().items():
        print(focus)
        for r in results:
            where = f" {r.path}" if r.path else ""
            value = f" = {r.value}" if r.value else ""
            print(f"  [{r.severity}]{where}{value}: {r.message(args.lang)} ({r.shape})")
    summary = ", ".join(f"{n} {s.lower()}(s)" for s, n in counts.items())
    verdict = "conforms" if report.conforms else "does not conform"
    print(f"{len(quads)} quads from {len(sources)} file(s): {verdict}; {summary}")
    return EXIT_OK if report.conforms else EXIT_NONCONFORMANT
