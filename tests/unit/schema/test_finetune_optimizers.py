"""The torch.optim table is current, and the schema agrees with torch and MMEngine.

Differential: for every optimizer example the schema accepts, ``torch.optim.<type>``
built from ``OptimizerCfg.kwargs()`` succeeds; for every one it refuses, torch raises.
The same holds for MMEngine's schedulers built from what the schema accepts.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from initcfg.config.tree import ConfigTree
from initcfg.schema.finetune import OptimizerCfg, parse_finetune
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[3]
TABLE = REPO / "src" / "initcfg" / "schema" / "optimizers_table.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_optimizers", REPO / "scripts" / "generate_optimizers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_optimizers"] = module
    spec.loader.exec_module(module)
    return module


def test_table_is_current() -> None:
    generator = _generator()
    assert TABLE.read_text() == generator.render(*generator.collect()), (
        "optimizers_table.py is stale: run `python scripts/generate_optimizers.py`"
    )


def test_table_covers_the_classic_optimizers() -> None:
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        assert "lr" in OPTIMIZER_ARGS[name]
    assert "momentum" in OPTIMIZER_ARGS["SGD"] and "momentum" not in OPTIMIZER_ARGS["Adam"]


VALID: list[dict[str, Any]] = [
    {"type": "SGD", "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001},
    {"type": "SGD", "lr": 0.01, "momentum": 0.9, "nesterov": True},
    {"type": "SGD", "lr": 1},
    {"type": "Adam", "lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8},
    {"type": "AdamW", "lr": 0.0001, "weight_decay": 0.05, "amsgrad": True},
    {"type": "RMSprop", "lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True},
    {"type": "Adagrad", "lr": 0.01, "lr_decay": 0.001},
    {"type": "Rprop", "lr": 0.01, "etas": [0.4, 1.3]},
    {"type": "ASGD", "lr": 0.01, "lambd": 0.001},
    {"type": "NAdam", "lr": 0.002, "momentum_decay": 0.004},
    {"type": "Adamax", "lr": 0.002},
    {"type": "SGD"},  # lr from torch's default, filled from the table
]

INVALID: list[dict[str, Any]] = [
    {"type": "Adam", "lr": 0.001, "momentum": 0.9},
    {"type": "SGD", "lr": -0.1},
    {"type": "SGD", "lr": 0.01, "nesterov": True},
    {"type": "SGD", "lr": 0.01, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
    {"type": "SGD", "lr": 0.01, "weight_decay": -1},
    {"type": "SGD", "lr": 0.01, "momentum": -0.5},
    {"type": "Adam", "lr": 0.001, "betas": [0.9, 1.5]},
    {"type": "Adam", "lr": 0.001, "eps": -1e-8},
    {"type": "AdamW", "lr": 0.001, "momentun": 0.9},
    {"type": "SGD", "lr": "0.01"},
]


def _params() -> list[Any]:
    return [torch.nn.Parameter(torch.zeros(2))]


def _parse_optimizer(cfg: dict[str, Any]) -> tuple[OptimizerCfg | None, list[str]]:
    settings, found = parse_finetune(ConfigTree({"optim_wrapper": {"optimizer": dict(cfg)}}))
    assert settings is not None
    wrapper = settings.optim_wrapper
    return (wrapper.optimizer if wrapper else None), [d.code for d in found]


@pytest.mark.parametrize("cfg", VALID, ids=lambda cfg: str(cfg))
def test_accepted_optimizer_builds_in_torch(cfg: dict[str, Any]) -> None:
    optimizer, codes = _parse_optimizer(cfg)
    assert codes == [] and optimizer is not None
    built = getattr(torch.optim, optimizer.type)(_params(), **optimizer.kwargs())
    assert built.defaults["lr"] == optimizer.lr


@pytest.mark.parametrize("cfg", INVALID, ids=lambda cfg: str(cfg))
def test_refused_optimizer_fails_in_torch(cfg: dict[str, Any]) -> None:
    optimizer, codes = _parse_optimizer(cfg)
    assert optimizer is None and codes and set(codes) <= {"IC301", "IC302"}
    arguments = {key: value for key, value in cfg.items() if key != "type"}
    with pytest.raises((TypeError, ValueError)):
        getattr(torch.optim, cfg["type"])(_params(), **arguments)


SCHEDULERS_VALID: list[dict[str, Any]] = [
    {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 500},
    {"type": "MultiStepLR", "begin": 0, "end": 12, "milestones": [8, 11], "gamma": 0.1},
    {"type": "StepLR", "step_size": 3},
    {"type": "ExponentialLR", "gamma": 0.9},
    {"type": "ConstantLR", "factor": 0.5, "end": 4},
    {"type": "CosineAnnealingLR", "T_max": 12, "eta_min_ratio": 0.01},
    {"type": "CosineAnnealingLR", "begin": 6, "end": 12},
    {"type": "PolyLR", "eta_min": 1e-4, "power": 0.9, "end": 100},
    {"type": "OneCycleLR", "eta_max": 0.01, "total_steps": 100},
    {"type": "CosineRestartLR", "periods": [5, 5], "restart_weights": [1, 0.5],
     "eta_min": 0.0},
]

SCHEDULERS_INVALID: list[dict[str, Any]] = [
    {"type": "LinearLR", "start_factor": 1.5},
    {"type": "ConstantLR", "factor": -0.1},
    {"type": "MultiStepLR", "milestones": [8], "begin": 5, "end": 5},
    {"type": "MultiStepLR", "gamma": 0.1},
    {"type": "StepLR", "step_size": 3, "milestones": [2]},
    {"type": "CosineAnnealingLR", "eta_min": 0.0, "eta_min_ratio": 0.1},
    {"type": "OneCycleLR", "eta_max": 0.01, "total_steps": 100, "pct_start": 1},
    {"type": "OneCycleLR", "eta_max": 0.01, "total_steps": 100, "anneal_strategy": "cosine"},
    {"type": "CosineRestartLR", "periods": [5, 5], "restart_weights": [1]},
    {"type": "CosineRestartLR", "periods": [5]},
]


def _mmengine_scheduler(cfg: dict[str, Any]) -> Any:
    from mmengine.optim import scheduler

    optimizer = torch.optim.SGD(_params(), lr=0.1, momentum=0.9)
    arguments = {key: value for key, value in cfg.items() if key != "type"}
    return getattr(scheduler, cfg["type"])(optimizer, **arguments)


@pytest.mark.parametrize("cfg", SCHEDULERS_VALID, ids=lambda cfg: str(cfg))
def test_accepted_scheduler_builds_in_mmengine(cfg: dict[str, Any]) -> None:
    settings, found = parse_finetune(ConfigTree({"param_scheduler": [cfg]}))
    assert found == [] and settings is not None and len(settings.param_scheduler) == 1
    model = settings.param_scheduler[0]
    dumped = model.model_dump(exclude={"convert_to_iter_based"})
    built = _mmengine_scheduler(dumped)
    assert built.begin == model.begin and built.end == model.end


@pytest.mark.parametrize("cfg", SCHEDULERS_INVALID, ids=lambda cfg: str(cfg))
def test_refused_scheduler_fails_in_mmengine(cfg: dict[str, Any]) -> None:
    settings, found = parse_finetune(ConfigTree({"param_scheduler": [cfg]}))
    assert settings is not None and settings.param_scheduler == []
    assert found and {d.code for d in found} <= {"IC301", "IC302", "IC303"}
    with pytest.raises((TypeError, ValueError, AssertionError)):
        _mmengine_scheduler(cfg)
