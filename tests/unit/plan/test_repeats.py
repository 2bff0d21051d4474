"""A repeated block is planned once and stamped out: the plan must equal the plan of a
walk that visits every block (a Planner whose index has no kinds)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from stamping import planned
from torch import nn

from initcfg.plan.init_cfg_source import ConfigSource
from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.planner import Planner
from initcfg.plan.steps import Step

CFG = [dict(type="Kaiming", layer="Conv2d"), dict(type="Constant", layer="BatchNorm2d", val=1)]


class Block(nn.Module):
    def __init__(self, init_cfg: Any = CFG, width: int = 4) -> None:
        super().__init__()
        self.init_cfg = copy.deepcopy(init_cfg)
        self.conv = nn.Conv2d(width, width, 3)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, width)


class Blocks(nn.ModuleList):
    init_cfg = None  # takes part, as mmengine's ModuleList does


class Net(nn.Module):
    def __init__(self, blocks: list[nn.Module]) -> None:
        super().__init__()
        self.init_cfg = [dict(type="Normal", layer="Linear", std=0.01)]
        self.blocks = Blocks(blocks)
        self.head = nn.Linear(4, 2)


def _stamped_equals_visited(model: nn.Module, **options: Any) -> Planner:
    stamped = planned(model, kinds=True, **options)
    visited = planned(model, kinds=False, **options)
    assert visited.repeats is None
    assert stamped.steps == visited.steps
    assert stamped.marked == visited.marked
    assert stamped.diagnostics == visited.diagnostics
    assert stamped.unreached == visited.unreached
    assert stamped.done == visited.done
    return stamped


def _stamped_kinds(planner: Planner) -> int:
    assert planner.repeats is not None
    return sum(template is not None for template in planner.repeats.templates.values())


def _steps_of(planner: Planner, target: str) -> list[Step]:
    return [step for step in planner.steps if step.target == target]


def test_alike_blocks_are_stamped_with_their_own_paths() -> None:
    planner = _stamped_equals_visited(Net([Block() for _ in range(6)]))
    assert _stamped_kinds(planner) == 1
    steps = _steps_of(planner, "blocks.4")
    assert [step.origin.key for step in steps] == ["blocks.4.init_cfg[0]", "blocks.4.init_cfg[1]"]
    assert [w.tensor for w in steps[1].writes] == ["blocks.4.bn.weight", "blocks.4.bn.bias"]
    assert "blocks.4" in planner.marked


def test_the_compiled_plan_is_the_visited_plan() -> None:
    model = Net([Block() for _ in range(5)])
    plan = compile_init_plan(None, model)
    visited = planned(model, kinds=False)
    assert plan.steps == visited.steps
    assert plan.marked == visited.marked


@pytest.mark.parametrize(
    "other",
    [
        [CFG[0], dict(type="Constant", layer="BatchNorm2d", val=2)],
        [CFG[0], dict(type="Constant", layer="BatchNorm2d", val=1.0)],
        [CFG[0], dict(type="Constant", layer="BatchNorm2d", val=True)],
        [CFG[1], CFG[0]],
        (CFG[0], CFG[1]),
    ],
    ids=["val-2", "val-float", "val-bool", "order", "tuple"],
)
def test_same_class_with_another_init_cfg_is_its_own_kind(other: Any) -> None:
    blocks = [Block(other if number % 2 else CFG) for number in range(6)]
    planner = _stamped_equals_visited(Net(blocks))
    assert _stamped_kinds(planner) >= 1  # a value the grammar refuses is never stamped
    index = planner.index
    assert index.kinds["blocks.0"] == index.kinds["blocks.2"] != index.kinds["blocks.1"]


def test_a_block_of_another_structure_is_not_stamped_from_the_others() -> None:
    odd = Block(width=8)  # other shapes
    extra = Block()
    extra.extra = nn.Conv2d(4, 4, 1)  # one more child
    no_bias = Block()
    no_bias.conv = nn.Conv2d(4, 4, 3, bias=False)
    planner = _stamped_equals_visited(Net([Block(), odd, Block(), extra, no_bias, Block()]))
    kinds = planner.index.kinds
    assert len({kinds[f"blocks.{n}"] for n in (1, 3, 4)} | {kinds["blocks.0"]}) == 4
    assert _steps_of(planner, "blocks.1")[0].writes[0].shape == (8, 8, 3, 3)
    assert [w.tensor for w in _steps_of(planner, "blocks.4")[0].writes] == ["blocks.4.conv.weight"]


def test_a_mutated_init_cfg_is_planned_anew() -> None:
    model = Net([Block() for _ in range(4)])
    before = compile_init_plan(None, model)
    model.blocks[2].init_cfg[1]["val"] = 3  # type: ignore[index]
    after = compile_init_plan(None, model)
    assert after.steps == planned(model, kinds=False).steps
    changed = [s for s in after.steps if s.target == "blocks.2" and s.writes[0].attr == "weight"]
    assert changed[-1].writes[0].op.args == (3.0,)
    assert before.steps != after.steps


def test_tied_and_shared_modules_are_visited() -> None:
    blocks = [Block() for _ in range(4)]
    blocks[1].fc.weight = blocks[0].fc.weight  # a tied tensor: named where first registered
    shared = nn.Conv2d(4, 4, 3)
    blocks[2].conv = shared
    blocks[3].conv = shared  # one module in two blocks
    planner = _stamped_equals_visited(Net(blocks))
    kinds = planner.index.kinds
    assert "blocks.1" not in kinds and "blocks.3" not in kinds


def test_an_initialized_block_is_skipped() -> None:
    blocks = [Block() for _ in range(4)]
    blocks[2]._is_init = True  # type: ignore[assignment]
    planner = _stamped_equals_visited(Net(blocks))
    assert _steps_of(planner, "blocks.2") == []


def test_diagnostics_come_from_every_block() -> None:
    cfg = [dict(type="Kaiming", layer=["Conv2d", "Conv3d"])]
    planner = _stamped_equals_visited(Net([Block(cfg) for _ in range(3)]))
    assert [d.code for d in planner.diagnostics] == ["IC402"] * 3
    assert _stamped_kinds(planner) == 0


def test_overrides_are_visited() -> None:
    cfg = [dict(type="Kaiming", layer="Conv2d", override=dict(name="fc", type="Constant", val=2))]
    planner = _stamped_equals_visited(Net([Block(cfg) for _ in range(3)]))
    assert _stamped_kinds(planner) == 0
    assert [s.target for s in planner.steps[-2:]] == ["blocks.2", "blocks.2.fc"]


def test_blocks_the_config_reaches_are_visited() -> None:
    source = ConfigSource()
    value = [dict(type="Constant", layer="Conv2d", val=5)]
    source.init_cfgs["blocks.1"] = (("model", "blocks", 1, "init_cfg"), value)
    source.described.add("blocks.3.conv")
    planner = _stamped_equals_visited(Net([Block() for _ in range(5)]), source=source)
    configured = _steps_of(planner, "blocks.1")
    assert [s.origin.source for s in configured] == ["config"]
    assert configured[0].origin.key == "model.blocks[1].init_cfg[0]"
    assert planner.repeats is not None and {"blocks.1", "blocks.3"} <= planner.repeats.reached


def test_reach_all_and_nested_repeats() -> None:
    class Inner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = [dict(type="Constant", layer="Linear", val=0.5)]
            self.lin = nn.Linear(4, 4)

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = [dict(type="Xavier", layer="Linear")]
            self.parts = Blocks([Inner(), Inner(), nn.Sequential(nn.Linear(4, 4))])

    model = Net([Outer() for _ in range(3)])
    for reach in ("mmengine", "all"):
        planner = _stamped_equals_visited(model, reach=reach)
        assert planner.diagnostics == []
        assert _stamped_kinds(planner) >= 2  # the blocks and the parts in them


def test_a_meta_model_is_stamped_alike() -> None:
    with torch.device("meta"):
        model = Net([Block() for _ in range(4)])
    planner = _stamped_equals_visited(model)
    assert _stamped_kinds(planner) == 1
