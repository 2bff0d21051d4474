"""Repeated blocks against MMEngine 0.10.7: blocks that a plan stamps out from one planned
block (initcfg.plan.repeats), and blocks that look alike but must not share a plan, give
bit-exact tensors and generator state, through init_weights and through a compiled plan
(from module attributes and with a config overlay)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import torch
from mmengine.model import BaseModule, ModuleList
from test_init_harness import assert_same, compare_init_weights
from torch import nn

from initcfg.plan.init_plan import compile_init_plan

KAIMING_BN = [
    dict(type="Kaiming", layer="Conv2d"),
    dict(type="Constant", layer="BatchNorm2d", val=1),
]


class Block(BaseModule):
    def __init__(self, init_cfg: Any = KAIMING_BN, width: int = 4, bias: bool = True) -> None:
        super().__init__(copy.deepcopy(init_cfg))
        self.conv = nn.Conv2d(width, width, 3, bias=bias)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, 4)


class Stack(BaseModule):
    def __init__(self, blocks: list[nn.Module], init_cfg: Any = None) -> None:
        root = [dict(type="Normal", layer="Linear", std=0.02)]
        super().__init__(root if init_cfg is None else init_cfg)
        self.blocks = ModuleList(blocks)
        self.head = nn.Linear(4, 3)


def _alike() -> nn.Module:
    return Stack([Block() for _ in range(6)])


def _alternating() -> nn.Module:
    other = [dict(type="Xavier", layer="Conv2d"), dict(type="Constant", layer="BatchNorm2d", val=2)]
    return Stack([Block(other if number % 2 else KAIMING_BN) for number in range(6)])


def _structures() -> nn.Module:
    return Stack([Block(), Block(width=4, bias=False), Block(), Block(), Block(bias=False)])


def _one_mutated() -> nn.Module:
    model = _alike()
    model.blocks[3].init_cfg[1]["val"] = 0.25  # type: ignore[index]
    return model


def _overrides() -> nn.Module:
    cfg = [dict(type="Kaiming", layer="Conv2d", override=dict(name="fc", type="Constant", val=3))]
    return Stack([Block(cfg) for _ in range(4)])


def _nested() -> nn.Module:
    inner = [dict(type="Uniform", layer="Linear", a=-0.5, b=0.5)]

    class Outer(BaseModule):
        def __init__(self) -> None:
            super().__init__([dict(type="Constant", layer="Conv2d", val=0.1)])
            self.parts = ModuleList([Block(inner), Block(inner), Block()])

    return Stack([Outer() for _ in range(3)])


BUILDS: dict[str, Callable[[], nn.Module]] = {
    "alike": _alike,
    "alternating": _alternating,
    "structures": _structures,
    "one-mutated": _one_mutated,
    "overrides": _overrides,
    "nested": _nested,
}


@pytest.mark.parametrize("build", BUILDS.values(), ids=BUILDS.keys())
def test_init_weights(build: Callable[[], nn.Module]) -> None:
    compare_init_weights(build)


@pytest.mark.parametrize("build", BUILDS.values(), ids=BUILDS.keys())
def test_compiled_plan(build: Callable[[], nn.Module]) -> None:
    torch.manual_seed(3)
    theirs = build()
    ours = copy.deepcopy(theirs)
    plan = compile_init_plan(None, ours)
    torch.manual_seed(11)
    theirs.init_weights()  # type: ignore[operator]
    their_rng = torch.get_rng_state()
    torch.manual_seed(11)
    plan.apply(ours)
    assert_same(theirs, ours)
    assert torch.equal(their_rng, torch.get_rng_state())


def test_a_config_overlay_on_one_block() -> None:
    """The config gives blocks[2] its own init_cfg: that block is planned from the config,
    the others are stamped from their attributes; MMEngine built that block with it."""
    overlay = [dict(type="Constant", layer="Conv2d", val=0.5)]
    torch.manual_seed(3)
    blocks = [Block(overlay if number == 2 else KAIMING_BN) for number in range(5)]
    theirs = Stack(blocks)
    ours = _alike_of(theirs)
    config = {"model": {"blocks": [{}, {}, {"init_cfg": overlay}, {}, {}]}}
    plan = compile_init_plan(config, ours)
    assert [s.origin.source for s in plan.steps if s.target == "blocks.2"] == ["config"]
    torch.manual_seed(5)
    theirs.init_weights()
    torch.manual_seed(5)
    plan.apply(ours)
    assert_same(theirs, ours)


def _alike_of(model: nn.Module) -> nn.Module:
    """Five alike blocks holding ``model``'s tensors."""
    ours = Stack([Block() for _ in range(5)])
    ours.load_state_dict(model.state_dict())
    return ours
