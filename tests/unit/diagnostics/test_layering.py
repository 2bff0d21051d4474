"""The diagnostics package is the bottom layer; config and schema stand on it alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import initcfg

SRC = Path(initcfg.__file__).parent


def _imported_modules(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.relative_to(SRC).as_posix(), node.module))
            elif isinstance(node, ast.Import):
                found.update((path.relative_to(SRC).as_posix(), a.name) for a in node.names)
    return found


def test_importing_diagnostics_loads_no_other_initcfg_module() -> None:
    code = (
        "import sys, initcfg.diagnostics\n"
        "print(sorted(m for m in sys.modules if m.startswith('initcfg.')"
        " and not m.startswith('initcfg.diagnostics')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_diagnostics_imports_nothing_else_of_initcfg() -> None:
    imports = _imported_modules(SRC / "diagnostics")
    assert imports
    outside = {
        (file, module) for file, module in imports
        if module.startswith("initcfg") and not module.startswith("initcfg.diagnostics")
    }
    assert outside == set()


def test_config_and_schema_do_not_import_check() -> None:
    imports = _imported_modules(SRC / "config") | _imported_modules(SRC / "schema")
    assert {(f, m) for f, m in imports if m.startswith("initcfg.check")} == set()


def test_old_paths_name_the_same_objects() -> None:
    from initcfg import diagnostics
    from initcfg.check import diagnostics as old_diagnostics
    from initcfg.check import rules, suggest
    from initcfg.config import source

    assert old_diagnostics.Diagnostic is diagnostics.Diagnostic
    assert rules.diagnostic is diagnostics.diagnostic
    assert suggest.did_you_mean is diagnostics.suggest
    assert source.Location is diagnostics.Location
    assert source.format_path is diagnostics.format_path
