"""``python -m bench``: kgraph side by side with its peers, on the same data and machine.

Subcommands (``python -m bench --help``):

* ``peers`` (the default): kgraph under granian, ``oxigraph serve-read-only`` and
  ``rdflib-endpoint`` on the shipped data; the same query mix against each; cold
  start, throughput, p50/p99 latency, peak memory; the ratios kgraph/oxigraph and
  kgraph/rdflib-endpoint measured in this run.
* ``coldstart``: ``python server.py`` on the shipped data, process start to first
  answered query (validation cached by content hash).
* ``scale``: synthetic municipalities at several sizes: bulk load, query-mix
  latency, memory and SHACL validation time (see :mod:`bench.scale`).
"""

from __future__ import annotations

import argparse
import sys

from . import coldstart, peers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    peers.register(sub)
    coldstart.register(sub)
    from . import scale

    scale.register(sub)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["peers"])
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
