"""``kgraph import-table FILE``: a plan spreadsheet back into the entries graph.

Read the CSV or XLSX, turn it into the entries graph, validate the whole dataset
with that graph in place of the current one (:mod:`kgraph.service`), and write it as
Turtle (``-o``).  With a store that has a published snapshot, the dataset is that
snapshot (so SPARQL Updates made since the files were loaded are kept); without
one, the data files with ``data/entries.ttl`` replaced.  It prints what the table
changes, entry by entry and field by field (the diff ``kgraph diff`` and the staff
area show).  ``--apply`` publishes the dataset into the on-disk store under the
writer lock, recorded as made by the user running the command (``--summary`` says
why, in one line, for the history); any error on the way leaves the store exactly
as it was.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyoxigraph as ox

from ..cli import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_OK, fail, say
from ..config import Config
from ..dataset import SourceError
from ..diff import diff_datasets, render_text
from ..iris import graph_iri
from ..reports import render
from ..service import (
    Published,
    Refused,
    from_files,
    publish,
    refuse_unless_conforming,
    validate,
    with_upload,
    writing,
)
from ..staff import provenance
from ..table.errors import TableError
from ..table.files import ENTRIES, entries_turtle
from ..uploads import TABLE_SUFFIXES, UploadError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-table",
        help="read a plan spreadsheet into the entries graph, validate it, optionally publish",
    )
    p.add_argument("file", help="the spreadsheet (.csv or .xlsx)")
    p.add_argument("-o", "--output", help="write the entries graph here as Turtle")
    p.add_argument("--apply", action="store_true", help="publish into the store if it validates")
    p.add_argument("--store", help="on-disk store directory (default: $KGRAPH_STORE)")
    p.add_argument("--summary", help="with --apply: one line for the history (why)")
    p.add_argument("--json", action="store_true", help="print errors and the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    config = config.replace(store=args.store)
    path = Path(args.file)
    out = _Output(args)
    if args.apply and not config.store:
        return out.error(say(args, "apply_needs_store"))
    if not path.is_file():
        return out.error(say(args, "no_such_file", path=path))
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return out.error(say(args, "not_a_table", path=path))
    if not args.apply:
        published = Published(config.store) if config.store else None
        return _import(args, config, path, out, published)
    # No update may publish between reading the served data and publishing it
    # with the new table (it would be lost): the writer lock is held throughout.
    with writing(config.store) as published:
        return _import(args, config, path, out, published)


def _import(args: argparse.Namespace, config: Config, path: Path, out: _Output,
            published: Published | None) -> int:
    """The served data (the store's snapshot, with whatever updates it has had; else
    the data files) with the table as its entries graph: validated, maybe published."""
    try:
        candidate = with_upload(config, path.name, path.read_bytes(), published,
                                label="import-table")
        checked = validate(config, candidate, published)
        refuse_unless_conforming(checked)
    except UploadError as error:
        return out.refused(error.problems)
    except (SourceError, OSError) as error:
        return out.error(str(error))
    except Refused as error:
        return out.invalid(error)
    entries = ox.NamedNode(graph_iri(config.base, ENTRIES))
    triples = [q.triple for q in checked.quads if q.graph_name == entries]
    if args.output:
        Path(args.output).write_bytes(entries_turtle(triples, config.base))
    try:
        before = (published.quads() if published is not None and published.snapshot
                  else from_files(config).quads)
        changes = diff_datasets(before, checked.quads, [args.lang],
                                skip=[provenance.graph(config.base)])[args.lang]
    except (SourceError, Refused, OSError):
        changes = None
    served = published.snapshot if published is not None else None
    try:
        path_published = (str(publish(config.store, checked, published,
                                      summary=args.summary, details={"upload": path.name}))
                          if args.apply and published is not None else None)
    except OSError as error:  # a full disk, a read-only or missing directory
        out.error(say(args, "cannot_write", store=config.store, reason=error.strerror or error))
        print(say(args, "nothing_changed"), file=sys.stderr)
        return EXIT_ERROR
    if path_published is not None and Path(path_published).name == served:
        # the service published nothing: the store already holds exactly this
        return out.done(checked, triples, changes, None, unchanged_as=served)
    return out.done(checked, triples, changes, path_published)


class _Output:
    """Says what happened, as text in ``--lang`` or as JSON."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.lang = args, args.lang

    def _json(self, data: dict) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def error(self, message: str) -> int:
        if self.args.json:
            self._json({"status": "error", "message": message})
        return fail(self.args, message)

    def refused(self, problems: list) -> int:
        if self.args.json:
            self._json({"status": "refused", "errors": [e.to_json() for e in problems]})
        print(f"kgraph import-table: {say(self.args, 'table_refused', n=len(problems))}",
              file=sys.stderr)
        print(TableError(problems).summary(self.lang), file=sys.stderr)
        return EXIT_NONCONFORMANT

    def invalid(self, error: Refused) -> int:
        if error.report is None:
            return self.error(str(error))
        if self.args.json:
            self._json({"status": "invalid", "report": error.report.to_json()})
        else:
            sys.stderr.write(render(error.report, "text", self.lang))
        print(say(self.args, "error", detail=say(self.args, "refused",
                                                  n=error.report.count("Violation"))),
              file=sys.stderr)
        print(say(self.args, "nothing_changed"), file=sys.stderr)
        return EXIT_NONCONFORMANT

    def done(self, checked, triples, changes, published: str | None,
             unchanged_as: str | None = None) -> int:
        """``published``: the new snapshot; ``unchanged_as``: the snapshot that already
        holds exactly this data (nothing was published)."""
        report = checked.report
        if self.args.json:
            self._json(
                {
                    "status": ("published" if published else
                               "unchanged" if unchanged_as else "valid"),
                    "statements": len(triples),
                    "counts": report.by_severity(),
                    "snapshot": published or unchanged_as,
                    "output": self.args.output,
                    "changes": changes.to_json() if changes is not None else None,
                }
            )
            return EXIT_OK
        print(say(self.args, "table_valid", n=len(triples), warnings=report.count("Warning")))
        if changes is not None:
            sys.stdout.write(render_text(changes))
        if self.args.output:
            print(say(self.args, "wrote", path=self.args.output))
        if published:
            print(say(self.args, "published", path=published))
        if unchanged_as:
            print(say(self.args, "unchanged", snapshot=unchanged_as))
        return EXIT_OK
