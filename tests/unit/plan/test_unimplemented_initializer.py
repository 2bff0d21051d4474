"""A registered initializer without a torch implementation: one IC413 per entry, at its
``type``, and nothing of the entry planned (it was an IC406 per weight it reached)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
import torch
from torch import nn

import initcfg
from initcfg.errors import InitError
from initcfg.plan.init_plan import compile_init_plan
from initcfg.schema import Normal, WeightInit, register_initializer, unregister_initializer


class Unrunnable(WeightInit):
    """Validates like any weight initializer; the backend has no op for it."""

    type: Literal["Unrunnable"] = "Unrunnable"


class WiderNormal(Normal):
    """A project's own spelling of a built-in: runs as the built-in does."""

    type: Literal["WiderNormal"] = "WiderNormal"  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    register_initializer(Unrunnable)
    register_initializer(WiderNormal)
    yield
    unregister_initializer("Unrunnable")
    unregister_initializer("WiderNormal")


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return path


def _codes(plan: initcfg.InitPlan) -> list[str]:
    return [d.code for d in plan.diagnostics]


def test_entry_is_one_ic413_at_its_type_and_plans_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path, "model:\n  init_cfg: {type: Unrunnable, layer: Linear}\n")
    plan = compile_init_plan(config, nn.Sequential(nn.Linear(2, 2)))
    assert _codes(plan) == ["IC413", "IC405"]
    found = plan.diagnostics[0]
    assert (found.severity, found.path, found.line, found.column) == (
        "error",
        "model.init_cfg.type",
        2,
        len("  init_cfg: {") + 1,  # the key, as IC103 and IC402 are placed
    )
    assert "'Unrunnable' has no torch implementation" in found.message
    assert found.file == found.config == str(config)
    assert plan.steps == []
    # Neither tensor was written: the bias is not planned on its own.
    assert plan.diagnostics[1].message.endswith("0.weight, 0.bias")


def test_repeated_layers_still_give_one_ic413(tmp_path: Path) -> None:
    config = _config(tmp_path, "model:\n  init_cfg:\n    type: Unrunnable\n    layer: Linear\n")
    model = nn.Sequential(*(nn.Linear(2, 2) for _ in range(4)))
    plan = compile_init_plan(config, model)
    assert _codes(plan).count("IC413") == 1
    assert "IC406" not in _codes(plan)
    assert (plan.diagnostics[0].line, plan.diagnostics[0].column) == (3, 5)


def test_name_only_override_inherits_and_is_not_reported_again(tmp_path: Path) -> None:
    text = "model:\n  init_cfg: {type: Unrunnable, layer: Conv2d, override: {name: '0'}}\n"
    plan = compile_init_plan(_config(tmp_path, text), nn.Sequential(nn.Linear(2, 2)))
    assert _codes(plan) == ["IC413", "IC405"]


def test_override_of_its_own_type_is_reported_at_that_type(tmp_path: Path) -> None:
    text = (
        "model:\n"
        "  init_cfg:\n"
        "    type: Constant\n"
        "    val: 1\n"
        "    layer: Linear\n"
        "    override: {name: '1', type: Unrunnable}\n"
    )
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    plan = compile_init_plan(_config(tmp_path, text), model)
    assert _codes(plan) == ["IC413"]
    found = plan.diagnostics[0]
    assert (found.path, found.line) == ("model.init_cfg.override.type", 6)
    assert found.column == len("    override: {name: '1', ") + 1
    # The entry itself runs; only the override is left out.
    assert [(s.target, len(s.writes)) for s in plan.steps] == [("", 4)]


def test_attribute_init_cfg_is_ic413() -> None:
    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = {"type": "Unrunnable", "layer": "Linear"}
            self.fc = nn.Linear(2, 2)

    plan = compile_init_plan(None, Head())
    assert [d.code for d in plan.errors] == ["IC413"]
    assert plan.errors[0].path == "Head.init_cfg"


def test_initialize_raises_ic413_and_writes_nothing() -> None:
    module = nn.Linear(2, 2)
    before = [t.clone() for t in module.parameters()]
    with pytest.raises(InitError, match="IC413") as raised:
        initcfg.initialize(
            module,
            [
                {"type": "Constant", "val": 3, "layer": "Linear"},
                {"type": "Unrunnable", "layer": "Linear"},
            ],
        )
    assert [d.code for d in raised.value.diagnostics] == ["IC413"]
    assert raised.value.diagnostics[0].path == "init_cfg[1]"
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


def test_subclass_of_a_builtin_runs_as_the_builtin() -> None:
    module = nn.Linear(2, 2)
    torch.manual_seed(0)
    initcfg.initialize(module, {"type": "WiderNormal", "layer": "Linear", "std": 0.5, "bias": 2})
    reference = nn.Linear(2, 2)
    torch.manual_seed(0)
    initcfg.initialize(reference, {"type": "Normal", "layer": "Linear", "std": 0.5, "bias": 2})
    assert torch.equal(module.weight, reference.weight)
    assert torch.equal(module.bias, torch.full((2,), 2.0))
