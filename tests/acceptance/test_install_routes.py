"""The README's install routes, run for real: what it tells a newcomer to type works.

initcfg is not on PyPI and has no release tag, so the README offers a clone: `pip install
.` for validation without torch, and pre-commit pointed at the clone and one of its
commits, or a local hook. Each test takes the snippet out of the README itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
GOOD = "model:\n  neck:\n    init_cfg: {type: Xavier, layer: Conv2d, distribution: uniform}\n"
BAD = "model:\n  head:\n    init_cfg: {type: Normal, layer: Conv2d, override: {val: 3}}\n"


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _yaml_blocks(title: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", _section(title), re.S)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this repository, as a newcomer has it (committed files only)."""
    target = tmp_path / "initcfg"
    _git(tmp_path, "clone", "-q", str(REPO), str(target))
    return target


def _project(tmp_path: Path, pre_commit_config: str) -> Path:
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "good.yaml").write_text(GOOD)
    (project / "configs" / "bad.yaml").write_text(BAD)
    (project / ".pre-commit-config.yaml").write_text(pre_commit_config)
    _git(project, "init", "-q")
    _git(project, "add", ".")
    return project


def _pre_commit(
    project: Path, *files: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home")}
    env.pop("CI", None)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["pre-commit", "run", "--files", *files],
        cwd=project, capture_output=True, text=True, env=env, timeout=900,
    )


def _assert_hook_fails_bad_and_passes_good(project: Path, path: str | None = None) -> None:
    failed = _pre_commit(project, "configs/good.yaml", "configs/bad.yaml", path=path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "configs/bad.yaml:3:" in failed.stdout
    assert "error[IC109]" in failed.stdout
    passed = _pre_commit(project, "configs/good.yaml", path=path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_readme_offers_no_route_that_cannot_work() -> None:
    tags = _git(REPO, "tag", "--list").split()
    for rev in re.findall(r"\brev: (\S+)", README):
        assert rev == "<commit>" or rev in tags, f"rev {rev!r} is no tag of this repository"
    # initcfg is on no registry: the README may name that command only to say so.
    for mention in re.finditer(r"`pip install initcfg`", README):
        assert README[mention.end() :].startswith(" finds nothing")


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is a test extra")
def test_readme_pre_commit_snippet_with_a_clone_and_a_commit(
    tmp_path: Path, clone: Path
) -> None:
    snippet = _yaml_blocks("pre-commit")[0]
    assert "path/to/initcfg" in snippet and "<commit>" in snippet
    commit = _git(clone, "rev-parse", "HEAD")
    config = snippet.replace("path/to/initcfg", str(clone)).replace("<commit>", commit)
    _assert_hook_fails_bad_and_passes_good(_project(tmp_path, config))


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is a test extra")
def test_readme_pre_commit_local_hook(tmp_path: Path) -> None:
    snippet = _yaml_blocks("pre-commit")[1]
    assert "repo: local" in snippet
    # The environment that runs pre-commit has initcfg installed: this test's own.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    _assert_hook_fails_bad_and_passes_good(_project(tmp_path, snippet), path=path)


def test_readme_torch_free_install_route(tmp_path: Path, clone: Path) -> None:
    match = re.search(r"Validation alone needs no torch at all: `([^`]+)` in a clone", README)
    assert match is not None, "the Quick start names the torch-free install route"
    command = match.group(1).split()
    assert command[:2] == ["pip", "install"]
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run(
        [str(python), "-m", *command, "--quiet"], cwd=clone, check=True, timeout=900,
        capture_output=True,
    )
    example = clone / "examples" / "faster_rcnn_finetune.py"
    result = subprocess.run(
        [str(environment / "bin" / "initcfg"), "validate", str(example)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning[IC306]" in result.stdout
    no_torch = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
    assert no_torch.returncode != 0  # the route installed no torch
