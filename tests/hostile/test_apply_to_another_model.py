"""A compiled plan applied to a model it was not compiled for.

``compile_init_plan`` on a meta model and ``apply`` on a real one is the usual way to
use a plan, so the two models can drift apart (another ``bias=`` or a block taken out).
Every tensor the plan writes is looked up before the first write: a plan that does not
fit raises ``InitError`` with the model as it was, never a half-initialized model or an
``AttributeError`` from inside the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from initcfg.errors import InitError
from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.meta import build_on_meta


class Net(nn.Module):
    def __init__(self, *, head_bias: bool = True, with_tail: bool = True, width: int = 4) -> None:
        super().__init__()
        self.init_cfg = [
            dict(type="Normal", layer="Linear", std=0.5),
            dict(type="Constant", layer="BatchNorm1d", val=2, bias=1),
        ]
        self.stem = nn.Linear(3, width)
        self.norm = nn.BatchNorm1d(width)
        self.head = nn.Linear(width, 2, bias=head_bias)
        if with_tail:
            self.tail = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _drop_norm_weight(model: Net) -> None:
    model.norm.register_parameter("weight", None)


@pytest.mark.parametrize(
    ("make", "missing"),
    [
        (lambda: Net(head_bias=False), "head.bias"),  # the last write of its step
        (lambda: Net(with_tail=False), "tail.0.weight"),  # a module the steps never name
        (lambda: _with(Net(), _drop_norm_weight), "norm.weight"),
    ],
    ids=["no-bias", "no-submodule", "parameter-set-to-None"],
)
def test_a_plan_that_does_not_fit_stops_before_any_write(
    make: Callable[[], nn.Module], missing: str
) -> None:
    plan = compile_init_plan(None, build_on_meta(Net))
    model = make()
    before = _state(model)
    generator = torch.get_rng_state()
    with pytest.raises(InitError, match=rf"no tensor '{missing}'.*nothing was written"):
        plan.apply(model)
    assert _same(_state(model), before)
    assert torch.equal(torch.get_rng_state(), generator), "drew before refusing"


def _with(model: Net, change: Callable[[Net], Any]) -> Net:
    change(model)
    return model


def test_a_model_of_the_same_structure_and_other_shapes_gets_its_own_draws() -> None:
    # Shapes are the model's own at apply time (fans, draw counts), as MMEngine's
    # init_weights on that model would have them.
    plan = compile_init_plan(None, build_on_meta(Net))
    ours, theirs = Net(width=7), Net(width=7)
    torch.manual_seed(3)
    plan.apply(ours)
    torch.manual_seed(3)
    compile_init_plan(None, theirs).apply(theirs)
    assert _same(_state(ours), _state(theirs))
    assert torch.equal(ours.norm.weight, torch.full((7,), 2.0))


class Thief(nn.Module):
    """Its init_weights takes a tensor away from a module planned after it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.victim: nn.Module | None = None

    def init_weights(self) -> None:
        assert self.victim is not None
        self.victim.register_parameter("bias", None)


class Robbed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = Thief()
        self.second = nn.Linear(2, 2)
        self.second.init_cfg = dict(type="Constant", layer="Linear", val=3, bias=4)
        object.__setattr__(self.first, "victim", self.second)  # not a submodule


def test_a_tensor_removed_part_way_is_an_init_error_naming_it() -> None:
    model = Robbed()
    plan = compile_init_plan(None, model, reach="all")
    assert [step.kind for step in plan.steps] == ["call", "init"]
    with pytest.raises(InitError, match=r"no tensor 'second\.bias'.*any more"):
        plan.apply(model)
    assert torch.equal(model.second.weight, torch.full((2, 2), 3.0)), "written up to there"
