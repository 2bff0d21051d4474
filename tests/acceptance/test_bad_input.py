"""Hostile and broken input: a diagnostic or a clean refusal, never a traceback, never
an input file replaced, never code a config names from outside the project."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_types import WriteFile
from initcfg.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("key.yaml", "model:\n  init_cfg: {[1, 2]: 3}\n", "a key must be a string or a number"),
        ("int.yaml", "a: " + "9" * 5000 + "\n", "invalid YAML"),
        ("int.json", '{"a": ' + "9" * 5000 + "}", "invalid JSON"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ],
)
def test_malformed_data_files(name: str, text: str, needle: str, write: WriteFile) -> None:
    code, out = run("validate", str(write(name, text)))
    assert code == 1 and "error[IC002]" in out and needle in out


def test_alias_bomb_is_refused_quickly(write: WriteFile) -> None:
    lines = ["a0: &a0 [1, 2]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    code, out = run("validate", str(write("bomb.yaml", "\n".join([*lines, "m: *a29", ""]))))
    assert code == 1 and "expands to more than" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_special_files_are_refused_or_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "cfgs"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    assert run("validate", str(folder)) == (
        0, "checked 0 files, skipped 2 (2 not a regular file): nothing to check\n"
    )
    code, out = run("validate", str(folder / "pipe.yaml"))
    assert code == 2 and "not a regular file" in out


def test_config_cannot_name_a_standard_library_callable(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "evil.py"
    config.write_text(f"model = dict(type='os:system', command='touch {marker}')\n")
    code, out = run("plan", str(config))
    assert code == 2 and "refusing to import 'os'" in out
    assert not marker.exists()


def test_plan_output_never_replaces_an_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    config = REPO / "examples" / "shapes" / "pretrain.py"
    before = hashlib.sha256(config.read_bytes()).hexdigest()
    code, out = run("plan", str(config), "--apply", "--output", str(config))
    assert code == 2 and "refusing to overwrite" in out
    assert hashlib.sha256(config.read_bytes()).hexdigest() == before


def test_plan_output_onto_a_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code, out = run(
        "plan", "examples/shapes/pretrain.py", "--apply", "--output", str(tmp_path)
    )
    assert code == 2 and "is a directory" in out
    assert tmp_path.is_dir()


def test_huge_seed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = run("plan", "examples/shapes/pretrain.py", "--apply", "--seed", "9" * 30)
    assert code == 2 and "--seed" in out


def test_schema_output_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "init_cfg.schema.json").mkdir()  # a folder where a schema file goes
    code, out = run("schema", "--output", str(tmp_path))
    assert code == 2 and "cannot write into" in out
    assert (tmp_path / "init_cfg.schema.json").is_dir()


def test_corrupt_checkpoint_is_a_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    (tmp_path / "bad.pth").write_text("hello world")
    config = tmp_path / "c.py"
    config.write_text(
        f"_base_ = '{REPO / 'examples' / 'shapes' / 'pretrain.py'}'\n"
        f"model = dict(backbone=dict(init_cfg=[dict(type='Pretrained', "
        f"checkpoint='{tmp_path / 'bad.pth'}')]))\n"
    )
    code, out = run("plan", str(config), "--apply")
    assert code in (1, 2)
    assert "not a torch checkpoint file" in out


def test_a_foreign_tool_table_is_not_ours_to_judge(write: WriteFile) -> None:
    write("pyproject.toml", "tool = 5\n")
    path = write("c/c.yaml", "m:\n  init_cfg: {type: Normal, layer: Conv2d}\n")
    assert run("validate", str(path)) == (0, "checked 1 file: no problems\n")


@pytest.mark.parametrize(
    ("table", "line"),
    [("[tool]\ninitcfg = 5\n", 1), ("[tool.initcfg]\nextra-layers = 5\n", 2)],
)
def test_malformed_project_settings_are_reported_not_raised(
    table: str, line: int, write: WriteFile
) -> None:
    pyproject = write("pyproject.toml", table)
    path = write("c/c.yaml", "m:\n  init_cfg: {type: Normal, layer: Conv2d}\n")
    code, out = run("validate", str(path))
    assert code == 2 and "Traceback" not in out
    assert f"{pyproject}:{line}:1: error[IC009]" in out


def test_absurd_run_length_is_not_tabulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    config = tmp_path / "long.py"
    config.write_text(
        f"_base_ = '{REPO / 'examples' / 'shapes' / 'pretrain.py'}'\n"
        "train_cfg = dict(max_epochs=100000000000)\n"
    )
    code, out = run("plan", str(config), "--train", "--iters-per-epoch", "5")
    assert code == 0 and "IC469" in out
