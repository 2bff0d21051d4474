"""What the compile's shortcuts rely on: the index's tensor table is torch's, and a plan
whose repeated subtrees are stamped (their blocks' own entries, and the writes a root or
override entry makes in them) equals, step for step, the plan of a walk that visits
every module (a Planner whose index has no kinds)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from stamping import planned
from torch import nn

from initcfg.plan.init_cfg_source import ConfigSource, _frozen
from initcfg.plan.init_plan import TensorInfo, compile_init_plan
from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.planner import Planner

BLOCK_CFG = [
    dict(type="Kaiming", layer="Conv2d"),
    dict(type="Constant", layer="BatchNorm2d", val=1),
]


class Block(nn.Module):
    def __init__(self, init_cfg: Any = BLOCK_CFG, width: int = 4, bias: bool = True) -> None:
        super().__init__()
        self.init_cfg = copy.deepcopy(init_cfg)
        self.conv = nn.Conv2d(width, width, 3)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, width, bias=bias)


class NoBiasKey(nn.Module):
    """A block like Block(bias=False) whose fc has no ``bias`` entry at all (an empty
    slot and a missing one are read alike, but the index must not confuse them)."""

    def __init__(self) -> None:
        super().__init__()
        self.init_cfg = copy.deepcopy(BLOCK_CFG)
        self.conv = nn.Conv2d(4, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 4, bias=False)
        del self.fc._parameters["bias"]
        self.fc.bias = None  # what Linear's code reads


class Blocks(nn.ModuleList):
    init_cfg = None  # takes part, as mmengine's ModuleList does


class Net(nn.Module):
    def __init__(self, blocks: list[nn.Module], init_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = init_cfg if init_cfg is not None else [
            dict(type="Normal", layer="Linear", std=0.01)
        ]
        self.stem = nn.Conv2d(3, 4, 3)
        self.blocks = Blocks(blocks)
        self.head = nn.Linear(4, 2)


def _same_plans(model: nn.Module, **options: Any) -> Planner:
    stamped = planned(model, kinds=True, **options)
    visited = planned(model, kinds=False, **options)
    assert not visited.index.kinds and not visited.write_stamps
    assert len(stamped.steps) == len(visited.steps)
    for ours, theirs in zip(stamped.steps, visited.steps, strict=True):
        assert ours == theirs
        assert [w.op for w in ours.writes] == [w.op for w in theirs.writes]
    assert stamped.marked == visited.marked
    assert stamped.diagnostics == visited.diagnostics
    assert stamped.unreached == visited.unreached
    assert stamped.done == visited.done
    return stamped


def _stamped_writes(planner: Planner) -> int:
    return sum(stamp is not None for stamp in planner.write_stamps.values())


def test_the_tensor_table_is_torchs() -> None:
    model = Net([Block(), Block(bias=False), NoBiasKey(), Block(width=8)])
    model.blocks[1].fc.weight = model.blocks[0].fc.weight  # type: ignore[index]  # tied
    model.register_buffer("step", torch.zeros(()))
    model.register_buffer("again", model.blocks[0].bn.running_mean)  # type: ignore[index]
    index = ModuleIndex(model, init_cfg_key=_frozen)
    expected = {
        **{n: TensorInfo(n, tuple(p.shape), "parameter") for n, p in model.named_parameters()},
        **{n: TensorInfo(n, tuple(b.shape), "buffer") for n, b in model.named_buffers()},
    }
    assert list(index.tensors.items()) == list(expected.items())
    assert index.parameter_count == len(list(model.named_parameters()))
    assert all(type(info.shape) is tuple for info in index.tensors.values())  # not a Size
    assert compile_init_plan(None, model).tensors == expected
    known = index.known()
    assert known[id(model.blocks[0].fc.weight)].name == "blocks.0.fc.weight"  # type: ignore[index]
    assert index.names()[id(model.step)] == "step"


def test_untouched_parameters_are_counted_from_the_table() -> None:
    model = Net([Block() for _ in range(3)])
    plan = compile_init_plan(None, model)
    (untouched,) = [d for d in plan.diagnostics if d.code == "IC405"]
    total = len(list(model.named_parameters()))
    assert untouched.message.startswith(f"2 of {total} parameters keep torch's default")
    assert "stem.weight, stem.bias" in untouched.message


def test_an_empty_slot_and_a_missing_one_are_other_kinds() -> None:
    model = Net([Block(bias=False), NoBiasKey(), Block(bias=False)])
    index = ModuleIndex(model, init_cfg_key=_frozen)
    kinds = index.kinds
    assert kinds["blocks.0"] == kinds["blocks.2"] != kinds["blocks.1"]


def test_a_root_layer_entry_is_stamped_in_alike_blocks() -> None:
    planner = _same_plans(Net([Block() for _ in range(5)]))
    assert _stamped_writes(planner) >= 1
    root = planner.steps[0]
    assert [w.tensor for w in root.writes] == [
        *(f"blocks.{n}.fc.{attr}" for n in range(5) for attr in ("weight", "bias")),
        "head.weight",
        "head.bias",
    ]


def test_mixed_blocks_are_written_as_a_walk_writes_them() -> None:
    odd_cfg = [dict(type="Constant", layer="BatchNorm2d", val=2)]
    blocks: list[nn.Module] = [
        Block(), Block(bias=False), Block(), NoBiasKey(), Block(width=8), Block(odd_cfg),
        Block(), nn.Sequential(nn.Linear(4, 4), nn.ReLU()), Block(bias=False),
    ]
    _same_plans(Net(blocks))


@pytest.mark.parametrize(
    "root_cfg",
    [
        [dict(type="Xavier", layer=["Linear", "Conv2d"])],
        [dict(type="Normal", layer=["Linear", "Conv3d"], std=0.1)],  # IC402 once, at the root
        [dict(type="Constant", layer="BatchNorm2d", val=0.5), dict(type="Normal", layer="Linear")],
        [dict(type="Normal", layer="Linear", override=dict(name="blocks", type="Constant", val=3))],
        [dict(type="TruncNormal", std=0.02, override=[dict(name="head"), dict(name="stem")])],
    ],
    ids=["layer-list", "unmatched-layer", "two-entries", "override-container", "overrides"],
)
def test_root_entries_over_repeated_blocks(root_cfg: Any) -> None:
    blocks: list[nn.Module] = [Block() for _ in range(4)] + [Block(width=8), Block(width=8)]
    _same_plans(Net(blocks, init_cfg=root_cfg))


def test_an_override_in_every_block_reaches_the_same_tensors() -> None:
    cfg = [dict(type="Kaiming", layer="Conv2d", override=dict(name="fc", type="Constant", val=2))]
    planner = _same_plans(Net([Block(cfg) for _ in range(4)]))
    assert [s.target for s in planner.steps[-2:]] == ["blocks.3", "blocks.3.fc"]


def test_shared_and_twice_registered_modules_are_walked() -> None:
    blocks = [Block() for _ in range(5)]
    blocks[1].fc.weight = blocks[0].fc.weight  # a tied tensor: named where first registered
    shared = nn.Linear(4, 4)
    blocks[2].extra = shared
    blocks[3].extra = shared  # one module in two blocks
    blocks[4].twice = blocks[4].fc  # one module under two names of one block
    model = Net(blocks)
    planner = _same_plans(model)
    tied = [w for w in planner.steps[0].writes if w.module == "blocks.1.fc" and w.attr == "weight"]
    assert [w.tensor for w in tied] == ["blocks.0.fc.weight"]
    assert planner.steps[0].writes.count(tied[0]) == 1


def test_a_block_the_config_reaches_is_written_with_the_rest() -> None:
    source = ConfigSource()
    source.init_cfgs["blocks.2"] = (
        ("model", "blocks", 2, "init_cfg"), [dict(type="Constant", layer="Linear", val=5)]
    )
    planner = _same_plans(Net([Block() for _ in range(5)]), source=source)
    assert any(step.origin.source == "config" for step in planner.steps)


def test_reach_all_over_plain_containers() -> None:
    inner = [nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)) for _ in range(4)]
    model = Net([nn.Sequential(*copy.deepcopy(inner)) for _ in range(3)])
    for reach in ("mmengine", "all"):
        _same_plans(model, reach=reach)


def test_a_meta_model_is_written_alike() -> None:
    with torch.device("meta"):
        model = Net([Block() for _ in range(4)])
    planner = _same_plans(model)
    assert _stamped_writes(planner) >= 1


class Plain(nn.Module):
    """A block whose ``weight`` is a plain attribute (no table holds it): the planner reads
    it as MMEngine's ``getattr`` does, so two blocks alike in every table can differ."""

    def __init__(self, weight: object) -> None:
        super().__init__()
        self.init_cfg = [dict(type="Constant", layer="Plain", val=1)]
        self.fc = nn.Linear(2, 2)
        self.weight = weight


@pytest.mark.parametrize("odd", [5, torch.zeros(3)], ids=["not-a-tensor", "unregistered"])
def test_a_plain_weight_attribute_keeps_a_block_from_its_kind(odd: object) -> None:
    model = Net([Plain(None), Plain(odd), Plain(None)])
    for root_cfg in (None, [dict(type="Normal", layer=["Linear", "Plain"])]):
        if root_cfg is not None:
            model.init_cfg = root_cfg
        planner = _same_plans(model)
        odd_writes = [w for s in planner.steps for w in s.writes if w.module == "blocks.1"]
        assert odd_writes or any(d.code == "IC407" for d in planner.diagnostics)


class Held(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.init_cfg = [dict(type="Constant", layer="Held", val=1)]
        self.register_buffer("weight", torch.zeros(3))


def test_a_buffer_that_is_a_parameter_elsewhere_goes_by_the_parameters_name() -> None:
    model = Net([Held(), Held(), Held()])
    model.later = nn.Module()
    model.later.p = nn.Parameter(torch.zeros(3))
    model.blocks[2]._buffers["weight"] = model.later.p  # type: ignore[index]
    for root_cfg in (None, [dict(type="Normal", layer=["Held"])]):
        if root_cfg is not None:
            model.init_cfg = root_cfg
        planner = _same_plans(model)
        held = [w.tensor for s in planner.steps for w in s.writes if w.module == "blocks.2"]
        assert held and set(held) == {"later.p"}


def _random_block(draw: Any, blocks: list[nn.Module]) -> nn.Module:
    """A Block with a few of the differences a kind must see (or must not care about)."""
    from hypothesis import strategies as st

    cfg = draw(st.sampled_from([BLOCK_CFG, None, [dict(type="Xavier", layer="Linear")]]))
    block = Block(cfg, width=draw(st.sampled_from([4, 4, 8])), bias=draw(st.booleans()))
    changes = [
        *("none", "none", "none", "plain-weight", "plain-weight", "child-cfg", "child-init"),
        *("grad", "dtype", "buffer", "tied", "shared", "twice", "own-init", "no-bias"),
        "sub-linear",
    ]
    change = draw(st.sampled_from(changes))
    if change == "child-cfg":
        block.fc.init_cfg = dict(type="Constant", layer="Linear", val=3)
    elif change == "child-init":
        block.fc._is_init = True
    elif change == "grad":
        block.fc.weight.requires_grad_(False)
    elif change == "dtype":
        block.conv.double()
    elif change == "buffer":
        block.bn.register_buffer("extra", torch.zeros(2))
    elif change in ("tied", "shared") and blocks:
        donor = blocks[draw(st.integers(0, len(blocks) - 1))]
        if change == "tied" and donor.fc.weight.shape == block.fc.weight.shape:
            block.fc.weight = donor.fc.weight
        elif change == "shared":
            block.extra = donor.fc
    elif change == "twice":
        block.again = block.conv
    elif change == "own-init":
        block.init_weights = lambda: None  # type: ignore[method-assign]
    elif change == "no-bias":
        block.fc.bias = None
    elif change == "sub-linear":
        block.fc = type("SubLinear", (nn.Linear,), {})(block.fc.in_features, 4)
    elif change == "plain-weight":
        block.weight = draw(st.sampled_from([None, None, 5, torch.zeros(2)]))
    return block


def test_random_blocks_plan_as_a_walk_plans_them() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    roots = [
        None,
        [dict(type="Normal", layer=["Linear", "SubLinear"])],
        [dict(type="Constant", layer="BatchNorm2d", val=2), dict(type="Kaiming", layer="Conv2d")],
        [dict(type="Normal", layer="Linear", override=dict(name="blocks", type="Constant", val=3))],
    ]

    @settings(max_examples=200)
    @given(st.data())
    def check(data: Any) -> None:
        blocks: list[nn.Module] = []
        for _ in range(data.draw(st.integers(2, 7))):
            blocks.append(_random_block(data.draw, blocks))
        model = Net(blocks, init_cfg=data.draw(st.sampled_from(roots)))
        _same_plans(model, reach=data.draw(st.sampled_from(["mmengine", "all"])))

    check()


class Node(nn.Module):
    """A container MMEngine does not descend into (no ``init_cfg``, no ``init_weights``)."""


class Part(nn.Module):
    init_cfg = None  # takes part


_TREE_CFGS = {
    "a": [dict(type="Constant", layer="Linear", val=2)],
    "b": [dict(type="Xavier", layer=["Conv2d", "Linear"])],
}
_LEAVES = {
    "lin": lambda: nn.Linear(4, 4),
    "wide": lambda: nn.Linear(4, 8),
    "nobias": lambda: nn.Linear(4, 4, bias=False),
    "conv": lambda: nn.Conv2d(2, 2, 1),
    "bn": lambda: nn.BatchNorm1d(4),
    "relu": nn.ReLU,
}


def _tree(genome: Any) -> nn.Module:
    if isinstance(genome, str):
        return _LEAVES[genome]()
    container, cfg, kids = genome
    children = [_tree(kid) for kid in kids]
    module: nn.Module
    if container == "seq":
        module = nn.Sequential(*children)
    elif container == "dict":
        module = nn.ModuleDict({f"k{i}": child for i, child in enumerate(children)})
    else:
        module = Node() if container == "node" else Part()
        for i, child in enumerate(children):
            module.add_module(f"c{i}", child)
    if cfg is not None:
        module.init_cfg = copy.deepcopy(_TREE_CFGS[cfg])
    return module


def test_random_trees_plan_as_a_walk_plans_them() -> None:
    """Blocks grown from a few random genomes (so most have siblings of their kind), one
    of them changed somewhere deep down."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    leaf = st.sampled_from(sorted(_LEAVES))
    genome = st.recursive(
        leaf,
        lambda kids: st.tuples(
            st.sampled_from(["node", "part", "seq", "dict"]),
            st.sampled_from([None, "a", "b"]),
            st.lists(kids, min_size=1, max_size=3),
        ),
        max_leaves=6,
    )
    roots = [None, [dict(type="Normal", layer=["Linear", "BatchNorm1d"])]]

    @settings(max_examples=150)
    @given(st.lists(genome, min_size=1, max_size=3), st.data())
    def check(genomes: list[Any], data: Any) -> None:
        count = data.draw(st.integers(2, 6))
        blocks = [_tree(data.draw(st.sampled_from(genomes))) for _ in range(count)]
        inside = list(blocks[data.draw(st.integers(0, count - 1))].modules())
        module = inside[data.draw(st.integers(0, len(inside) - 1))]
        change = data.draw(st.sampled_from(["none", "cfg", "is-init", "buffer", "no-bias"]))
        if change == "cfg":
            module.init_cfg = dict(type="Constant", layer="Linear", val=7)
        elif change == "is-init":
            module._is_init = True
        elif change == "buffer":
            module.register_buffer("extra", torch.zeros(1))
        elif change == "no-bias" and "bias" in module._parameters:
            module.bias = None
        model = Net(blocks, init_cfg=data.draw(st.sampled_from(roots)))
        _same_plans(model, reach=data.draw(st.sampled_from(["mmengine", "all"])))

    check()


def test_a_negative_zero_is_not_planned_as_zero() -> None:
    """0.0 == -0.0, but MMEngine fills -0.0 (a sign bit torch.equal does not see): the
    parse cache and the kinds must keep the two init_cfgs apart."""

    def block(bias: float) -> nn.Module:
        return Block([dict(type="Constant", layer="Linear", val=1.0, bias=bias)])

    model = Net([block(0.0), block(-0.0), block(0.0)])
    kinds = ModuleIndex(model, init_cfg_key=_frozen).kinds
    assert kinds["blocks.0"] == kinds["blocks.2"] != kinds["blocks.1"]
    compile_init_plan(None, model).apply(model)
    signs = [torch.signbit(b.fc.bias).all().item() for b in model.blocks]  # type: ignore[union-attr]
    assert signs == [False, True, False]
