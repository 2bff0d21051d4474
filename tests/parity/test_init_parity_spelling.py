"""Two MMEngine behaviours that hang on details: a config init_cfg handed to a module
with its own init_weights, and which spellings of Pretrained run after the children."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.model import BaseModule
from torch import nn

import initcfg


class Backbone(BaseModule):
    def __init__(self, init_cfg: object = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(2, 2)
        self.fc2 = nn.Linear(2, 2)

    def init_weights(self) -> None:
        super().init_weights()  # applies init_cfg, then the module's own extra step
        nn.init.constant_(self.fc2.weight, 5.0)


class Net(BaseModule):
    def __init__(self, init_cfg: object = None) -> None:
        super().__init__()
        self.backbone = Backbone(init_cfg)


def test_config_init_cfg_reaches_a_module_with_its_own_init_weights() -> None:
    entry = dict(type="Normal", std=0.3, layer="Linear")
    theirs = Net(entry)  # MMEngine's registry passes the config's init_cfg in
    ours = Net()
    config = {"model": {"type": "Net", "backbone": {"type": "Backbone", "init_cfg": entry}}}
    plan = initcfg.compile_init_plan(config, ours)
    torch.manual_seed(0)
    theirs.init_weights()
    torch.manual_seed(0)
    plan.apply(ours)
    for (name, a), b in zip(theirs.state_dict().items(), ours.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert torch.equal(ours.backbone.fc2.weight, torch.full((2, 2), 5.0))
    # The step survives a JSON round trip with the value it hands over.
    again = type(plan).loads(plan.dumps())
    fresh = Net()
    torch.manual_seed(0)
    again.apply(fresh)
    assert torch.equal(fresh.backbone.fc.weight, ours.backbone.fc.weight)


class Child(BaseModule):
    def __init__(self) -> None:
        super().__init__(init_cfg=dict(type="Constant", val=3.0, layer="Linear"))
        self.fc = nn.Linear(2, 2)


class Parent(BaseModule):
    def __init__(self, spelling: str, checkpoint: str) -> None:
        super().__init__(init_cfg=[dict(type=spelling, checkpoint=checkpoint)])
        self.child = Child()


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("Pretrained", 7.0), ("mmengine.Pretrained", 3.0)],
    ids=["deferred-after-children", "scoped-runs-in-order"],
)
def test_only_the_exact_pretrained_name_runs_after_children(
    spelling: str, expected: float, tmp_path: Path
) -> None:
    checkpoint = str(tmp_path / "weights.pth")
    source = Parent("Pretrained", checkpoint)
    with torch.no_grad():
        for parameter in source.parameters():
            parameter.fill_(7.0)
    torch.save(source.state_dict(), checkpoint)
    theirs = Parent(spelling, checkpoint)
    theirs.init_weights()
    ours = Parent(spelling, checkpoint)
    initcfg.init_weights(ours)
    assert theirs.child.fc.weight[0, 0].item() == expected
    assert torch.equal(ours.child.fc.weight, theirs.child.fc.weight)
