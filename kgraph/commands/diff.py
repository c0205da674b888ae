"""``kgraph diff OLD NEW``: review a change before it is published.

OLD and NEW are RDF files or plan spreadsheets (a spreadsheet stands for the
entries graph); with ``--store DIR`` the old side is the store's current snapshot,
restricted to the graphs the new file covers.  Exit codes as diff(1): 0 no
differences, 1 differences, 2 trouble.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyoxigraph as ox

from ..cli import fail, say
from ..config import Config
from ..dataset import SourceError, parse_sources
from ..diff import diff_triples, render_text
from ..iris import graph_iri
from ..reports.labels import labels_from_quads
from ..snapshots import SnapshotStore
from ..sources import UnknownFormatError, shipped_sources, sources_for_files
from ..table.errors import TableError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="what a change adds, removes or alters, per resource (exit 0 same, 1 differ)",
        description="Compare two RDF files or plan spreadsheets, or a store (--store) and a file.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="OLD NEW, or NEW with --store")
    p.add_argument("--store", help="compare the current snapshot of this store with NEW")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    expected = 1 if args.store else 2
    if len(args.files) != expected:
        what = say(args, "diff_new_store" if args.store else "diff_old_new")
        return fail(args, say(args, "diff_needs", what=what))
    try:
        new, graphs = read_side(Path(args.files[-1]), config)
        if args.store:
            old = store_triples(args.store, graphs)
        else:
            old, _ = read_side(Path(args.files[0]), config)
        labels = labels_from_quads(parse_sources(shipped_sources(config.base), config.base))
    except TableError as error:
        return fail(args, error.summary(args.lang))
    except (SourceError, UnknownFormatError, FileNotFoundError, OSError) as error:
        return fail(args, str(error))
    labels.merge(labels_from_quads(old)).merge(labels_from_quads(new))
    diff = diff_triples(old, new, labels, args.lang)
    if args.format == "json":
        sys.stdout.write(json.dumps(diff.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(diff))
    return 0 if diff.empty else 1


def read_side(path: Path, config: Config) -> tuple[list[ox.Triple], set[str] | None]:
    """The triples of a file and the named graphs it stands for (None: all)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in (".csv", ".xlsx"):
        from ..table.files import context_for, import_table

        triples = import_table(path.read_bytes(), path.name, context_for(config))
        return triples, {graph_iri(config.base, "entries")}
    sources = sources_for_files([path], config.base)
    quads = parse_sources(sources, config.base)
    if sources[0].graph is not None:
        return [q.triple for q in quads], {sources[0].graph}
    return [q.triple for q in quads], {
        q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)
    }


def store_triples(root: str, graphs: set[str] | None) -> list[ox.Triple]:
    """The triples of a store's current snapshot, in the given graphs (or all)."""
    store = SnapshotStore(root).open_read_only()
    if graphs is None:
        return [q.triple for q in store]
    triples = []
    for graph in sorted(graphs):
        triples += [
            q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        ]
    return triples
