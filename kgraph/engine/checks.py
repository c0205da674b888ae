"""What the endpoint checks in a query or update's text, in the sandbox that runs it.

Reading a SPARQL text is work on what a stranger sent: a lexer over a megabyte can
take seconds (an attack found inputs that made ours take time quadratic in their
length), so it happens here, in a killable sandbox with a time budget, never in
the web process.  The checks give clear answers; they are not what keeps anyone
in (the sandbox's network isolation is, :mod:`kgraph.engine.isolation`):

* nesting deeper than :data:`~kgraph.engine.sparql_text.MAX_NESTING` is refused
  before the engine's recursive parser sees it;
* ``SERVICE`` and ``LOAD`` whose target is not an allow-listed host are refused
  with the target named; where the engine is not contained, every text that
  could name a remote target is refused;
* an update given ``using-graph-uri`` may not have its own ``USING``/``WITH``;
* for a remote engine (``graphs_under``), the graphs a query names (``FROM``,
  ``FROM NAMED``, the protocol's ``default-graph-uri``/``named-graph-uri``) must
  be kgraph's own: an engine may fetch a graph it does not hold.

A refusal is a :class:`Refusal` with a catalogue key and its values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import isolation
from .sparql_text import MAX_NESTING, Analysis, analyse, nesting_depth


@dataclass
class Refusal(Exception):
    """A text refused before it runs: the message's key and values, a detail."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def header(self) -> dict[str, Any]:
        return {"status": 400, "error": "refused", "message": self.key,
                "values": self.values, "detail": self.detail}


def check(text: str, *, kind: str, base: str | None, prefixes: Mapping[str, str] | None,
          allowed_hosts: Sequence[str], contained: bool,
          using: bool = False, graphs_under: str | None = None,
          asked_graphs: Sequence[str] = (), form: bool = True) -> Analysis:
    """The analysis of a text that may run, or :class:`Refusal`; ``form=False`` when
    the caller does not need the query form (:func:`analyse` may then skip lexing)."""
    kind_ja = "クエリ" if kind == "query" else "更新"
    if not text.strip():
        raise Refusal("sparql.empty", {"kind": kind, "kind_ja": kind_ja})
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise Refusal("sparql.nesting", {"kind": kind, "kind_ja": kind_ja, "depth": depth,
                                  "limit": MAX_NESTING})
    if not contained and isolation.names_remote(text):
        raise Refusal("work.remote_unavailable")
    analysis = analyse(text, base=base, prefixes=prefixes, form=form,
                       update=kind == "update")
    if using and analysis.has_using_or_with:
        raise Refusal("sparql.using_conflict")
    if graphs_under is not None:
        for graph in [*analysis.from_graphs, *analysis.from_named, *asked_graphs]:
            if graph is None or not graph.startswith(graphs_under):
                raise Refusal("sparql.foreign_graph", {"iri": graph or "?",
                                                       "graphs": graphs_under})
    allowed = {h.lower() for h in allowed_hosts}
    for remote in analysis.remotes:
        if remote.iri is None:
            raise Refusal("sparql.remote_variable", {"keyword": remote.keyword}, remote.text)
        if not remote.iri.lower().startswith(("http://", "https://")) \
                or remote.host not in allowed:
            raise Refusal("sparql.remote_host", {"keyword": remote.keyword, "iri": remote.iri})
    return analysis
