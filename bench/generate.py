"""``python -m bench.generate``: write synthetic municipalities as N-Quads.

    python -m bench.generate --triples 1000000 --out /tmp/synthetic-1m

writes ``ontology.nq`` and ``municipalities-NNNN.nq`` (10 municipalities a file,
so that the bulk loader can load files in parallel),
about ``--triples`` quads in all, each municipality in its own named graph (see
:mod:`kgraph.synthetic`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kgraph.config import DEFAULT_BASE
from kgraph.synthetic import generate


def parse_size(text: str) -> int:
    """``10k``, ``1m``, ``2.5M`` or a plain number."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    p.add_argument("--triples", type=parse_size, required=True, help="about how many (10k, 1m)")
    p.add_argument("--out", type=Path, required=True, help="directory to write")
    p.add_argument("--base", default=DEFAULT_BASE, help=f"instance base IRI ({DEFAULT_BASE})")
    args = p.parse_args(argv)
    start = time.perf_counter()
    made = generate(args.out, args.triples, args.base)
    seconds = time.perf_counter() - start
    print(f"{made.quads} quads: {made.municipalities} municipalities x "
          f"{made.quads_per_municipality} + ontology {made.ontology_quads}, "
          f"{len(made.files)} files in {args.out} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
