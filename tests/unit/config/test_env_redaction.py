"""A value an environment variable puts into a config never reaches a diagnostic: the
placeholder is shown instead, in every output format. The values themselves stay the
environment's, as MMEngine substitutes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import initcfg
from fixture_types import MMEngineLoad, WriteFile
from initcfg.check.validate import check_tree
from initcfg.cli import main
from initcfg.config.redact import EnvValue, redact
from initcfg.diagnostics import diagnostic

SECRET = "hunter2-s3cr3t"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", SECRET)
    monkeypatch.delenv("UNSET_NAME", raising=False)


@pytest.mark.parametrize("output", ["text", "json", "github", "sarif"])
def test_no_output_format_shows_the_value(
    write: WriteFile, mmengine: MMEngineLoad, output: str
) -> None:
    path = write(
        "c.py",
        "model = dict(type='M', init_cfg=dict(type='Kaiming', layer='Conv2d',\n"
        "                                     mode='{{$SECRET_TOKEN:fan_in}}'))\n"
        "load_from = '/nowhere/{{$SECRET_TOKEN:x}}/epoch_1.pth'\n",
    )
    values = mmengine(path)
    assert values["model"]["init_cfg"]["mode"] == SECRET  # substituted as MMEngine does
    assert initcfg.load_config(path).to_dict() == values
    result = CliRunner().invoke(main, ["validate", "--format", output, str(path)])
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output and "hunter2" not in result.output
    assert "{{$SECRET_TOKEN}}" in result.output
    found = {d.code: d for d in initcfg.validate(path)}
    assert found["IC105"].message == (
        "'mode' must be 'fan_in' or 'fan_out' (got '{{$SECRET_TOKEN}}')"
    )
    assert "'/nowhere/{{$SECRET_TOKEN}}/epoch_1.pth'" in found["IC312"].message


def test_a_value_evaluated_as_code_is_not_quoted_in_part(write: WriteFile) -> None:
    """Unquoted, the value is Python: `hunter2 - s3cr3t`, whose NameError names a piece
    (quoted inside the braces, as MMEngine needs it to parse the file as written)."""
    path = write("c.py", "x = 1\nlr = {{'$SECRET_TOKEN:0.1'}}\n")
    with pytest.raises(ValueError) as refused:
        initcfg.load_config(path)
    [problem] = refused.value.diagnostics
    assert (problem.code, problem.line) == ("IC207", 2)
    assert "hunter2" not in problem.message and "s3cr3t" not in problem.message
    assert "{{$SECRET_TOKEN}}" in problem.message


def test_a_base_s_value_is_shown_as_its_placeholder(write: WriteFile) -> None:
    write("base.yaml", "model:\n  init_cfg: {type: Normal, layer: Linear, "
                       "std: '{{$SECRET_TOKEN:1}}'}\n")
    path = write("c.py", "_base_ = './base.yaml'\n")
    [problem] = [d for d in initcfg.validate(path) if d.code == "IC105"]
    assert problem.file is not None and problem.file.endswith("base.yaml")
    assert problem.message == "'std' must be a number (got '{{$SECRET_TOKEN}}')"


def test_defaults_and_short_values_are_shown(
    write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A default is written in the file; a value of a few characters is no secret, and
    replacing it would rewrite every `8` in the text."""
    monkeypatch.setenv("EPOCHS", "8")
    path = write(
        "c.py",
        "model = dict(type='M', init_cfg=dict(type='Normal', layer='Linear',\n"
        "                                     std='{{$UNSET_NAME:written-default}}'))\n"
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={{'$EPOCHS:2'}})\n"
        "param_scheduler = [dict(type='MultiStepLR', milestones=[8])]\n"
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n",
    )
    messages = [d.message for d in initcfg.validate(path)]
    assert "'std' must be a number (got 'written-default')" in messages
    assert any("milestone 8 is never reached" in m and "8 epochs" in m for m in messages)


def test_a_value_inside_a_longer_word_is_replaced_too() -> None:
    """`'model_{{$TOKEN}}_v2.pth'` holds the secret between word characters; a message
    that quotes a value with `repr` doubles its backslashes."""
    windows = "C:\\keys\\tok"
    values = [EnvValue("abcd1234", "{{$TOKEN}}", "c.py", 9),
              EnvValue("abcd1234-long", "{{$OTHER}}", "c.py", 9),
              EnvValue(windows, "{{$KEYS}}", "c.py", 9)]
    item = diagnostic("IC105", f"no file model_abcd1234_v2.pth nor abcd1234-long nor "
                      f"{windows!r}", hint="see abcd1234").at(None)
    assert "\\\\keys" in item.message
    [shown] = redact([item], values)
    assert shown.message == "no file model_{{$TOKEN}}_v2.pth nor {{$OTHER}} nor '{{$KEYS}}'"
    assert shown.hint == "see {{$TOKEN}}"


def test_the_mmengine_hook_reports_placeholders(write: WriteFile) -> None:
    """The hook checks `runner.cfg`, which MMEngine has already substituted."""
    from mmengine.config import Config

    from initcfg.mmengine import runner_tree

    path = write("c.py", "model = dict(type='M', init_cfg=dict(type='Xavier', layer='Linear',"
                         " distribution='{{$SECRET_TOKEN:normal}}'))\n")
    found = check_tree(runner_tree(Config.fromfile(str(path))))
    [problem] = [d for d in found if d.code == "IC105"]
    assert SECRET not in problem.message and "{{$SECRET_TOKEN}}" in problem.message
    assert (problem.file, problem.line) == (str(path), 1)


def test_the_cli_output_never_holds_it_as_json_escapes(write: WriteFile) -> None:
    path = Path(write("c.json", json.dumps(
        {"model": {"init_cfg": {"type": "Normal", "layer": "Linear",
                                "std": "{{$SECRET_TOKEN:1}}"}}}
    )))
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    [record] = json.loads(result.output)
    assert record["message"] == "'std' must be a number (got '{{$SECRET_TOKEN}}')"
