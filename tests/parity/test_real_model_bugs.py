"""Two ways real OpenMMLab models differed from their plans, each against MMEngine.

1. An override ``name`` that is a property returning a registered submodule (mmdet's and
   mmpretrain's ResNet blocks expose ``norm1..3`` returning ``bn1..3``).
2. A constructor that maps the ``init_cfg`` it receives (mmdet's ResNet turns ``None``
   into its Kaiming/Constant default): for a model built from the config, the module's
   attribute is what ``init_weights`` applies.

Each is tested on models of our own, built through an MMEngine registry from a config,
and on a real mmpretrain model built from its shipped config. No mmpretrain 1.2.0 model
reaches a property override (only HRNet writes one, on a ResLayer that has no such
attribute); mmdet 3.3.0's ResNet has both, and test_real_detectors.py checks them on
real detectors (tests/openmmlab_mmdet.py makes mmdet importable beside mmcv-lite).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import torch
from mmengine.model import BaseModule
from mmengine.registry import Registry
from test_init_harness import assert_same, changed, tensors
from torch import nn

from initcfg.plan.init_plan import compile_init_plan
from openmmlab import build_mmpretrain, mmpretrain_config, model_section

MODELS = Registry("initcfg-test-models")


@MODELS.register_module()
class Block(BaseModule):
    """Registered ``bn1``/``bn2``, reached through properties, as in ResNet blocks."""

    def __init__(self, width: int = 4, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv1 = nn.Conv2d(width, width, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, bias=False)
        self.add_module("bn2", nn.BatchNorm2d(width))

    @property
    def norm1(self) -> nn.Module:
        return self.bn1

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, "bn2")  # noqa: B009 - as mmdet spells it


@MODELS.register_module()
class Backbone(BaseModule):
    """Maps ``init_cfg=None`` to its own default, as mmdet's ResNet does, and gives its
    blocks a zero-init override on a property name."""

    def __init__(self, blocks: int = 2, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        if init_cfg is None:
            self.init_cfg = [
                dict(type="Kaiming", layer="Conv2d"),
                dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
            ]
        zero = dict(type="Constant", val=0, override=dict(name="norm2"))
        self.stem = nn.Conv2d(3, 4, 3)
        self.layer = BaseModule()  # an MMEngine container, so blocks are reached
        for index in range(blocks):
            self.layer.add_module(str(index), Block(init_cfg=copy.deepcopy(zero)))


@MODELS.register_module()
class Net(BaseModule):
    def __init__(self, backbone: dict[str, Any], head: dict[str, Any], init_cfg: Any = None):
        super().__init__(init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)


@MODELS.register_module()
class Head(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.fc = nn.Linear(4, 3)


def _config(backbone_init_cfg: Any) -> dict[str, Any]:
    return {
        "model": {
            "type": "Net",
            "backbone": {"type": "Backbone", "init_cfg": backbone_init_cfg},
            "head": {"type": "Head", "init_cfg": {"type": "Normal", "layer": "Linear"}},
        }
    }


def _compare_built(
    build: Callable[[], nn.Module], config: dict[str, Any], *, seed: int = 3
) -> tuple[nn.Module, Any]:
    """MMEngine's init_weights on a model the registry built, against the plan compiled
    from the config for a second build (``built_from_config``), both from one state."""
    torch.manual_seed(0)
    theirs = build()
    ours = build()
    ours.load_state_dict(theirs.state_dict())
    before = tensors(ours)
    torch.manual_seed(seed)
    theirs.init_weights()  # type: ignore[operator]
    their_rng = torch.get_rng_state()
    plan = compile_init_plan(config, ours, built_from_config=True)
    assert not plan.errors, [d.message for d in plan.errors]
    torch.manual_seed(seed)
    plan.apply(ours)
    assert torch.equal(their_rng, torch.get_rng_state()), "a different number of draws"
    assert_same(theirs, ours)
    assert changed(before, ours), "nothing was written; the scenario tests nothing"
    return ours, plan


@pytest.mark.parametrize("backbone_init_cfg", [None, {"type": "Xavier", "layer": "Conv2d"}])
def test_own_model_property_override_and_mapped_init_cfg(backbone_init_cfg: Any) -> None:
    config = _config(backbone_init_cfg)
    model, plan = _compare_built(lambda: MODELS.build(copy.deepcopy(config["model"])), config)
    zeroed = plan.final_writer("backbone.layer.0.bn2.weight")
    assert zeroed is not None and zeroed.target == "backbone.layer.0.bn2"
    assert torch.equal(model.backbone.layer.get_submodule("0").bn2.weight, torch.zeros(4))
    stem = plan.final_writer("backbone.stem.weight")
    assert stem is not None and stem.initializer is not None
    expected = "Kaiming" if backbone_init_cfg is None else "Xavier"
    assert stem.initializer.type == expected


def test_mapped_init_cfg_is_noted_where_the_config_differs() -> None:
    config = _config(None)
    model = MODELS.build(copy.deepcopy(config["model"]))
    plan = compile_init_plan(config, model, built_from_config=True)
    notes = [d for d in plan.diagnostics if d.code == "IC415"]
    assert [d.path for d in notes] == ["model.backbone.init_cfg"]
    # Without built_from_config the config's None replaces the attribute (a model the
    # caller built some other way): the stem keeps torch's default.
    replaced = compile_init_plan(config, model)
    assert replaced.final_writer("backbone.stem.weight") is None


def test_a_property_reaching_an_unregistered_module_is_an_error() -> None:
    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Constant", val=0, override=dict(name="hidden"))
            self.conv = nn.Conv2d(2, 2, 1)
            object.__setattr__(self, "_hidden", nn.BatchNorm2d(2))

        @property
        def hidden(self) -> nn.Module:
            return self._hidden

    plan = compile_init_plan(None, Holder())
    assert [d.code for d in plan.errors] == ["IC414"]


# -- real mmpretrain models -----------------------------------------------------------------


def _resnet_section() -> dict[str, Any]:
    section = model_section(mmpretrain_config("resnet/resnet50_8xb32_in1k.py"))
    section["backbone"]["init_cfg"] = None  # as a train-from-scratch config may write
    return section


@pytest.mark.slow
@pytest.mark.parametrize("make", [_resnet_section], ids=["resnet50"])
def test_real_mmpretrain_models_bit_exact(make: Callable[[], dict[str, Any]]) -> None:
    section = make()
    _compare_built(lambda: build_mmpretrain(copy.deepcopy(section)), {"model": section})


def test_an_init_cfg_the_constructor_kept_is_credited_to_the_config(tmp_path: Any) -> None:
    """Built from the config, a module's attribute is what applies; where it is the
    config's value unchanged, the plan names the config line that wrote it (mmdet's
    backbone Pretrained entries were credited to the ResNet class), and where the
    constructor made its own value, the class."""
    config_file = tmp_path / "net.py"
    config_file.write_text(
        "model = dict(\n"
        "    type='Net',\n"
        "    backbone=dict(type='Backbone', init_cfg=dict(type='Xavier', layer='Conv2d')),\n"
        "    head=dict(type='Head'),\n"
        ")\n"
    )
    from initcfg.config.load import load_config

    tree = load_config(config_file)
    model = MODELS.build(copy.deepcopy(tree.to_dict()["model"]))
    plan = compile_init_plan(tree, model, built_from_config=True)
    kept = plan.final_writer("backbone.stem.weight")
    assert kept is not None and kept.initializer is not None
    assert kept.initializer.type == "Xavier"
    assert (kept.origin.source, kept.origin.key) == ("config", "model.backbone.init_cfg")
    assert (kept.origin.file, kept.origin.line) == (str(config_file), 3)
    made = plan.final_writer("backbone.layer.0.bn2.weight")  # the constructor's own value
    assert made is not None and made.origin.source == "attribute"
