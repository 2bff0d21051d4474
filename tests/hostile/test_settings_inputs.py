"""Hostile project settings and ``_base_`` statements: a diagnostic, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Inputs, run_limited

CONFIG = "model:\n  init_cfg: {type: Kaiming, layer: Conv2d}\n"


@pytest.mark.parametrize(
    ("toml", "code"),
    [
        ("[tool.initcfg]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n", "IC007"),
        ("[tool.initcfg]\n" + "".join(f"k{i} = {i}\n" for i in range(20_000)), "IC008"),
        ("[tool.initcfg]\nselect = [" + ", ".join(['"IC1"'] * 50_000) + "]\n", None),
        ("[tool.initcfg]\nper-file-ignores = {" + ", ".join(
            f'"{"*" * 200}{i}" = ["IC1"]' for i in range(2_000)) + "}\n", None),
        ("[tool.initcfg]\nextra-layers = [1, {a = 2}, [3]]\nfail-on = 7\n", "IC009"),
        ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1") + "[tool.initcfg\n",
         "IC007"),
        ("[tool.initcfg]\nignore = [\"IC1\\u0000\"]\n", "IC009"),
    ],
    ids=["nested", "many-keys", "long-select", "many-globs", "wrong-kinds", "bad-bytes",
         "nul-code"],
)
def test_hostile_pyproject(tmp_path: Path, toml: str, code: str | None) -> None:
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8", errors="surrogateescape")
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    inputs = Inputs([config, tmp_path / "pyproject.toml"])
    outcome = run_limited(["validate", "--format", "json", str(config)], cwd=tmp_path)
    outcome.assert_clean()
    inputs.assert_unchanged()
    if code is not None:
        assert f'"code": "{code}"' in outcome.stdout


@pytest.mark.parametrize(
    "text",
    [
        "_base_ = " + "(" * 10_000 + "'a.py'" + ")" * 10_000 + "\n",
        "_base_ = ['a.py',  # initcfg: ignore[IC310]\n" + "\n" * 100_000 + "]\n",
        "_base_ = [" + ", ".join(["'a.py'"] * 20_000) + "]  # initcfg: ignore[" +
        ",".join(f"IC{i:03}" for i in range(1000)) + "]\n",
    ],
    ids=["deep-parentheses", "long-statement", "many-bases"],
)
def test_hostile_base_statements(tmp_path: Path, text: str) -> None:
    (tmp_path / "a.py").write_text("model = dict(init_cfg=dict(type='Kaiming', layr='x'))\n")
    config = tmp_path / "c.py"
    config.write_text(text)
    for output in ("text", "github", "sarif"):
        outcome = run_limited(["validate", "--format", output, str(config)], cwd=tmp_path)
        outcome.assert_clean()
