"""The planner's one module index and fast attribute reads agree with torch's own walks."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from initcfg.plan.model_walk import (
    children,
    module_attr,
    module_has,
    named_tensors,
    postorder,
    set_module_flag,
)
from initcfg.plan.module_index import ModuleIndex


class WithProperty(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)

    @property
    def weight(self) -> torch.Tensor:  # a property wins over the tables
        return self.conv.weight


class WithGetattr(nn.Module):
    def __getattr__(self, name: str) -> Any:
        if name == "magic":
            return 42
        return super().__getattr__(name)


def _tangled() -> nn.Module:
    shared = nn.Linear(2, 2)
    root = nn.Module()
    root.a = nn.Sequential(shared, nn.ReLU())
    root.b = nn.Sequential(nn.Linear(2, 2), shared)
    root.c = WithProperty()
    root.add_module("empty", None)
    twice = nn.Module()
    twice.x = nn.Linear(1, 1)
    twice.y = twice.x  # one module registered twice under one parent
    root.d = twice
    root.register_buffer("count", torch.zeros(1))
    return root


def test_the_index_equals_torchs_walks() -> None:
    root = _tangled()
    index = ModuleIndex(root)
    assert index.modules == dict(root.named_modules(remove_duplicate=False))
    assert index.preorder == list(root.named_modules())
    for path, module in root.named_modules(remove_duplicate=False):
        assert index.postorder(module, path) == postorder(module, path), path
        assert index.children(module) == children(module)
    ours = [
        (info.name, id(t), info.kind == "parameter")
        for info, t in zip(index.tensors.values(), index.tensor_list, strict=True)
    ]
    assert ours == [(n, id(t), p) for n, t, p in named_tensors(root)]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (nn.Linear(2, 2), "weight"),
        (nn.Linear(2, 2, bias=False), "bias"),
        (nn.BatchNorm2d(2), "running_mean"),
        (nn.Sequential(nn.ReLU()), "0"),
        (WithProperty(), "weight"),
        (WithGetattr(), "magic"),
        (nn.Linear(2, 2), "init_cfg"),
        (nn.Linear(2, 2), "training"),
    ],
)
def test_module_attr_is_getattr(module: nn.Module, name: str) -> None:
    missing = object()
    assert module_attr(module, name, missing) is getattr(module, name, missing)
    assert module_has(module, name) == hasattr(module, name)


def test_set_module_flag_is_setattr() -> None:
    module = nn.Linear(2, 2)
    set_module_flag(module, "_is_init", True)
    assert module._is_init is True and "_is_init" in module.__dict__


def _index_tables(index: ModuleIndex) -> tuple[Any, ...]:
    return (
        list(index.modules.items()),
        list(index.tensors.items()),
        [id(t) for t in index.tensor_list],
        index.parameter_count,
        index.known(),
        index.names(),
        index.has_lazy_tensors(),
        index.kinds,
        index.kind_counts,
    )


def _blocks() -> nn.Module:
    root = nn.Module()
    root.init_cfg = [dict(type="Normal", layer="Linear", std=0.01)]
    root.blocks = nn.ModuleList(
        nn.Sequential(nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2), nn.Linear(2, 2, bias=i != 1))
        for i in range(4)
    )
    for i, block in enumerate(root.blocks):
        block.init_cfg = [dict(type="Constant", layer="Linear", val=float(i % 2))]
    root.blocks[3]._is_init = True
    root.add_module("empty", None)
    root.odd = WithGetattr()
    root.odd.weight = 5  # a plain attribute, kept from a kind
    root.register_buffer("count", torch.zeros(1))
    return root


def _shared_tensor() -> nn.Module:
    root = _blocks()
    root.blocks[2][2].weight = root.blocks[0][2].weight
    return root


def _buffer_and_parameter() -> nn.Module:
    root = _blocks()
    root.blocks[1][1]._buffers["running_mean"] = root.blocks[0][1].bias
    return root


def _lazy() -> nn.Module:
    root = _blocks()
    root.lazy = nn.LazyLinear(2)
    return root


@pytest.mark.parametrize(
    ("build", "plain"),
    [
        (_blocks, True),
        (_tangled, False),
        (_shared_tensor, False),
        (_buffer_and_parameter, False),
        (_lazy, False),
    ],
)
@pytest.mark.parametrize("keyed", [True, False])
def test_the_quick_walk_builds_the_full_walks_tables(
    build: Any, plain: bool, keyed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index walks a model that shares nothing without looking for sharing; a model
    that does share (or has a lazy tensor) is found out at the end and walked in full."""
    from initcfg.plan.init_cfg_source import frozen_key

    key = frozen_key if keyed else None
    model = build()
    full_walks: list[nn.Module] = []
    full_walk = ModuleIndex._build

    def counted(self: ModuleIndex, root: nn.Module, init_cfg_key: Any) -> None:
        full_walks.append(root)
        full_walk(self, root, init_cfg_key)

    monkeypatch.setattr(ModuleIndex, "_build", counted)
    quick = _index_tables(ModuleIndex(model, init_cfg_key=key))
    assert bool(full_walks) is not plain
    monkeypatch.setattr(ModuleIndex, "_build_plain", lambda self, root, init_cfg_key: False)
    assert quick == _index_tables(ModuleIndex(model, init_cfg_key=key))
    if keyed and plain:
        assert quick[7]  # some subtrees have kinds: the comparison saw them


def test_gc_paused_promotes_what_planning_made_and_leaves_the_collector_on() -> None:
    import gc

    from initcfg.plan.model_walk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        made = [[index] for index in range(100)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert any(found is made for found in gc.get_objects(generation=2))  # none traversed
    gc.freeze()  # a caller's frozen objects stay frozen
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            more = [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen and more
    finally:
        gc.unfreeze()
