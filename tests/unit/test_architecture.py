"""The package layout is the architecture: imports between the packages of `assistant/` go one way
(text -> storage -> index -> answer -> Slack and widget -> composition root -> API -> CLI), so the tree alone shows what depends on
what. A new import against that direction, or any cycle, fails here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "assistant"

# Each package may import only packages of a lower layer (and modules of its own).
LAYERS: list[set[str]] = [
    {"errors", "models", "cpu", "log"},
    {"text"},
    {"storage"},
    {"partners", "llm"},
    {"settings"},
    {"index"},
    {"answer"},
    {"slack", "web"},
    {"components"},
    {"api"},
    {"cli"},
]


def _unit(module: str) -> str:
    """`assistant.index.store` -> `index`; `assistant.settings` -> `settings`."""
    return module.split(".")[1]


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        source = _unit("assistant." + ".".join(path.relative_to(ROOT).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("assistant.") and _unit(name) != source:
                    graph[source].add(_unit(name))
    return graph


def _layer(unit: str) -> int:
    for index, layer in enumerate(LAYERS):
        if unit in layer:
            return index
    raise AssertionError(f"assistant/{unit} is in no layer of this test: place it in LAYERS")


def test_every_import_between_packages_points_down_the_layers() -> None:
    upward = [
        f"assistant/{source} imports assistant/{target}"
        for source, targets in sorted(_imports().items())
        for target in sorted(targets)
        if _layer(target) >= _layer(source)
    ]
    assert upward == []


def test_the_layering_sees_the_real_packages() -> None:
    graph = _imports()
    assert {"text", "index"} <= graph["answer"]
    assert "answer" in graph["cli"]
    assert "__init__" not in graph
