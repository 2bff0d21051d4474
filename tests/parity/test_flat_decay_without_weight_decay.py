"""Differential: MMEngine 0.10.7's DefaultOptimWrapperConstructor drops
``flat_decay_mult`` when the optimizer writes no ``weight_decay`` (AdamW then decays
norms and biases at its default 0.01), beside what initcfg validate says of the same
settings (IC339)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.optim import DefaultOptimWrapperConstructor  # noqa: E402
from torch import nn  # noqa: E402

import initcfg  # noqa: E402


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)


def _one_dim_decay(constructor: type, optimizer: dict[str, Any],
                   paramwise: dict[str, Any]) -> set[float]:
    """The weight decay the optimizer applies to each 1-D parameter."""
    model = _Net()
    built = constructor({"type": "OptimWrapper", "optimizer": dict(optimizer)}, paramwise)
    groups = built(model).optimizer.param_groups
    one_dim = {id(p) for p in model.parameters() if p.ndim == 1}
    return {group["weight_decay"] for group in groups
            if any(id(p) in one_dim for p in group["params"])}


def _findings(optimizer: dict[str, Any], paramwise: dict[str, Any]) -> list[tuple[str, str]]:
    config = {"optim_wrapper": {"optimizer": optimizer, "paramwise_cfg": paramwise}}
    return [(d.code, str(d.path)) for d in initcfg.validate(config)]


ADAMW = {"type": "AdamW", "lr": 0.001}


def test_flat_decay_mult_without_weight_decay_is_dropped_and_ic339() -> None:
    paramwise = {"flat_decay_mult": 0.0}
    build = DefaultOptimWrapperConstructor
    assert _one_dim_decay(build, ADAMW, paramwise) == {0.01}
    assert _one_dim_decay(build, {**ADAMW, "weight_decay": 0.01}, paramwise) == {0.0}
    assert _findings(ADAMW, {"flat_decay_mult": 0.0}) == [
        ("IC339", "optim_wrapper.paramwise_cfg.flat_decay_mult")
    ]
    assert _findings({**ADAMW, "weight_decay": 0.01}, {"flat_decay_mult": 0.0}) == []


@pytest.mark.parametrize(
    ("optimizer", "flat"),
    [
        ({"type": "SGD", "lr": 0.01}, 0.0),  # SGD's default weight decay is 0 already
        ({"type": "Adam", "lr": 0.001}, 0.5),
        (ADAMW, 1.0),  # asks for the default
    ],
)
def test_a_multiplier_the_default_already_meets_is_quiet(
    optimizer: dict[str, Any], flat: float
) -> None:
    default = {"SGD": 0, "Adam": 0, "AdamW": 0.01}[optimizer["type"]]
    assert _one_dim_decay(DefaultOptimWrapperConstructor, optimizer,
                          {"flat_decay_mult": flat}) == {default}
    assert _findings(optimizer, {"flat_decay_mult": flat}) == []


@pytest.mark.parametrize("constructor", ["LearningRateDecayOptimWrapperConstructor",
                                         "LearningRateDecayOptimizerConstructor"])
def test_the_layer_decay_constructors_are_left_to_their_own_rules(constructor: str) -> None:
    config = {"optim_wrapper": {"constructor": constructor, "optimizer": ADAMW,
                                "paramwise_cfg": {"flat_decay_mult": 0.0}}}
    assert "IC339" not in [d.code for d in initcfg.validate(config)]
