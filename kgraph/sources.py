"""Which files make up a dataset, and which named graph each one goes into.

The shipped dataset is one named graph per source area: ``ontology/`` becomes
``<base>graph/ontology`` and each ``data/<area>.ttl`` becomes ``<base>graph/<area>``.
Files given on the command line keep their own named graphs (N-Quads, TriG) or, for
triple formats, go into a graph named after the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat

from .config import PROJECT_ROOT, Config
from .formats import by_suffix, suffixes
from .iris import graph_iri

#: Extensions we read, and their formats (pyoxigraph's, :mod:`kgraph.formats`).
FORMATS: dict[str, RdfFormat] = {
    suffix: found for suffix in suffixes() if (found := by_suffix(suffix)) is not None}


@dataclass(frozen=True)
class Source:
    """One RDF file and the named graph its triples go into.

    ``graph`` is ``None`` for dataset formats, whose quads keep their own graphs.
    """

    path: Path
    format: RdfFormat
    graph: str | None

    @property
    def area(self) -> str:
        return self.path.stem


class UnknownFormatError(ValueError):
    """A file whose extension names no RDF format we read."""


def format_for(path: Path) -> RdfFormat:
    """The RDF format of a file, from its extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnknownFormatError(
            f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})"
        ) from None


def shipped_sources(base: str, root: Path = PROJECT_ROOT) -> list[Source]:
    """The ontology and data files of the project, in a stable order."""
    sources = [
        Source(path, RdfFormat.TURTLE, graph_iri(base, "ontology"))
        for path in sorted((root / "ontology").glob("*.ttl"))
    ]
    sources += [
        Source(path, RdfFormat.TURTLE, graph_iri(base, path.stem))
        for path in sorted((root / "data").glob("*.ttl"))
    ]
    return sources


def sources_for_files(paths: list[str | Path], base: str) -> list[Source]:
    """Sources for files named by a user (``--data``, ``kgraph validate FILE``)."""
    sources = []
    for name in paths:
        path = Path(name)
        fmt = format_for(path)
        graph = None if fmt.supports_datasets else graph_iri(base, path.stem)
        sources.append(Source(path, fmt, graph))
    return sources


def config_sources(config: Config) -> list[Source]:
    """The files a config serves: ``--data`` files, else the shipped sources."""
    if config.data:
        return sources_for_files(config.data, config.base)
    return shipped_sources(config.base)


def shapes_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The SHACL shapes files, in a stable order."""
    return sorted((root / "shapes").glob("*.ttl"))
