"""Imports point one way down (STYLE.md): a module never imports a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "feeds"
# Lower number = lower layer. A module may import its own layer or any below it.
LAYERS = {
    "errors": 0,
    "_version": 0,
    "lru": 0,
    "paged": 0,  # packed texts kept in the page cache (standard library only)
    "folder": 0,  # the seeds folder as rows (standard library only: `feeds serve` forks its scan first)
    "model": 1,
    "loading": 2,
    "snapshot": 3,
    "index": 3,
    "query": 3,  # a feed request's parameters, applied to groups
    "catalog": 4,
    "rendering": 5,
    "outputs": 6,
    "site": 7,
    "web": 7,
    "config": 8,  # read at the edges only: web's app factory and the cli
    "server": 9,  # the production servers: run the app, below the cli that picks one
    "cli": 9,
    "__init__": 9,
}
EDGES = {"web/__init__.py", "web/serving.py", "cli.py", "server.py", "__init__.py", "site.py"}  # may read config


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def imports_of(path: Path) -> list[str]:
    rel = path.relative_to(PACKAGE)
    package = list(rel.parent.parts)
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
            if target:
                out.append(target)
            else:  # `from . import x`
                out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("feeds."):
            out.append(node.module.removeprefix("feeds."))
    return out


def test_imports_point_down() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        own = rel.parts[0].removesuffix(".py")
        for target in imports_of(path):
            name = target.split(".")[0]
            if name == "config" and str(rel) in EDGES:
                continue
            if layer_of(target) > LAYERS[own]:
                wrong.append(f"{rel} imports {target}")
    assert wrong == []
