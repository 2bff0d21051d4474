"""``initcfg plan init`` / ``plan train`` print exactly what their aliases print.

``initcfg plan CONFIG`` stands for ``plan init CONFIG``, ``initcfg plan CONFIG --train``
for ``plan train CONFIG``; same output, same exit status.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.cli import main

REPO = Path(__file__).resolve().parents[3]
MODEL = "examples.models:build_detector"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["examples/plan/faster_rcnn.py", "--model", MODEL],
        ["examples/plan/faster_rcnn.py", "--model", MODEL, "--format", "json"],
        ["examples/plan/faster_rcnn.py", "--model", MODEL, "--meta", "--reach", "all"],
        ["examples/plan/override_typo.yaml", "--model", MODEL],
        ["missing.py"],
    ],
)
def test_plan_init_is_the_alias(args: list[str]) -> None:
    alias = _run(*args)
    assert alias == _run("init", *args)
    assert alias[1]


@pytest.mark.parametrize(
    "args",
    [
        ["examples/shapes/finetune.py", "--iters-per-epoch", "6"],
        ["examples/shapes/finetune.py", "--iters-per-epoch", "6", "--format", "json"],
        ["examples/shapes/finetune.py", "--no-model", "--dataset-size", "100"],
        ["examples/faster_rcnn_finetune.py", "--model", MODEL, "--iters-per-epoch", "10"],
        ["missing.py"],
    ],
)
def test_plan_train_is_the_alias(args: list[str]) -> None:
    alias = _run(args[0], "--train", *args[1:])
    assert alias == _run("train", *args)
    assert alias[1]


def test_exit_statuses_follow_the_plan() -> None:
    code, output = _run("init", "examples/plan/faster_rcnn.py", "--model", MODEL)
    assert code == (1 if "found 1 error" in output else 0)
    assert _run("train", "examples/shapes/finetune.py", "--no-model")[0] == 0
    assert _run("init", "missing.py")[0] == 2
    assert _run("train", "missing.py")[0] == 2


def test_each_subcommand_has_only_its_own_options() -> None:
    code, output = _run("train", "examples/shapes/finetune.py", "--apply")
    assert code == 2 and "No such option '--apply'" in output
    code, output = _run("init", "examples/shapes/finetune.py", "--no-model")
    assert code == 2 and "No such option '--no-model'" in output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--iters-per-epoch", "6"], "--iters-per-epoch"),
        (["--gpus", "4"], "--world-size/--gpus"),
        (["--world-size", "4", "--dataset-size", "100"], "--world-size/--gpus, --dataset-size"),
        (["--train", "--reach", "all"], "--reach"),
    ],
)
def test_the_alias_refuses_what_its_subcommand_has_no_option_for(
    args: list[str], named: str
) -> None:
    """An option `plan init` (or `plan train`) does not have is a usage error there; the
    alias printed a plan that silently ignored it (--iters-per-epoch without --train)."""
    code, output = _run("examples/shapes/finetune.py", *args)
    assert code == 2, output
    assert named in output and "parameter" not in output
    subcommand = "train" if "--train" in args else "init"
    alone = [arg for arg in args if arg != "--train"]
    assert _run(subcommand, "examples/shapes/finetune.py", *alone)[0] == 2


def test_help_lists_the_subcommands() -> None:
    code, output = _run("--help")
    assert code == 0
    assert "init " in output.split("Commands:")[1] and "train " in output.split("Commands:")[1]
    code, output = _run("train", "--help")
    assert code == 0 and "Usage: main plan train [OPTIONS] CONFIG" in output


def test_the_alias_needs_its_config() -> None:
    code, output = _run()
    assert code == 2 and "Missing argument 'CONFIG'" in output
    assert sys.modules.get("initcfg.cli.plan") is not None
