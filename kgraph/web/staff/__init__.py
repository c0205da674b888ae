"""The staff area (``/staff``): city staff upload a plan table, see how it differs
from the published data, publish it, and restore an earlier version - one more
caller of the service layer (:mod:`kgraph.service`), through the same sandboxes.
See :mod:`.routes` for the contract (its ``bp`` is the blueprint) and :mod:`.auth`
for signing in."""
