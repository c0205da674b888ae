"""Sub-commands of the ``kgraph`` CLI; each module has ``register(subparsers)``."""
