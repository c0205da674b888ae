"""The SPARQL 1.1 protocol: queries, updates, the graph store (read side), the service
description."""
