"""What a sandbox does for the staff area: compare an upload, publish it, restore.

These run in a validation sandbox (:mod:`kgraph.engine.operations` dispatches
here), never in the web process: the upload is a stranger's bytes until it has
been parsed and validated.  Each is the service layer's one path
(:mod:`kgraph.service`):

``staff_compare``  :func:`~kgraph.service.with_upload` → validate → the diff against
                   the published data (ja and en); nothing is written
``staff_publish``  the same under the writer lock, then
                   :func:`~kgraph.service.publish`: ``409`` (with the new comparison)
                   when the published data is no longer what the upload was
                   compared with, ``422`` when it does not conform
``staff_restore``  :func:`~kgraph.service.from_snapshot` → validate → publish

A kill at any point is harmless: a snapshot becomes current only by an atomic
rename (:mod:`kgraph.snapshots`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from .. import service
from ..config import Config
from ..diff import diff_datasets
from ..messages import LANGS
from ..snapshots import SnapshotStore
from ..uploads import UploadError
from . import provenance
from .provenance import Agent

OPS = ("staff_compare", "staff_publish", "staff_restore")
#: Resources a diff lists at most in an answer (the summary counts them all).
MAX_DIFF_RESOURCES = 500

Answer = tuple[dict[str, Any], bytes]


def run(op: str, root: str, header: dict[str, Any], payload: bytes, *,
        report: Callable[[service.Checked], dict[str, Any]],
        problem: Callable[[Any], dict[str, Any]]) -> Answer:
    """Do ``op``; ``report`` and ``problem`` turn a report and an upload's problem
    into the answer's JSON (the same as ``/validation``'s)."""
    config = Config(base=header.get("base") or None, cache_dir=header.get("cache_dir"))
    work = _Work(root, config, report, problem)
    if op == "staff_compare":
        return work.compare(str(header["name"]), payload, service.Published(root)), b""
    if op == "staff_publish":
        return work.publish(header, payload), b""
    if op == "staff_restore":
        return work.restore(header), b""
    raise ValueError(f"unknown operation {op!r}")


class _Work:
    def __init__(self, root: str, config: Config, report, problem) -> None:  # type: ignore[no-untyped-def]
        self.root, self.config, self.report, self.problem = root, config, report, problem
        self.mine = provenance.graph(config.base)

    def _candidate(self, name: str, data: bytes, published: service.Published):  # type: ignore[no-untyped-def]
        return service.with_upload(self.config, name, data, published, label="staff")

    def _refused(self, error: UploadError) -> dict[str, Any]:
        return {"status": 400, "error": "upload",
                "problems": [self.problem(p) for p in error.problems]}

    def compare(self, name: str, data: bytes, published: service.Published) -> dict[str, Any]:
        """The report and the diff of the published data with the upload in place."""
        try:
            candidate = self._candidate(name, data, published)
        except UploadError as error:
            return self._refused(error)
        before = published.quads()
        if not _same_graph(candidate.quads, before, self.mine):  # kgraph's own record
            return {"status": 400, "error": "publications"}
        checked = service.validate(self.config, candidate, published, workers=1)
        diffs = diff_datasets(before, candidate.quads, LANGS, skip=[self.mine])
        answer = self.report(checked)
        answer.pop("turtle", None)
        return {**answer, "status": 200, "based_on": published.snapshot,
                "conforms": checked.conforms,
                "diff": {lang: _capped(d.to_json()) for lang, d in diffs.items()}}

    def publish(self, header: dict[str, Any], data: bytes) -> dict[str, Any]:
        name, based_on = str(header["name"]), header.get("based_on")
        with service.writing(self.root) as published:
            if published.snapshot != based_on:
                answer = self.compare(name, data, published)
                if answer["status"] != 200:
                    return answer
                return {**answer, "status": 409, "error": "conflict", "was_based_on": based_on}
            try:
                candidate = self._candidate(name, data, published)
            except UploadError as error:
                return self._refused(error)
            candidate.based_on = based_on
            checked = service.validate(self.config, candidate, published, workers=1)
            if not checked.conforms:
                answer = self.report(checked)
                answer.pop("turtle", None)
                return {**answer, "status": 422, "error": "violation", "conforms": False}
            return self._published(published, checked, header, {
                "upload": name, "change": str(header.get("change") or "")})

    def restore(self, header: dict[str, Any]) -> dict[str, Any]:
        target = str(header["snapshot"])
        with service.writing(self.root) as published:
            wanted = header.get("based_on")
            if wanted and published.snapshot != wanted:
                return {"status": 409, "error": "conflict", "current": published.snapshot}
            try:
                candidate = service.from_snapshot(self.root, target, published,
                                                  self.config.base)
            except service.Refused:
                return {"status": 404, "error": "not-kept"}
            checked = service.validate(self.config, candidate, published, workers=1)
            if not checked.conforms:  # the shapes may have changed since
                answer = self.report(checked)
                answer.pop("turtle", None)
                return {**answer, "status": 422, "error": "violation", "conforms": False}
            return self._published(published, checked, header, {"restored_from": target})

    def _published(self, published: service.Published, checked: service.Checked,
                   header: dict[str, Any], details: dict[str, str]) -> dict[str, Any]:
        if service.unchanged(checked.candidate, published):
            return {"status": 200, "changed": False, "snapshot": published.snapshot}
        path = service.publish(self.root, checked, published,
                               agent=Agent.from_json(header.get("agent")),
                               summary=header.get("summary"), details=details)
        record = SnapshotStore(self.root).record(path.name) or {}
        return {"status": 200, "changed": True, "snapshot": path.name,
                "published_at": record.get("published_at"), "by": record.get("by")}


def _same_graph(new: list, old: list, graph: str) -> bool:
    node = ox.NamedNode(graph)
    return {q for q in new if q.graph_name == node} == {q for q in old if q.graph_name == node}


def _capped(diff: dict[str, Any]) -> dict[str, Any]:
    resources = diff.get("resources", [])
    if len(resources) > MAX_DIFF_RESOURCES:
        diff = {**diff, "resources": resources[:MAX_DIFF_RESOURCES],
                "omitted": len(resources) - MAX_DIFF_RESOURCES}
    return diff
