"""Models with lazy modules (nn.LazyLinear, ...): a diagnostic, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from mmengine.model import initialize as mmengine_initialize  # noqa: E402
from torch import nn  # noqa: E402

import initcfg  # noqa: E402
from initcfg.backend.torch import InitError  # noqa: E402
from initcfg.plan.train_plan import compile_train_plan  # noqa: E402

FACTORY = """\
from torch import nn


def build(**kwargs):
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(2))
"""
CONFIG = """\
model = dict(type='lazy_model:build', init_cfg=dict(type='Normal', layer='Linear', std=0.01))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
"""


def _lazy() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(2))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "lazy_model.py").write_text(FACTORY)
    path = tmp_path / "cfg.py"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize(
    "options", [[], ["--meta"], ["--apply"], ["--format", "json"], ["--train"]],
    ids=["text", "meta", "apply", "json", "train"],
)
def test_plan_cli_reports_lazy_modules(config: Path, options: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "initcfg.cli", "plan", config.name, *options],
        cwd=config.parent, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": ""},
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.returncode == 1, output
    assert "IC440" in output and "2 (LazyLinear)" in output
    if options in ([], ["--meta"], ["--apply"]):
        assert "cfg.py:1:" in output  # placed at the config's model type
        assert "parameter  shape" not in output  # no empty table


def test_compile_init_plan_returns_the_diagnostic(config: Path) -> None:
    plan = initcfg.compile_init_plan(str(config), _lazy())
    assert [(d.code, d.severity) for d in plan.diagnostics] == [("IC440", "error")]
    assert plan.steps == [] and plan.errors


def test_compile_train_plan_returns_the_diagnostic(config: Path) -> None:
    plan = compile_train_plan(str(config), _lazy())
    assert [d.code for d in plan.diagnostics] == ["IC440"]
    assert plan.param_groups is None


def test_initialize_raises_where_mmengine_raises() -> None:
    # MMEngine raises ValueError only when an initializer reaches the lazy tensors.
    reaching = dict(type="Normal", layer="Linear")
    with pytest.raises(ValueError):
        mmengine_initialize(_lazy(), reaching)
    with pytest.raises(InitError) as raised:
        initcfg.initialize(_lazy(), reaching)
    assert isinstance(raised.value, ValueError)
    assert {d.code for d in raised.value.diagnostics} == {"IC440"}
    elsewhere = dict(type="Constant", layer="Conv2d", val=2)
    reference, model = _lazy(), _lazy()
    mmengine_initialize(reference, elsewhere)
    initcfg.initialize(model, elsewhere)
    assert torch.equal(model[0].weight, reference[0].weight)
    assert torch.all(model[0].weight == 2)
