"""``kgraph import-table FILE``: a plan spreadsheet back into the entries graph.

Read the CSV or XLSX, turn it into the entries graph, validate the whole dataset
with that graph in place of the current one (through the gate), and write it as
Turtle (``-o``).  With a store that has a published snapshot, the dataset is that
snapshot (so SPARQL Updates made since the files were loaded are kept); without
one, the data files with ``data/entries.ttl`` replaced.  ``--apply`` publishes the
dataset into the on-disk store under the writer lock; any error on the way leaves
the store exactly as it was.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import pyoxigraph as ox

from ..cli import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_OK
from ..config import Config
from ..dataset import SourceError
from ..diff import diff_triples, render_text
from ..gate import GateError, check_quads, prepare
from ..iris import graph_iri
from ..reports import labels_from_quads, render
from ..snapshots import SnapshotStore
from ..table.context import ContextError, build_context
from ..table.errors import TableError
from ..table.files import (
    ENTRIES,
    context_for,
    entries_source,
    entries_turtle,
    import_table,
    other_sources,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-table",
        help="read a plan spreadsheet into the entries graph, validate it, optionally publish",
    )
    p.add_argument("file", help="the spreadsheet (.csv or .xlsx)")
    p.add_argument("-o", "--output", help="write the entries graph here as Turtle")
    p.add_argument("--apply", action="store_true", help="publish into the store if it validates")
    p.add_argument("--store", help="on-disk store directory (default: $KGRAPH_STORE)")
    p.add_argument("--lang", choices=("ja", "en"), default="en", help="message language")
    p.add_argument("--json", action="store_true", help="print errors and the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    config = config.replace(store=args.store)
    path = Path(args.file)
    out = _Output(args)
    if args.apply and not config.store:
        return out.error("--apply needs a store directory (--store DIR or $KGRAPH_STORE)")
    if not path.is_file():
        return out.error(f"{path}: no such file")
    # With --apply, no update may publish between reading the served data and
    # publishing it with the new table (it would be lost).
    lock = SnapshotStore(config.store).writer_lock() if args.apply else nullcontext()
    with lock:
        return _import(args, config, path, out)


def _import(args: argparse.Namespace, config: Config, path: Path, out: _Output) -> int:
    served = served_quads(config)
    entries = ox.NamedNode(graph_iri(config.base, ENTRIES))
    try:
        if served is not None:  # the published data, with whatever updates it has had
            others = [q for q in served if q.graph_name != entries]
            context = build_context(others, config.base)
        else:
            other_files = other_sources(config)
            context = context_for(config, other_files)
        triples = import_table(path.read_bytes(), path.name, context)
    except TableError as error:
        return out.refused(error)
    except (SourceError, ContextError, OSError) as error:
        return out.error(str(error))

    try:
        if served is not None:
            candidate = check_quads(
                config, others + [ox.Quad(t.subject, t.predicate, t.object, entries)
                                  for t in triples])
        else:
            source = entries_source(config, triples)
            try:
                candidate = prepare(config, [*other_files, source])
            finally:
                source.path.unlink(missing_ok=True)
    except GateError as error:
        return out.invalid(error)

    if args.output:
        Path(args.output).write_bytes(entries_turtle(triples, config.base))
    try:
        before = current_entries(config)
        labels = labels_from_quads(candidate.quads)
        changes = diff_triples(before, triples, labels, args.lang)
    except (SourceError, OSError):
        changes = None
    try:
        published = (str(SnapshotStore(config.store).publish_quads(candidate.quads))
                     if args.apply else None)
    except OSError as error:  # a full disk, a read-only or missing directory
        nothing = "何も変更していません。" if args.lang == "ja" else "nothing was changed."
        return out.error(
            f"cannot write a snapshot into {config.store}: {error.strerror or error}; {nothing}"
        )
    return out.done(candidate, triples, changes, published)


def served_quads(config: Config) -> list[ox.Quad] | None:
    """The store's current snapshot, or ``None`` when there is no store or none yet."""
    if not config.store:
        return None
    snapshots = SnapshotStore(config.store)
    if snapshots.current() is None:
        return None
    return list(snapshots.open_read_only().quads_for_pattern(None, None, None, None))


class _Output:
    """Says what happened, as text in ``--lang`` or as JSON."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.lang = args, args.lang

    def _json(self, data: dict) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def error(self, message: str) -> int:
        if self.args.json:
            self._json({"status": "error", "message": message})
        print(f"kgraph import-table: error: {message}", file=sys.stderr)
        return EXIT_ERROR

    def refused(self, error: TableError) -> int:
        if self.args.json:
            self._json({"status": "refused", "errors": [e.to_json() for e in error.errors]})
        head = (
            f"表を取り込めません（{len(error.errors)} 件）。何も変更していません。"
            if self.lang == "ja"
            else f"the spreadsheet was refused ({len(error.errors)} problem(s)); "
            "nothing was changed."
        )
        print(f"kgraph import-table: {head}", file=sys.stderr)
        print(error.summary(self.lang), file=sys.stderr)
        return EXIT_NONCONFORMANT

    def invalid(self, error: GateError) -> int:
        if error.report is None:
            return self.error(str(error))
        if self.args.json:
            self._json({"status": "invalid", "report": error.report.to_json()})
        else:
            sys.stderr.write(render(error.report, "text", self.lang))
        nothing = "何も変更していません。" if self.lang == "ja" else "nothing was changed."
        print(f"kgraph import-table: {error}; {nothing}", file=sys.stderr)
        return EXIT_NONCONFORMANT

    def done(self, candidate, triples, changes, published: str | None) -> int:
        report = candidate.report
        if self.args.json:
            self._json(
                {
                    "status": "published" if published else "valid",
                    "statements": len(triples),
                    "counts": report.by_severity(),
                    "snapshot": published,
                    "output": self.args.output,
                    "changes": changes.to_json() if changes is not None else None,
                }
            )
            return EXIT_OK
        warnings = report.count("Warning")
        if self.lang == "ja":
            print(f"検証に合格しました：{len(triples)} 文、警告 {warnings} 件。")
        else:
            print(f"valid: {len(triples)} statements, {warnings} warning(s).")
        if changes is not None:
            compared = (
                "現在のデータとの違い："
                if self.lang == "ja"
                else "compared with the current data: "
            )
            print(compared + render_text(changes).rstrip().splitlines()[-1])
        if self.args.output:
            print(("書き出し：" if self.lang == "ja" else "wrote ") + self.args.output)
        if published:
            print(("公開しました：" if self.lang == "ja" else "published ") + published)
        return EXIT_OK


def current_entries(config: Config) -> list:
    """The entries graph as served now: the store's current snapshot, else the data files."""
    from ..commands.diff import store_triples
    from ..iris import graph_iri
    from ..snapshots import SnapshotStore
    from ..table.files import ENTRIES, shipped_entries

    if config.store and SnapshotStore(config.store).current() is not None:
        return store_triples(config.store, {graph_iri(config.base, ENTRIES)})
    return shipped_entries(config)
