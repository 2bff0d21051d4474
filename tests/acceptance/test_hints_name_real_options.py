"""Every hint names options the command that printed it has.

A hint may name another command's option only together with that command
(`initcfg plan --reach all`); every other `--option` in the output must be one of the
running command's own.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from initcfg.cli import main

REPO = Path(__file__).resolve().parents[2]
_NAMED = re.compile(r"initcfg ([a-z-]+) (--[a-z][a-z-]*)")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def _options(name: str) -> set[str]:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def _assert_hints_name_real_options(name: str, output: str) -> None:
    named = _NAMED.findall(output)
    for other, option in named:
        assert option in _options(other), f"{other} has no {option}: {output}"
    rest = _NAMED.sub("", output)
    for option in _OPTION.findall(rest):
        assert option in _options(name), f"`initcfg {name}` has no {option}:\n{output}"


def _run(name: str, *args: str) -> str:
    result = CliRunner().invoke(main, [name, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output


@pytest.fixture
def missing_checkpoint(tmp_path: Path) -> Path:
    config = tmp_path / "finetune.py"
    config.write_text(
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)\n"
        "load_from = 'work_dirs/pretrain/epoch_12.pth'\n"
    )
    return config


@pytest.mark.parametrize(
    ("name", "names_the_skip"),
    [("validate", True), ("finetune-summary", True), ("train", False)],
)
def test_missing_load_from_hint_fits_the_command(
    missing_checkpoint: Path, name: str, names_the_skip: bool
) -> None:
    output = _run(name, str(missing_checkpoint))
    assert "IC312" in output
    _assert_hints_name_real_options(name, output)
    assert ("--no-fs-checks" in output) == names_the_skip


def test_library_hint_names_no_cli_option(missing_checkpoint: Path) -> None:
    import initcfg

    (found,) = [d for d in initcfg.validate(missing_checkpoint) if d.code == "IC312"]
    assert found.hint is not None and "--" not in found.hint


MODEL = """\
from torch import nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.init_cfg = dict(type='Constant', layer='Linear', val=1)


def build(**kwargs):
    net = nn.Module()
    net.heads = nn.ModuleList([Head()])
    return net
"""


def test_plan_hints_name_plan_options(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "plain_model.py").write_text(MODEL)
    config = tmp_path / "cfg.py"
    config.write_text(
        "model = dict(type='plain_model:build')\nload_from = 'work_dirs/missing.pth'\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        output = _run("plan", str(config), "--model", "plain_model:build")
    finally:
        sys.path.remove(str(tmp_path))
    assert "IC403" in output and "IC409" in output
    assert "initcfg plan --reach all" in output and "reach='all'" in output
    _assert_hints_name_real_options("plan", output)


@pytest.mark.parametrize(
    ("section", "example"),
    [
        ("train_dataloader", "examples.shapes.data:ShapesDataset"),
        ("val_evaluator", "examples.shapes.metric:Accuracy"),
    ],
)
def test_train_factory_hint_offers_an_example_of_its_own_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, example: str
) -> None:
    pytest.importorskip("torch")
    monkeypatch.chdir(REPO)
    text = (REPO / "examples/shapes/pretrain.py").read_text()
    if section == "train_dataloader":
        text = text.replace(
            "type='examples.shapes.data:ShapesDataset', split='train'",
            "type='ShapesDataset', split='train'",
        )
    else:
        text = text.replace("type='examples.shapes.metric:Accuracy'", "type='Accuracy'")
    config = tmp_path / "pretrain.py"
    config.write_text(text)
    output = _run("train", str(config), "--work-dir", str(tmp_path / "work"), "--quiet")
    assert "needs type='module:callable'" in output
    assert f"for example type='{example}'" in output
    assert ":build_model" not in output
