"""``initcfg plan train``: every diagnostic about a config names it (never ``<config>``),
and an optimizer that is not planned says why (IC458 when the config has none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from initcfg.cli import main  # noqa: E402
from initcfg.diagnostics import diagnostic, place  # noqa: E402
from initcfg.plan.train_plan import compile_train_plan  # noqa: E402

NO_OPTIMIZER = {
    "loop_only.yaml": "train_cfg: {by_epoch: true, max_epochs: 3}\n",
    "list_model.yaml": "model: [1, 2]\ntrain_cfg: {by_epoch: true, max_epochs: 3}\n",
    "loop_only.py": "train_cfg = dict(by_epoch=True, max_epochs=3)\n",
    "no_train_settings.yaml": "work_dir: runs/x\n",
}
WITH_OPTIMIZER = (
    "train_cfg: {by_epoch: true, max_epochs: 3}\n"
    "optim_wrapper:\n  optimizer: {type: SGD, lr: 0.1}\n"
)
BAD_OPTIMIZER = (
    "train_cfg: {by_epoch: true, max_epochs: 3}\n"
    "optim_wrapper:\n  optimizer: {type: SGD, lrr: 0.1}\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _plan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(NO_OPTIMIZER))
@pytest.mark.parametrize("command", [["train", "{}", "--no-model"], ["{}", "--train"]])
def test_text_names_the_config_and_why_there_is_no_optimizer(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    config = _write(tmp_path, name, NO_OPTIMIZER[name])
    code, output = _plan(*(part.format(config) for part in command))
    assert code == 0, output
    assert "<config>" not in output
    assert f"{config}:1:1: info[IC458] the config has no optim_wrapper" in output
    assert f"{config}:1:1: info[IC482] planned without a model" in output
    assert "optimizer: not planned (see diagnostics)" in output


@pytest.mark.parametrize("name", sorted(NO_OPTIMIZER))
def test_json_records_carry_file_config_and_place(tmp_path: Path, name: str) -> None:
    config = _write(tmp_path, name, NO_OPTIMIZER[name])
    code, output = _plan("train", str(config), "--no-model", "--format", "json")
    assert code == 0, output
    records = json.loads(output)["diagnostics"]
    assert [r["code"] for r in records] == ["IC458", "IC482"]
    for record in records:
        assert (record["file"], record["config"]) == (str(config), str(config)), record
        assert (record["line"], record["column"]) == (1, 1), record


def test_an_optimizer_keeps_ic482_at_optim_wrapper_and_has_no_ic458(tmp_path: Path) -> None:
    config = _write(tmp_path, "ft.yaml", WITH_OPTIMIZER)
    code, output = _plan("train", str(config), "--no-model", "--format", "json")
    assert code == 0, output
    (record,) = json.loads(output)["diagnostics"]
    assert (record["code"], record["path"], record["line"]) == ("IC482", "optim_wrapper", 2)
    assert record["config"] == str(config)


def test_an_invalid_optimizer_is_explained_by_its_own_diagnostic(tmp_path: Path) -> None:
    config = _write(tmp_path, "bad.yaml", BAD_OPTIMIZER)
    code, output = _plan("train", str(config), "--no-model")
    assert code == 1, output
    assert "error[IC301]" in output and "IC458" not in output
    assert "<config>" not in output


def test_library_plan_with_a_model_reports_ic458_too(tmp_path: Path) -> None:
    config = _write(tmp_path, "loop_only.yaml", NO_OPTIMIZER["loop_only.yaml"])
    plan = compile_train_plan(config, torch.nn.Linear(2, 2))
    assert plan.optimizer is None
    found = [(d.code, d.file, d.config) for d in plan.diagnostics]
    assert found == [("IC458", str(config), str(config))]


def test_place_gives_a_finding_without_a_location_its_config() -> None:
    whole = diagnostic("IC405", "3 of 10 parameters keep torch's default", "")
    (placed,) = place([whole], lambda _key: None, "cfg.yaml")
    assert (placed.file, placed.line, placed.config) == (None, None, "cfg.yaml")
    (kept,) = place([whole], lambda _key: None, None)
    assert kept.config is None


@pytest.mark.parametrize("train", [[], ["--train"]])
def test_a_refused_factory_is_placed_at_the_model_type(tmp_path: Path, train: list[str]) -> None:
    config = _write(tmp_path, "fe.yaml", "model: {type: 'nosuch.mod:build'}\n")
    code, output = _plan(str(config), *train)
    assert code == 2, output
    assert f"initcfg plan: {config}:1:9: error[IC240]: refusing to import 'nosuch.mod'" in output


def test_a_factory_named_on_the_command_line_has_no_config_place(tmp_path: Path) -> None:
    config = _write(tmp_path, "fe.yaml", "model: {type: 'nosuch.mod:build'}\n")
    code, output = _plan(str(config), "--model", "nosuch_module_xyz:build")
    assert code == 2, output
    assert "initcfg plan: error: cannot import module" in output and str(config) not in output


def test_init_plan_findings_in_the_config_name_it(tmp_path: Path) -> None:
    from initcfg.plan.init_plan import compile_init_plan

    config = _write(tmp_path, "typo.yaml", "model:\n  init_cfg: {type: Normal, layer: Conv2D}\n")
    plan = compile_init_plan(config, torch.nn.Sequential(torch.nn.Linear(2, 2)))
    found = {d.code: (d.file, d.line, d.config) for d in plan.diagnostics}
    assert found["IC402"] == (str(config), 2, str(config))
    assert found["IC405"] == (None, None, str(config))  # about the whole model
    lazy = compile_init_plan(config, torch.nn.Sequential(torch.nn.LazyLinear(2)))
    assert [(d.code, d.config) for d in lazy.diagnostics] == [("IC440", str(config))]
