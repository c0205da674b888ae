"""The package's layers: no module imports from a layer above its own, and no cycles.

=====  ==========================================================================
layer  modules
=====  ==========================================================================
0      config, iris, terms, messages, orphans, formats: settings, names, words, formats
1      the library: sources, dataset, parse_limits, snapshots, validation,
       validation_units, report_cache, reports, table, diff, search, examples,
       synthetic, uploads, sparql_constraints, labels (the label policy)
2      service, staff: the one path for data; who publishes, and the record of it
3      engine: sandboxes, isolation, backends
4      web: the HTTP application
5      cli, commands: the command line
=====  ==========================================================================
"""

from __future__ import annotations

import ast
from pathlib import Path

from kgraph.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "kgraph"
LAYERS = {
    0: ("config", "iris", "terms", "messages", "orphans", "formats", "__init__"),
    1: ("sources", "dataset", "parse_limits", "snapshots", "validation", "validation_units",
        "report_cache", "reports", "table", "diff", "search", "examples", "synthetic",
        "uploads", "sparql_constraints", "labels"),
    2: ("service", "staff"),
    3: ("engine",),
    4: ("web",),
    5: ("cli", "commands"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    for number, names in LAYERS.items():
        if top in names:
            return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The kgraph modules a module imports (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("kgraph") and target != module_name(path):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names
                             if (PACKAGE.parent / (f"{target}.{a.name}".replace(".", "/")
                                                   + ".py")).exists())
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kgraph"))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_no_module_imports_from_a_layer_above():
    wrong = []
    for path in MODULES:
        name = module_name(path)
        for target in imports(path):
            if target == "kgraph":
                continue
            if layer(target) > layer(name):
                wrong.append(f"{name} (layer {layer(name)}) imports {target} "
                             f"(layer {layer(target)})")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles():
    graph = {module_name(p): {t for t in imports(p, top_level_only=True) if t != "kgraph"}
             for p in MODULES}
    visiting, done, cycles = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done:
            return
        if node in visiting:
            cycles.append(" -> ".join([*trail[trail.index(node):], node]))
            return
        visiting.add(node)
        for target in sorted(graph.get(node, ())):
            if target in graph:
                visit(target, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert cycles == [], "\n".join(cycles)
