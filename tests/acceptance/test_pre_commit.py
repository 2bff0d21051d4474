"""The real pre-commit, installing this repository's hook into a fresh environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

GOOD = "model:\n  neck:\n    init_cfg: {type: Xavier, layer: Conv2d, distribution: uniform}\n"
BAD = "model:\n  head:\n    init_cfg: {type: Normal, layer: Conv2d, override: {val: 3}}\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is a test extra")
def test_hook_fails_bad_config_and_passes_good_one(tmp_path: Path, repo_root: Path) -> None:
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "good.yaml").write_text(GOOD)
    (project / "configs" / "bad.yaml").write_text(BAD)
    # a helper module and a metafile beside the configs: the hook skips them
    (project / "configs" / "helpers.py").write_text("import torch\nclass MyHead:\n    pass\n")
    (project / "configs" / "metafile.yml").write_text("- Name: resnet\n")
    git(project, "init", "-q")
    git(project, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("CI", None)  # keep pre-commit from switching to CI-only behaviour

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pre-commit", "try-repo", str(repo_root), "initcfg-validate", "--files", *files],
            cwd=project, capture_output=True, text=True, env=env, timeout=900,
        )

    failed = try_repo("configs/good.yaml", "configs/bad.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "configs/bad.yaml:3:" in failed.stdout
    assert "error[IC109] override item has no 'name'" in failed.stdout
    assert "good.yaml" not in failed.stdout.replace("configs/bad.yaml", "")

    passed = try_repo("configs/good.yaml", "configs/helpers.py", "configs/metafile.yml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
