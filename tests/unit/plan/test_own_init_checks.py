"""The init_cfg of a module whose own init_weights the plan calls, checked while planning
when its trace on meta stopped (initcfg.plan.own_init_checks): the errors MMEngine raises
on are the plan's, and nothing else of that dry run is."""

from __future__ import annotations

import copy
from typing import Any

import torch
from mmengine.model import BaseModule
from torch import nn

from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.meta import build_on_meta


class RaisesOnMeta(BaseModule):
    """Applies its init_cfg through super(), then does what only a meta tensor refuses;
    ``hidden`` is a property reaching a module the model does not register."""

    def __init__(self, init_cfg: Any) -> None:
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(2, 2, 1)
        object.__setattr__(self, "_hidden", nn.BatchNorm2d(2))

    @property
    def hidden(self) -> nn.Module:
        return self._hidden

    def init_weights(self) -> None:
        super().init_weights()
        if self.conv.weight.device.type == "meta":
            raise RuntimeError("this model cannot initialize on meta")


class Net(nn.Module):
    def __init__(self, init_cfg: Any) -> None:
        super().__init__()
        self.body = RaisesOnMeta(init_cfg)


def _plan(init_cfg: Any) -> Any:
    return compile_init_plan(None, build_on_meta(lambda: Net(copy.deepcopy(init_cfg))))


def test_an_override_mmengine_raises_on_is_an_error_of_the_called_module() -> None:
    plan = _plan(dict(type="Constant", val=1, layer="Conv2d", override=dict(name="gone")))
    assert [d.code for d in plan.errors] == ["IC401"]
    assert plan.steps[-1].kind == "call"  # the dry run left no step behind
    assert [s.kind for s in plan.steps] == ["call"]


def test_what_only_a_plan_cannot_address_is_no_error_of_the_call() -> None:
    # MMEngine writes the unregistered BatchNorm through the property and raises nothing;
    # the call does that itself, so IC414 (a planned step could not) is not the plan's.
    init_cfg = dict(type="Constant", val=1, override=dict(name="hidden", type="Constant", val=3))
    plan = _plan(init_cfg)
    assert plan.errors == [], [d.message for d in plan.errors]
    torch.manual_seed(0)
    theirs = Net(copy.deepcopy(init_cfg))
    ours = copy.deepcopy(theirs)
    theirs.body.init_weights()
    plan.apply(ours)
    assert torch.equal(ours.body.hidden.weight, torch.full((2,), 3.0))
    assert torch.equal(theirs.body.hidden.weight, ours.body.hidden.weight)
