"""meta_model_building: shapes without values, and nothing left patched afterwards."""

from __future__ import annotations

import torch
from torch import nn

from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.meta import meta_model_building


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
