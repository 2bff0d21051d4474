"""The config package's shape: small modules, imports only of itself and the diagnostic
types, and the old module paths still giving the same objects."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import initcfg.config

CONFIG = Path(initcfg.config.__file__).parent
MODULES = sorted(CONFIG.rglob("*.py"))
MAX_LINES = 600
# What config/ may import besides itself: the diagnostic types and the exception root
# (which imports only the diagnostic types).
ALLOWED = ("initcfg.config", "initcfg.diagnostics", "initcfg.errors")


def _name(path: Path) -> str:
    return path.relative_to(CONFIG.parent).as_posix()


def test_the_package_has_its_modules() -> None:
    names = {_name(path) for path in MODULES}
    assert {"config/loader.py", "config/merge.py", "config/bases.py",
            "config/evaluator/core.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_imports_only_config_and_the_diagnostic_types(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.append(node.module)
    outside = [
        name for name in imported
        if name.split(".")[0] == "initcfg"
        and not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)
    ]
    assert outside == []


EVALUATOR_NAMES = (
    "STATEMENT_FIELDS", "ColumnMap", "ConfigNode", "EvalFailure", "Evaluator", "LazySourceMap",
    "LocTable", "Unsafe", "is_new_style", "plain", "unbindable", "walk_locations",
    "SAFE_BUILTINS", "MAX_STEPS",
)
LOADER_NAMES = (
    ("loader", "Loader"), ("bases", "BASE_KEY"), ("bases", "package_root"),
    ("loaded", "Loaded"), ("loaded", "clear_cache"), ("loaded", "_cache"),
    ("merge", "add_scope"), ("merge", "unshare"), ("merge", "mutates"),
    ("merge", "merge_into"), ("placeholders", "preprocess"),
)


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        *[("python_loader", "evaluator", name) for name in EVALUATOR_NAMES],
        *[("inherit", new, name) for new, name in LOADER_NAMES],
    ],
)
def test_old_paths_give_the_same_objects(old: str, new: str, name: str) -> None:
    shim = importlib.import_module(f"initcfg.config.{old}")
    moved = importlib.import_module(f"initcfg.config.{new}")
    assert getattr(shim, name) is getattr(moved, name)
