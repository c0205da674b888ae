"""A prelude for scripts that publish and SIGKILL themselves at one step of it.

``KILL_POINTS`` reads the step from ``sys.argv[1]`` and traps the file operations of a
publication (kgraph/snapshots.py): ``rename`` of the built snapshot, ``symlink`` of the
new link, ``replace`` of the ``current`` link, ``record`` (the history record's rename)
and ``prune``.  A test appends what publishes (the CLI, a staff publication).
"""

KILL_POINTS = r"""
import os, signal, sys
point = sys.argv[1]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_rename, real_symlink, real_replace = os.rename, os.symlink, os.replace

def rename(src, dst, *a, **k):
    if point == "rename" and "/.building-" in str(src):
        die()
    return real_rename(src, dst, *a, **k)

def symlink(src, dst, *a, **k):
    if point == "symlink" and ".current-" in str(dst):
        die()
    return real_symlink(src, dst, *a, **k)

def replace(src, dst, *a, **k):
    if point == "replace" and ".current-" in str(src):
        die()
    if point == "record" and "/history/." in str(src):
        die()
    return real_replace(src, dst, *a, **k)

os.rename, os.symlink, os.replace = rename, symlink, replace
import kgraph.snapshots
if point == "prune":
    kgraph.snapshots.SnapshotStore.prune = lambda self, keep=2: die()
"""
