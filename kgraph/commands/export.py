"""``kgraph export``: the whole dataset in one RDF format."""

from __future__ import annotations

import argparse
import sys

import pyoxigraph as ox

from ..cli import EXIT_OK, fail
from ..config import Config
from ..iris import PREFIXES
from ..service import Refused, serving_store

FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, False),
    "ntriples": (ox.RdfFormat.N_TRIPLES, False),
    "nquads": (ox.RdfFormat.N_QUADS, True),
    "trig": (ox.RdfFormat.TRIG, True),
    "jsonld": (ox.RdfFormat.JSON_LD, False),
    "rdfxml": (ox.RdfFormat.RDF_XML, False),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write the dataset (N-Quads/TriG keep named graphs; others give their union)",
    )
    p.add_argument("--format", default="nquads", choices=sorted(FORMATS))
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--store", help="export an on-disk store instead of the shipped data")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        store = serving_store(config.replace(store=args.store))
    except (Refused, FileNotFoundError, OSError) as error:
        return fail(args, str(error))
    data = export_bytes(store, args.format)
    if args.output:
        with open(args.output, "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def export_bytes(store: ox.Store, fmt: str) -> bytes:
    """The store serialised; triple formats get the union of all graphs, deduplicated."""
    rdf_format, keeps_graphs = FORMATS[fmt]
    if keeps_graphs:
        return store.dump(format=rdf_format, prefixes=PREFIXES)
    triples = store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
    )
    return ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
