"""The staff's side of publishing: accounts, pending changes, and the record of who
published what (:mod:`.provenance`), used by :mod:`kgraph.service` for every
publication and by the staff area (:mod:`kgraph.web.staff`).

Nothing here parses what a user uploads: that happens in a sandbox
(:mod:`.publishing`, run by :mod:`kgraph.engine.operations`).
"""
