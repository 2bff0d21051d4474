"""Only ``initcfg.mmengine`` imports MMEngine at module level; other modules reach it
lazily, inside the function that needs it, so initcfg works without MMEngine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "initcfg"


def _module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:  # top-level statements only: function bodies are lazy
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_initcfg_mmengine_imports_mmengine_at_module_level() -> None:
    importing = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if any(
            name == "mmengine" or name.startswith("mmengine.") or name == "initcfg.mmengine"
            for name in _module_level_imports(path)
        )
    )
    assert importing == ["mmengine.py"]


def test_the_cli_and_the_checkpoint_reader_load_without_mmengine_imported() -> None:
    probe = (
        "import sys\n"
        "import initcfg.cli.train, initcfg.cli.plan, initcfg.backend.torch._checkpoint\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] == 'mmengine'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "LOADED []" in done.stdout, done.stdout + done.stderr
