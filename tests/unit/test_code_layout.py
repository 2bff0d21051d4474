"""The shape of the code: the pipeline's layers hold in the import graph, no module is
too big to read, and every package says what its job is."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "initcfg"
MODULES = sorted(PACKAGE.rglob("*.py"))
PACKAGES = sorted(path.parent for path in PACKAGE.rglob("__init__.py"))
MAX_LINES = 600


def _name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_no_module_is_over_600_lines() -> None:
    sizes = {_name(path): len(path.read_text(encoding="utf-8").splitlines()) for path in MODULES}
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert over == {}


@pytest.mark.parametrize("package", PACKAGES, ids=_name)
def test_every_package_says_its_job(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring is not None and len(docstring.split()) >= 5, _name(package)


def test_import_contracts_hold() -> None:
    """``lint-imports`` with the contracts in pyproject.toml ([tool.importlinter])."""
    command = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    assert command is not None, "import-linter is a test extra: pip install -e '.[test]'"
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    result = subprocess.run(
        [command, "--no-cache"], cwd=SRC.parent, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
