"""``finetune-summary``: what a fine-tune changes relative to its base, text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.check.finetune_summary import (
    render_summary_text,
    summarize_finetune,
    summarize_finetune_file,
)
from initcfg.cli.finetune_summary import finetune_summary
from initcfg.config.tree import ConfigTree

REPO = Path(__file__).resolve().parents[3]
RECIPE = REPO / "examples" / "faster_rcnn_finetune.py"
YAML_CHILD = REPO / "examples" / "finetune" / "lr_raised.yaml"


def _rows(path: Path) -> dict[str, tuple[str, object, object]]:
    summary = summarize_finetune_file(path)
    return {row.path: (row.status, row.before, row.after) for row in summary.changes}


@pytest.mark.parametrize("config", [RECIPE, YAML_CHILD], ids=["python", "yaml"])
def test_changes_against_the_base(config: Path) -> None:
    rows = _rows(config)
    assert rows["train_cfg.max_epochs"][0] == "changed"
    assert rows["train_cfg.max_epochs"][1] == 12 and rows["train_cfg.max_epochs"][2] == 8
    assert rows["optim_wrapper.optimizer.lr"][0] == "changed"
    assert rows["optim_wrapper.optimizer.lr"][1] == 0.02
    assert rows["optim_wrapper.optimizer.momentum"][0] == "kept"


def test_recipe_summary_rows_and_locations() -> None:
    summary = summarize_finetune_file(RECIPE)
    by_path = {row.path: row for row in summary.changes}
    head = by_path["model.roi_head.bbox_head.num_classes"]
    assert (head.status, head.before, head.after) == ("changed", 80, 3)
    assert head.location is not None and head.location.file.endswith("faster_rcnn_finetune.py")
    assert head.base_location is not None
    assert head.base_location.file.endswith("faster_rcnn_base.py")
    assert by_path["load_from"].status == "changed"  # base sets load_from = None
    assert by_path["load_from"].after.startswith("https://")
    assert [row.status for row in summary.changes if row.setting.startswith("scheduler")] == [
        "kept", "kept"
    ]
    assert sorted(d.code for d in summary.diagnostics) == ["IC306", "IC306", "IC314"]


def test_added_and_removed_rows() -> None:
    base = ConfigTree({"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.02}},
                       "param_scheduler": [{"type": "LinearLR"}, {"type": "StepLR",
                                                                  "step_size": 3}]})
    child = ConfigTree({"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.02}},
                        "param_scheduler": [{"type": "LinearLR"}],
                        "load_from": "https://example.com/a.pth"}, base=base)
    summary = summarize_finetune(child)
    status = {row.path: row.status for row in summary.changes}
    assert status["load_from"] == "added"
    assert status["param_scheduler[1]"] == "removed"
    assert status["optim_wrapper.optimizer.lr"] == "kept"
    assert [row.path for row in summary.changed] == ["load_from", "param_scheduler[1]"]


def test_text_table_lists_only_changes() -> None:
    text = render_summary_text(summarize_finetune_file(RECIPE))
    assert "max_epochs" in text and "12" in text and "8" in text
    assert "momentum" not in text  # kept from the base
    everything = render_summary_text(summarize_finetune_file(RECIPE), show_all=True)
    assert "momentum" in everything


def test_config_without_base() -> None:
    summary = summarize_finetune(
        ConfigTree({"train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 3}})
    )
    assert not summary.has_base
    assert [(row.path, row.status) for row in summary.changes] == [
        ("train_cfg.type", "kept"), ("train_cfg.max_epochs", "kept")
    ]
    assert "no _base_" in render_summary_text(summary)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_cli(output_format: str) -> None:
    result = CliRunner().invoke(finetune_summary, [str(RECIPE), "--format", output_format])
    assert result.exit_code == 0, result.output
    if output_format == "json":
        payload = json.loads(result.output)
        assert payload["has_base"] is True
        lr = next(c for c in payload["changes"] if c["path"] == "optim_wrapper.optimizer.lr")
        assert (lr["before"], lr["after"], lr["status"]) == (0.02, 0.01, "changed")
        assert lr["location"].startswith(str(RECIPE))
        assert sorted(d["code"] for d in payload["diagnostics"]) == ["IC306", "IC306", "IC314"]
    else:
        assert "lr" in result.output and "0.02" in result.output and "0.01" in result.output
        assert "IC306" in result.output


def test_cli_exit_codes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("optim_wrapper:\n  optimizer: {type: Adam, lr: 0.001, momentum: 0.9}\n")
    result = CliRunner().invoke(finetune_summary, [str(broken)])
    assert result.exit_code == 1 and "IC301" in result.output
    result = CliRunner().invoke(finetune_summary, [str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("name", "text", "code", "exit_code"),
    [
        ("missing.py", None, "IC001", 2),
        ("syntax.py", "train_cfg = dict(max_epochs=3\n", "IC002", 1),
        ("no_base.py", "_base_ = './gone.py'\ntrain_cfg = dict(max_epochs=3)\n", "IC202", 1),
        ("bad.yaml", "train_cfg: [unclosed\n", "IC002", 1),
    ],
)
def test_a_config_that_does_not_load_shows_only_its_errors(
    tmp_path: Path, name: str, text: str | None, code: str, exit_code: int
) -> None:
    config = tmp_path / name
    if text is not None:
        config.write_text(text)
    result = CliRunner().invoke(finetune_summary, [str(config)])
    assert result.exit_code == exit_code, result.output
    assert f"[{code}]" in result.output
    # No table and no verdict about changes before the error.
    assert "(no changes)" not in result.output
    assert "fine-tune settings" not in result.output and "max_epochs" not in result.output
    summary = summarize_finetune_file(config)
    assert not summary.loaded and summary.changes == []
    payload = json.loads(CliRunner().invoke(finetune_summary, [str(config), "--format", "json"])
                         .output)
    assert payload["loaded"] is False and payload["changes"] == []
    assert code in [d["code"] for d in payload["diagnostics"]]
    # Each record names the config asked about, as validate's records do (the file's own
    # loading errors had config null).
    assert {d["config"] for d in payload["diagnostics"]} == {str(config)}


def test_a_loaded_config_says_so_in_json() -> None:
    payload = json.loads(CliRunner().invoke(finetune_summary, [str(RECIPE), "--format", "json"])
                         .output)
    assert payload["loaded"] is True


def test_finetune_md_describes_the_json_of_a_config_that_does_not_load(tmp_path: Path) -> None:
    # It said "no `changes`", where the object has the key, empty.
    import re

    import yaml

    text = (REPO / "docs" / "finetune.md").read_text()
    keys = re.search(r"`--format json` prints one object `\{([\w, ]+)\}`", text)
    facts = re.search(r"only its loading errors \(`([^`]+)`, `([^`]+)`\)", text)
    assert keys is not None and facts is not None
    config = tmp_path / "broken.py"
    config.write_text("x = (\n")
    payload = json.loads(CliRunner().invoke(finetune_summary, [str(config), "--format", "json"])
                         .output)
    assert list(payload) == [key.strip() for key in keys.group(1).split(",")]
    for fact in facts.groups():
        assert yaml.safe_load(fact).items() <= payload.items(), fact
