"""The shipped data in a memory store, and SPARQL over it with kgraph's prefixes."""

from __future__ import annotations

import pyoxigraph as ox

from kgraph.dataset import parse_sources
from kgraph.iris import PREFIXES
from kgraph.sources import shipped_sources

HEADER = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def shipped_store(base: str) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(parse_sources(shipped_sources(base), base))
    return store


def select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """The solutions as tuples of values ("" for an unbound variable)."""
    solutions = store.query(HEADER + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [tuple(row[n].value if row[n] is not None else "" for n in names) for row in solutions]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(HEADER + query, use_default_graph_as_union=True))
