"""meta_model_building: shapes without values, and nothing left patched afterwards."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.meta import build_on_meta, meta_model_building

_REGISTER_PARAMETER = nn.Module.register_parameter


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.init_cfg = [dict(type="Normal", layer=["Linear", "Embedding"], std=0.02)]
        self.embed = nn.Embedding(50, 8)
        self.proj = nn.Linear(8, 4)
        self.norm = nn.LayerNorm(4)


def test_modules_are_meta_and_real_fills_still_run() -> None:
    originals = (nn.init.normal_, nn.init.kaiming_uniform_)
    real = torch.zeros(3)
    with meta_model_building():
        model = Net()
        nn.init.constant_(real, 2.0)  # a real tensor is still written
    assert all(p.is_meta for p in model.parameters())
    assert torch.equal(real, torch.full((3,), 2.0))
    assert (nn.init.normal_, nn.init.kaiming_uniform_) == originals


def test_the_plan_is_the_same_as_with_the_plain_meta_device() -> None:
    with meta_model_building():
        fast = Net()
    with torch.device("meta"):
        plain = Net()
    assert compile_init_plan(None, fast).to_json() == compile_init_plan(None, plain).to_json()


def test_patches_are_restored_after_an_error() -> None:
    original = nn.init.normal_
    try:
        with meta_model_building():
            raise RuntimeError("factory failed")
    except RuntimeError:
        pass
    assert nn.init.normal_ is original


class DropPath(nn.Module):
    """Computes drop-path rates from real values while it builds, as MMPretrain does."""

    def __init__(self, depth: int = 3) -> None:
        super().__init__()
        rates = [x.item() for x in torch.linspace(0, 0.1, depth)]
        self.rates = rates
        self.blocks = nn.ModuleList(nn.Linear(4, 4) for _ in rates)
        self.register_buffer("index", torch.arange(depth))
        self.tied = nn.Linear(4, 4, bias=False)
        self.also_tied = nn.Linear(4, 4, bias=False)
        self.also_tied.weight = self.tied.weight
        self.table = torch.ones(2)  # a plain tensor attribute stays real


def test_build_on_meta_falls_back_for_constructors_that_read_values() -> None:
    with pytest.raises((RuntimeError, NotImplementedError)), meta_model_building():
        DropPath()
    model = build_on_meta(DropPath)
    assert model.rates == pytest.approx([0.0, 0.05, 0.1])
    assert all(t.is_meta for t in [*model.parameters(), *model.buffers()])
    assert model.also_tied.weight is model.tied.weight
    assert not model.table.is_meta
    assert nn.Module.register_parameter is _REGISTER_PARAMETER
    assert compile_init_plan(None, model).to_json() == compile_init_plan(None, DropPath()).to_json()


def test_build_on_meta_keeps_the_fast_path() -> None:
    calls = []

    def build() -> Net:
        calls.append(1)
        return Net()

    model = build_on_meta(build)
    assert calls == [1] and all(p.is_meta for p in model.parameters())


def test_build_on_meta_propagates_other_errors() -> None:
    def broken() -> nn.Module:
        raise ValueError("not a meta problem")

    with pytest.raises(ValueError, match="not a meta problem"):
        build_on_meta(broken)


class LegacyConstructed(nn.Module):
    """Makes its parameters with the legacy ``torch.Tensor(*shape)`` constructor, which
    ignores the default device, and fills them itself, as mmcv's deformable
    convolutions (DeformConv2d, ModulatedDeformConv2d) do."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.Tensor(8, 4, 3, 3))
        self.bias = nn.Parameter(torch.Tensor(8))
        nn.init.kaiming_uniform_(self.weight, nonlinearity="relu")
        self.bias.data.uniform_(-0.1, 0.1)
        self.conv = nn.Conv2d(4, 8, 3)


def test_legacy_constructed_parameters_end_on_meta_without_random_draws() -> None:
    with torch.device("meta"):
        assert not torch.Tensor(2).is_meta  # the premise: the legacy form stays real
    torch.manual_seed(5)
    state = torch.get_rng_state()
    model = build_on_meta(LegacyConstructed)
    assert all(t.is_meta for t in model.parameters())
    assert torch.equal(torch.get_rng_state(), state), "a meta build drew random numbers"
    assert nn.Module.register_parameter is _REGISTER_PARAMETER
