"""The house's layers: a module imports only from its own layer or a lower one, read from the source (ast), so an
import inside a function counts as much as one at the top.

From the bottom: the programme core (layout, waves and drops, identifier schemes, partition keys) with the
shared plumbing (settings, templates, the statistics the field checks, the analysis and the report share, the
warehouse resource, the instance's storage and run workers); ingest;
the column lineage of SQL (ingest's raw origins below it, dbt's metadata above it); quality and transform;
analysis; publish; the entry points (CLI, prompt, query, automation, definitions, benchmark, sample data).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "score_pipeline"

# score_pipeline's first-level module or package -> its layer (a higher number is a higher layer)
LAYERS = {
    "core": 0, "settings": 0, "templates": 0, "stats": 0, "design_stats": 0, "resources": 0, "run_workers": 0, "instance_storage": 0,
    "ingest": 1,
    "lineage": 2,
    "quality": 3, "transform": 3,
    "analysis": 4,
    "publish": 5,
    "cli": 6, "running": 6, "automation": 6, "definitions": 6, "benchmark": 6, "sample_data": 6,
}
STAGES = {"ingest", "quality", "transform", "analysis", "publish", "lineage", "cli"}


def top_of(module: str) -> str:
    """`score_pipeline.ingest.load` -> `ingest`."""
    return module.split(".")[1]


def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): path
            for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """The score_pipeline modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("score_pipeline.")}


def arrows() -> list[tuple[str, str]]:
    return [(module, target) for module, path in modules().items() if module != "score_pipeline"
            for target in sorted(imported(path))]


def test_every_module_has_a_layer() -> None:
    assert sorted({top_of(module) for module in modules() if module != "score_pipeline"} - set(LAYERS)) == []


def test_the_core_imports_no_stage() -> None:
    upward = [f"{module} imports {target}" for module, target in arrows()
              if top_of(module) == "core" and top_of(target) in STAGES]
    assert upward == []


def test_no_layer_imports_a_higher_one() -> None:
    """(A module of no layer is test_every_module_has_a_layer's failure.)"""
    upward = [f"{module} imports {target}" for module, target in arrows()
              if LAYERS.get(top_of(target), -1) > LAYERS.get(top_of(module), len(LAYERS))]
    assert upward == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from score_pipeline.ingest.load import raw_columns", {"score_pipeline.ingest.load"}),
    ("def f():\n    from score_pipeline.publish import report\n", {"score_pipeline.publish"}),
    ("import score_pipeline.cli, os", {"score_pipeline.cli"}),
    ("from . import sibling\nfrom dagster import asset", set()),
])
def test_imports_are_read_anywhere_in_a_file(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert imported(path) == expected
