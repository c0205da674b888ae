"""An in-memory copy of the served snapshot, for the many small look-ups pages make.

A resource page or description costs a few dozen pattern look-ups.  On the on-disk
(RocksDB) snapshot each look-up that returns long literals costs a fraction of a
millisecond, because every string is fetched separately; on an in-memory store it
costs microseconds.  So each process keeps an in-memory copy of the current snapshot
when the snapshot is small enough, rebuilt whenever the snapshot changes (a new
``current`` opens a new store handle).  Larger snapshots are read directly.
"""

from __future__ import annotations

import threading
from itertools import islice

import pyoxigraph as ox
from flask import g, has_request_context

from .state import AppState

#: Snapshots with more quads than this are read from disk, not copied.
MIRROR_MAX_QUADS = 500_000

_lock = threading.Lock()


def page_store(state: AppState) -> ox.Store:
    """The store to read for pages: an in-memory copy of the snapshot when it is small.

    Within a request the answer is remembered, so that one request reads one snapshot.
    """
    if has_request_context():
        found = getattr(g, "kgraph_page_store", None)
        if found is not None and found[0] is state:
            return found[1]
        store = _page_store(state)
        g.kgraph_page_store = (state, store)
        return store
    return _page_store(state)


def _page_store(state: AppState) -> ox.Store:
    source = state.store
    if state.store_root is None:  # already an in-memory store
        return source
    found = state.mirror
    if found is not None and found[0] is source:
        return found[1]
    with _lock:
        found = state.mirror
        if found is not None and found[0] is source:
            return found[1]
        quads = list(islice(source.quads_for_pattern(None, None, None, None),
                            MIRROR_MAX_QUADS + 1))
        if len(quads) > MIRROR_MAX_QUADS:
            state.mirror = (source, source)  # remember: read this one from disk
            return source
        mirror = ox.Store()
        mirror.bulk_extend(quads)
        state.mirror = (source, mirror)
        return mirror
