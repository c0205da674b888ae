"""Apps over small fixture datasets, for the linked-data, catalogue and dump tests.

The store is filled directly (ontology + fixture files, one named graph each), so
that these tests do not depend on the shipped data or on the project's shapes.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Flask

from kgraph.config import PROJECT_ROOT, Config
from kgraph.dataset import parse_sources
from kgraph.sources import Source
from kgraph.web import create_app
from kgraph.web.state import AppState

FIXTURES = Path(__file__).parent / "fixtures" / "linkeddata"
BASE = "http://kg.test/"


def fixture_sources(base: str = BASE, *names: str) -> list[Source]:
    """The ontology, data/dataset.ttl and the named fixture files as sources."""
    from kgraph.iris import graph_iri

    paths = [PROJECT_ROOT / "ontology" / "kgo.ttl", PROJECT_ROOT / "data" / "dataset.ttl"]
    paths += [FIXTURES / name for name in (names or ("mini.ttl",))]
    return [
        Source(path, ox.RdfFormat.TURTLE, graph_iri(base, "ontology" if path.stem == "kgo"
                                                     else path.stem))
        for path in paths
        if path.exists()
    ]


def fixture_app(base: str = BASE, *names: str, **config: object) -> Flask:
    """An app serving the ontology, the dataset metadata and fixture files."""
    cfg = Config(base=base, cache_dir=None, **config)
    sources = fixture_sources(base, *names)
    store = ox.Store()
    store.bulk_extend(parse_sources(sources, base))
    app = create_app(cfg, AppState.for_store(cfg, store))
    app.config["TESTING"] = True
    return app
