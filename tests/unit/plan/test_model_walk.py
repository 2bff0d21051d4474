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
    assert index.order == postorder(root, "")
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
