"""A Pretrained checkpoint that a module's own init_weights loads is checked at plan time:
no step of the plan loads it, yet a file that cannot be used fails the run only when
init_weights reaches it, after the model and its data were built."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from initcfg.plan.init_plan import compile_init_plan


class Backbone(nn.Module):
    def __init__(self, init_cfg: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.init_cfg = init_cfg

    def init_weights(self) -> None:  # reads its checkpoint itself, as OpenMMLab's do
        state = torch.load(self.init_cfg["checkpoint"], weights_only=True)
        self.load_state_dict(state)


class Net(nn.Module):
    def __init__(self, init_cfg: Any) -> None:
        super().__init__()
        self.backbone = Backbone(init_cfg)
        self.head = nn.Linear(4, 2)


class Opaque:
    pass


def _checkpoints(folder: Path) -> dict[str, str]:
    good = folder / "good.pth"
    torch.save({f"backbone.{k}": v for k, v in nn.Conv2d(3, 4, 1).state_dict().items()}, good)
    pickled = folder / "pickled.pth"
    torch.save({"conv.weight": Opaque()}, pickled)  # a Python object: weights_only refuses
    garbage = folder / "garbage.pth"
    with open(garbage, "wb") as stream:
        pickle.dump([1, 2], stream)
    return {"good": str(good), "pickled": str(pickled), "garbage": str(garbage),
            "missing": str(folder / "none.pth")}


@pytest.mark.parametrize(
    ("which", "prefix", "message"),
    [
        ("missing", None, "does not exist"),
        ("pickled", None, "Python object"),
        ("garbage", None, "not a torch checkpoint file"),
        ("good", "neck", "prefix"),
    ],
)
def test_a_checkpoint_that_cannot_be_used_is_an_error(
    tmp_path: Path, which: str, prefix: str | None, message: str
) -> None:
    path = _checkpoints(tmp_path)[which]
    entry = {"type": "Pretrained", "checkpoint": path, **({"prefix": prefix} if prefix else {})}
    plan = compile_init_plan(None, Net(entry))
    [error] = [d for d in plan.diagnostics if d.code == "IC409"]
    assert "backbone (Backbone) loads a checkpoint in its own init_weights" in error.message
    assert message in error.message
    assert plan.errors


def test_a_usable_remote_or_scoped_checkpoint_is_no_error(tmp_path: Path) -> None:
    good = _checkpoints(tmp_path)["good"]
    for entry in (
        {"type": "Pretrained", "checkpoint": good, "prefix": "backbone"},
        [{"type": "Kaiming", "layer": "Conv2d"},
         {"type": "mmengine.Pretrained", "checkpoint": good}],
        {"type": "Pretrained", "checkpoint": "https://example.invalid/not-downloaded.pth"},
    ):
        plan = compile_init_plan(None, Net(entry), download=False)
        assert not [d for d in plan.diagnostics if d.code == "IC409"], entry


def test_the_config_s_value_is_checked_where_the_config_wrote_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone.pth")
    config = tmp_path / "c.py"
    config.write_text(
        "model = dict(\n"
        f"    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint={missing!r})))\n"
    )
    plan = compile_init_plan(config, Net({"type": "Kaiming", "layer": "Conv2d"}))
    [error] = [d for d in plan.diagnostics if d.code == "IC409"]
    assert (error.file, error.line) == (str(config), 2)
    assert error.path == "model.backbone.init_cfg"
    assert error.config == str(config)  # the config it belongs to, as for every other
