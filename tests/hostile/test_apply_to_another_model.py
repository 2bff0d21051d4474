"""A compiled plan applied to a model it was not compiled for.

``compile_init_plan`` on a meta model and ``apply`` on a real one is the usual way to
use a plan, so the two models can drift apart (another ``bias=``, another width, a block
taken out, a half-precision part). Every tensor the plan writes is looked up, its shape
compared and its op tried on its dtype before the first write: a plan that does not fit
raises ``InitError`` with the model as it was, never a half-initialized model, values
drawn with another model's fans, or an ``AttributeError`` from inside the backend.
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


@pytest.mark.parametrize("initializer", ["Xavier", "Kaiming", "Uniform"])
def test_a_model_with_other_shapes_is_refused_before_any_write(initializer: str) -> None:
    # The ops' arguments (a fan-based bound or std) were computed from the compiled
    # shapes: applied to other shapes they would draw what neither MMEngine nor the plan
    # says, silently. Xavier and Kaiming (fan_out) read another fan than Uniform's none.
    def make(width: int) -> Net:
        net = Net(width=width)
        net.init_cfg = [dict(type=initializer, layer="Linear", mode="fan_in")
                        if initializer == "Kaiming" else dict(type=initializer, layer="Linear")]
        return net

    plan = compile_init_plan(None, build_on_meta(lambda: make(4)))
    model = make(7)
    before = _state(model)
    with pytest.raises(InitError, match=r"'stem\.weight' has shape \[7, 3\], the plan's has "
                       r"\[4, 3\]; nothing was written"):
        plan.apply(model)
    assert _same(_state(model), before)
    torch.manual_seed(0)
    compile_init_plan(None, model).apply(model)  # its own plan fits
    assert not _same(_state(model), before)


def test_a_dtype_an_op_overflows_is_refused_before_any_write() -> None:
    # fill_(1e6) runs on the float32 model compiled, and overflows a half one.
    def make() -> Net:
        net = Net()
        net.init_cfg = [dict(type="Constant", layer="Linear", val=1e6)]
        return net

    plan = compile_init_plan(None, build_on_meta(make))
    model = make()
    model.tail.half()
    before = _state(model)
    with pytest.raises(InitError, match=r"torch refuses fill\(1000000\.0,\) on 'tail\.0\."
                       r"weight' \(torch\.float16\).*nothing was written"):
        plan.apply(model)
    assert _same(_state(model), before)
    plan.apply(make())  # float32 throughout: it runs


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
