"""The query mix every server answers: the same SPARQL text, sent the same way.

The mix stands for what a public endpoint of this dataset is asked: single-resource
look-ups (a linked-data client following links), the example queries of
``queries/*.rq`` (researchers), an aggregate, a CONSTRUCT and a DESCRIBE.

Every query is self-contained: the ``BASE`` and ``PREFIX`` lines that kgraph
predeclares are written out, so that a peer (which predeclares nothing) answers the
very same text.  Resources to look up are sampled from the data itself, with a fixed
seed, so that two runs on the same data send the same requests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from kgraph.examples import load_examples
from kgraph.iris import KGO, PREFIXES

SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"


@dataclass(frozen=True)
class Request:
    """One request of the mix."""

    name: str
    kind: str  # lookup, example, aggregate, construct, describe
    text: str  # the full query text
    accept: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def form(self) -> str:
        """The ``application/x-www-form-urlencoded`` body of the request."""
        pairs = [("query", self.text)]
        pairs += [("default-graph-uri", g) for g in self.default_graphs]
        pairs += [("named-graph-uri", g) for g in self.named_graphs]
        return urlencode(pairs)


@dataclass
class Mix:
    """An ordered list of requests (wrk replays it round robin)."""

    requests: list[Request] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.requests:
            out[r.kind] = out.get(r.kind, 0) + 1
        return out

    def write_wrk_file(self, path: str, endpoint_path: str) -> None:
        """One line per request for ``bench/mix.lua``: path, Accept, form body."""
        with open(path, "w", encoding="ascii") as out:
            for r in self.requests:
                out.write(f"{endpoint_path}\t{r.accept}\t{r.form()}\n")


def preamble(base: str) -> str:
    """The BASE and PREFIX lines kgraph predeclares, written out."""
    lines = [f"BASE <{base}>"]
    lines += [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items()]
    return "\n".join(lines) + "\n"


def sample_iris(store: ox.Store, class_iri: str, count: int, seed: int) -> list[str]:
    """Up to ``count`` instances of a class, sampled with a fixed seed."""
    query = f"SELECT DISTINCT ?s WHERE {{ ?s a <{class_iri}> }}"
    found = sorted(
        s["s"].value
        for s in store.query(query, use_default_graph_as_union=True)
        if isinstance(s["s"], ox.NamedNode)
    )
    rng = random.Random(seed)
    if len(found) <= count:
        return found
    return sorted(rng.sample(found, count))


AGGREGATE = """SELECT ?class (COUNT(?s) AS ?instances)
WHERE { ?s a ?class }
GROUP BY ?class
ORDER BY DESC(?instances) ?class"""

LOOKUP = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"

DESCRIBE = "DESCRIBE <{iri}>"

CONSTRUCT = """CONSTRUCT {{
  <{iri}> ?p ?o .
  ?activity ?ap ?ao .
}}
WHERE {{
  {{ <{iri}> ?p ?o }}
  UNION
  {{ <{iri}> kgo:activity ?activity . ?activity ?ap ?ao }}
}}"""


def build_mix(
    store: ox.Store,
    base: str,
    *,
    lookups: int = 20,
    describes: int = 10,
    constructs: int = 5,
    examples: bool = True,
    seed: int = 7,
    scope: Sequence[str] = (),
) -> Mix:
    """The mix for the data in ``store`` (see the module docstring).

    ``scope`` restricts the example queries and the aggregate to those graphs
    (``default-graph-uri`` and ``named-graph-uri``), as a client asking about one
    municipality would; look-ups, CONSTRUCT and DESCRIBE name their resource and
    read the whole dataset.
    """
    head = preamble(base)
    graphs = tuple(scope)
    entries = sample_iris(store, KGO + "PlanEntry", max(lookups, describes, constructs), seed)
    others = [
        iri
        for cls in (KGO + "Policy", "http://www.w3.org/ns/org#Organization", KGO + "Activity")
        for iri in sample_iris(store, cls, max(1, lookups // 4), seed + 1)
    ]
    targets = (entries + others)[: max(lookups, 1)]
    requests: list[Request] = []

    def add(name: str, kind: str, body: str, accept: str) -> None:
        scoped = graphs if kind in ("example", "aggregate") else ()
        requests.append(Request(name, kind, head + body, accept, scoped, scoped))

    for iri in targets[:lookups]:
        add(f"lookup {iri.removeprefix(base)}", "lookup", LOOKUP.format(iri=iri), SELECT_TYPE)
    if examples:
        for example in load_examples():
            add(f"example {example.name}", "example", example.text, SELECT_TYPE)
    add("aggregate classes", "aggregate", AGGREGATE, SELECT_TYPE)
    for iri in entries[:constructs]:
        add(
            f"construct {iri.removeprefix(base)}",
            "construct",
            CONSTRUCT.format(iri=iri),
            GRAPH_TYPE,
        )
    for iri in entries[:describes]:
        add(f"describe {iri.removeprefix(base)}", "describe", DESCRIBE.format(iri=iri), GRAPH_TYPE)
    # Interleave kinds so that a short run still sees every kind.
    rng = random.Random(seed)
    rng.shuffle(requests)
    return Mix(requests)
