"""Models and the comparison harness shared by the init parity tests (no tests here)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule, ModuleDict, ModuleList, Sequential
from mmengine.model import initialize as mm_initialize
from torch import nn

from initcfg.backend.torch import init_weights, initialize

MMLogger.get_instance("mmengine").setLevel(logging.ERROR)


def tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    out = {f"p:{k}": v.detach().clone() for k, v in model.named_parameters()}
    out.update({f"b:{k}": v.detach().clone() for k, v in model.named_buffers()})
    return out


def assert_same(a: nn.Module, b: nn.Module) -> None:
    ta, tb = tensors(a), tensors(b)
    assert ta.keys() == tb.keys()
    different = [k for k in ta if not torch.equal(ta[k], tb[k])]
    assert not different, f"differ from MMEngine: {different}"


def changed(before: dict[str, torch.Tensor], model: nn.Module) -> list[str]:
    after = tensors(model)
    return [k for k in after if not torch.equal(before[k], after[k])]


def compare_init_weights(
    build: Callable[[], nn.Module], *, seed: int = 7, expect_change: bool = True
) -> tuple[nn.Module, nn.Module]:
    """Build once, deep-copy, run MMEngine's init_weights and initcfg's on the copies with
    the same seed; assert every tensor and the generator state afterwards are equal."""
    torch.manual_seed(1234)
    theirs = build()
    ours = copy.deepcopy(theirs)
    before = tensors(theirs)
    torch.manual_seed(seed)
    theirs.init_weights()  # type: ignore[operator]
    their_rng = torch.get_rng_state()
    torch.manual_seed(seed)
    init_weights(ours)
    our_rng = torch.get_rng_state()
    assert_same(theirs, ours)
    assert torch.equal(their_rng, our_rng), "a different number of random draws"
    if expect_change:
        assert changed(before, ours), "the scenario wrote nothing; it tests nothing"
    return theirs, ours


def compare_initialize(
    build: Callable[[], nn.Module], cfg: Any, *, seed: int = 7, expect_change: bool = True
) -> tuple[nn.Module, nn.Module]:
    """The same for ``initialize(module, cfg)``."""
    torch.manual_seed(1234)
    theirs = build()
    ours = copy.deepcopy(theirs)
    before = tensors(theirs)
    torch.manual_seed(seed)
    mm_initialize(theirs, copy.deepcopy(cfg))
    their_rng = torch.get_rng_state()
    torch.manual_seed(seed)
    initialize(ours, copy.deepcopy(cfg))
    our_rng = torch.get_rng_state()
    assert_same(theirs, ours)
    assert torch.equal(their_rng, our_rng), "a different number of random draws"
    if expect_change:
        assert changed(before, ours), "the scenario wrote nothing; it tests nothing"
    return theirs, ours


class Convs(nn.Module):
    """Plain module holding one of each common layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1d = nn.Conv1d(3, 4, 3)
        self.conv2d = nn.Conv2d(3, 4, 3)
        self.conv3d = nn.Conv3d(3, 4, 3)
        self.deconv = nn.ConvTranspose2d(4, 3, 3)
        self.bn = nn.BatchNorm2d(4)
        self.ln = nn.LayerNorm(6)
        self.linear = nn.Linear(6, 5)
        self.nobias = nn.Linear(5, 2, bias=False)
        self.emb = nn.Embedding(7, 3)


class Net(BaseModule):
    """A BaseModule around :class:`Convs`-like layers."""

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv1d = nn.Conv1d(3, 4, 3)
        self.conv2d = nn.Conv2d(3, 4, 3)
        self.conv3d = nn.Conv3d(3, 4, 3)
        self.deconv = nn.ConvTranspose2d(4, 3, 3)
        self.bn = nn.BatchNorm2d(4)
        self.ln = nn.LayerNorm(6)
        self.linear = nn.Linear(6, 5)
        self.nobias = nn.Linear(5, 2, bias=False)


class MyConv(nn.Conv2d):
    """Direct subclass: matched by 'Conv2d'."""


class MyConvChild(MyConv):
    """Grandchild of Conv2d: not matched by 'Conv2d'."""


class Mixin:
    pass


class MixedLinear(nn.Linear, Mixin):
    """A Linear with a mixin base."""


class Subclassed(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.direct = MyConv(3, 3, 1)
        self.grand = MyConvChild(3, 3, 1)
        self.plain = nn.Conv2d(3, 3, 1)
        self.mixed = MixedLinear(3, 3)


class FooHead(BaseModule):
    """A head with reg/cls branches, like the MMEngine docstring example."""

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.feat = nn.Conv2d(3, 8, 3)
        self.reg = nn.Conv2d(8, 4, 3)
        self.cls = nn.Conv2d(8, 5, 3)
        self.branch = nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8), nn.Linear(8, 8))


class Leaf(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(2, 3, 1)
        self.fc = nn.Linear(3, 2)


class Middle(BaseModule):
    def __init__(self, init_cfg: Any = None, leaf_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.leaf = Leaf(leaf_cfg)
        self.conv = nn.Conv2d(2, 2, 3)


class Top(BaseModule):
    def __init__(
        self, init_cfg: Any = None, middle_cfg: Any = None, leaf_cfg: Any = None
    ) -> None:
        super().__init__(init_cfg)
        self.middle = Middle(middle_cfg, leaf_cfg)
        self.fc = nn.Linear(4, 4)


class Holder(BaseModule):
    """Children inside a plain container, an mmengine container and an mmengine dict."""

    def __init__(self, init_cfg: Any = None, leaf_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.plain = nn.ModuleList([Leaf(leaf_cfg), Leaf(leaf_cfg)])
        self.mm = ModuleList([Leaf(leaf_cfg), Leaf(leaf_cfg)])
        self.seq = Sequential(Leaf(leaf_cfg), nn.Conv2d(2, 2, 1))
        self.dct = ModuleDict({"a": Leaf(leaf_cfg), "b": nn.Linear(2, 2)})


class CustomInit(BaseModule):
    """A BaseModule whose own init_weights ignores its init_cfg."""

    def __init__(self) -> None:
        super().__init__(dict(type="Constant", layer="Linear", val=9))
        self.fc = nn.Linear(3, 3)

    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight, 0, 0.5)


class PlainCustom(nn.Module):
    """A plain module with an init_weights method."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def init_weights(self) -> None:
        nn.init.uniform_(self.fc.weight, -3, 3)


class WithCustom(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.a = CustomInit()
        self.b = PlainCustom()
        self.c = Leaf(dict(type="Normal", layer="Conv2d", std=0.3))


class Shared(BaseModule):
    """One Linear reachable under two names (apply visits it twice)."""

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.first = nn.Linear(3, 3)
        self.second = self.first
        self.other = nn.Linear(3, 3)


class WithAttention(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.attn = nn.MultiheadAttention(8, 2)
        self.proj = nn.Linear(8, 8)
