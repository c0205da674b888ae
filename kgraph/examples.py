"""The catalogue of example queries: ``queries/*.rq`` with bilingual headers.

Each file opens with comment lines that name it in both languages::

    # title@ja: 施策ごとの事業
    # title@en: Entries per policy
    # description@ja: …
    # description@en: …

and then the query, which declares every prefix it uses (``PREFIX kgo: <…>``), so
that the file runs as it is in any SPARQL tool (YASGUI, Fuseki, Comunica, rdflib),
none of which knows the prefixes kgraph's endpoint and CLI predeclare
(:data:`kgraph.iris.PREFIXES`; ``tests/test_portable_queries.py`` checks every file).
The file name without ``.rq`` is the example's name (what ``kgraph query --example
NAME`` and ``/query?example=NAME`` take); the query page shows the file as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import PROJECT_ROOT

QUERIES_DIR = PROJECT_ROOT / "queries"
LANGUAGES = ("ja", "en")
REQUIRED_FIELDS = ("title", "description")
_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+)@(?P<lang>[a-z-]+)\s*:\s*(?P<value>.*?)\s*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ExampleError(ValueError):
    """An example file without the headers every example must have."""


@dataclass(frozen=True)
class Example:
    """One example query and its titles and descriptions per language."""

    name: str
    path: Path
    text: str
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["en"]

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.descriptions["en"]

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": dict(self.titles),
            "description": dict(self.descriptions),
            "query": self.text,
        }


def parse_example(path: Path) -> Example:
    """Read one ``.rq`` file; raise :class:`ExampleError` naming what is missing."""
    name = path.stem
    if not _NAME.match(name):
        raise ExampleError(f"{path}: example names are lower-case ASCII with hyphens")
    text = path.read_text(encoding="utf-8")
    values: dict[str, dict[str, str]] = {key: {} for key in REQUIRED_FIELDS}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if match and match["key"] in values:
            values[match["key"]][match["lang"]] = match["value"]
    for key in REQUIRED_FIELDS:
        missing = [lang for lang in LANGUAGES if not values[key].get(lang)]
        if missing:
            raise ExampleError(f"{path}: missing header '# {key}@{missing[0]}: …'")
    return Example(name, path, text, values["title"], values["description"])


def load_examples(directory: Path = QUERIES_DIR) -> list[Example]:
    """All examples, sorted by file name (files are numbered to give a reading order)."""
    return [parse_example(path) for path in sorted(directory.glob("*.rq"))]


def find_example(name: str, directory: Path = QUERIES_DIR) -> Example:
    """The example called ``name``; :class:`KeyError` lists the known names."""
    examples = load_examples(directory)
    for example in examples:
        if example.name == name or example.name.split("-", 1)[-1] == name:
            return example
    known = ", ".join(e.name for e in examples)
    raise KeyError(f"no example called {name!r} (known: {known})")
