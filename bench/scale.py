"""``python -m bench scale`` (placeholder until the generator lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scale", help="synthetic municipalities: load, latency, memory, SHACL")
    p.set_defaults(run=lambda args: 1)
