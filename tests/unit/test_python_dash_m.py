"""``python -m initcfg`` is the same command line as the ``initcfg`` script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "initcfg", *args], capture_output=True, text=True, cwd=cwd,
        check=False,
    )


def test_help_lists_the_commands_under_the_module_name() -> None:
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    assert "python -m initcfg" in result.stdout
    for command in ("validate", "explain", "schema", "plan", "train"):
        assert command in result.stdout


def test_validate_reports_and_exits_as_the_script_does(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("model:\n  init_cfg: {type: Normal, layer: Linear, std: 0.01}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  init_cfg: {type: Normal, layer: Linear, std: -1}\n")
    assert _run("validate", str(good)).returncode == 0
    failed = _run("validate", str(bad))
    assert failed.returncode == 1
    assert "bad.yaml:2:" in failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr
