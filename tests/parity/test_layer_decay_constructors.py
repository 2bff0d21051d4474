"""Differential: what the two layer-decay optimizer wrapper constructors make of
``paramwise_cfg``, run in MMPretrain's and MMDetection's own code beside what initcfg
validate says of the same settings (IC305 for a key whose groups do not change, IC303
and IC302 for what they raise on when the Runner builds the optimizer wrapper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from torch import nn  # noqa: E402

import initcfg  # noqa: E402
from openmmlab import import_mmpretrain  # noqa: E402

OPTIMIZER = {"type": "AdamW", "lr": 0.001, "weight_decay": 0.05}


class _Classifier(nn.Module):
    """Two layers and a head, with the depth map MMPretrain's constructor asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.layer0 = nn.Linear(4, 4)
        self.layer1 = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
        self.head = nn.Linear(4, 2)

    def get_layer_depth(self, name: str) -> tuple[int, int]:
        for depth, prefix in enumerate(("layer0.", "layer1.", "head.")):
            if name.startswith(prefix):
                return depth, 3
        raise AssertionError(name)


def _mmpretrain_groups(paramwise: dict[str, Any]) -> list[tuple[str, float, float]]:
    import_mmpretrain()
    from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor

    build = LearningRateDecayOptimWrapperConstructor(
        {"type": "OptimWrapper", "optimizer": dict(OPTIMIZER)}, paramwise
    )
    groups = build(_Classifier()).optimizer.param_groups
    return [(group["param_name"], group["lr"], group["weight_decay"]) for group in groups]


def _validate(tmp_path: Path, optim_wrapper: dict[str, Any], backbone: str | None = None) -> list[
    tuple[str, str | None]
]:
    config = tmp_path / "ft.py"
    model = f"model = dict(backbone=dict(type={backbone!r}))\n" if backbone else ""
    config.write_text(f"{model}optim_wrapper = {optim_wrapper!r}\n")
    return sorted((d.code, d.path) for d in initcfg.validate(config, fs_checks=False))


MMPRETRAIN = "LearningRateDecayOptimWrapperConstructor"


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        # The fine-tune's usual wish, a head with a larger lr: copied into the group,
        # then the group's lr is set from the layer depth.
        ({"custom_keys": {"head": {"lr_mult": 10.0}}}, "custom_keys.head.lr_mult"),
        ({"bias_lr_mult": 2.0}, "bias_lr_mult"),  # MMEngine's default constructor's key
        ({"dwconv_decay_mult": 0.0}, "dwconv_decay_mult"),
        ({"decay_rate": 0.5}, "decay_rate"),  # MMDetection's spelling of layer_decay_rate
    ],
)
def test_keys_mmpretrain_s_constructor_ignores_are_ic305(
    tmp_path: Path, extra: dict[str, Any], path: str
) -> None:
    base = {"layer_decay_rate": 0.5}
    assert _mmpretrain_groups({**base, **extra}) == _mmpretrain_groups(base)
    found = _validate(tmp_path, {"constructor": MMPRETRAIN, "optimizer": OPTIMIZER,
                                 "paramwise_cfg": {**base, **extra}})
    assert found == [("IC305", f"optim_wrapper.paramwise_cfg.{path}")]


def test_keys_mmpretrain_s_constructor_reads_change_the_groups_and_are_quiet(
    tmp_path: Path,
) -> None:
    read = {"layer_decay_rate": 0.5, "custom_keys": {"head": {"decay_mult": 0.0}},
            "bias_decay_mult": 0.0, "norm_decay_mult": 0.0, "flat_decay_mult": 0.0}
    # An empty paramwise_cfg skips add_params altogether: compared with a rate of 1.
    base = {"layer_decay_rate": 1.0}
    for key, value in read.items():
        assert _mmpretrain_groups({**base, key: value}) != _mmpretrain_groups(base), key
    found = _validate(tmp_path, {"constructor": f"mmpretrain.{MMPRETRAIN}",
                                 "optimizer": OPTIMIZER, "paramwise_cfg": read})
    assert found == []


def test_the_layer_depth_table_is_mmpretrain_s() -> None:
    import_mmpretrain()
    from mmpretrain.registry import MODELS

    from initcfg.schema.layer_depth_table import (
        DELEGATES_TO_BACKBONE,
        DEPTH_18_RESNETS,
        HAS_LAYER_DEPTH,
        NO_LAYER_DEPTH,
    )

    kinds = ("backbones", "classifiers", "selfsup", "multimodal", "retrievers")
    found: dict[str, set[str]] = {"own": set(), "delegates": set(), "none": set()}
    for name, cls in MODELS.module_dict.items():
        module = cls.__module__.split(".")
        if module[1:2] != ["models"] or module[2:3][0] not in kinds:
            continue
        method = getattr(cls, "get_layer_depth", None)
        if method is None:
            found["none"].add(name)
        elif method.__qualname__ in ("ImageClassifier.get_layer_depth",
                                     "BaseSelfSupervisor.get_layer_depth"):
            found["delegates"].add(name)
        else:
            found["own"].add(name)
    assert found == {"own": HAS_LAYER_DEPTH, "delegates": DELEGATES_TO_BACKBONE,
                     "none": NO_LAYER_DEPTH}
    resnets = {name for name in HAS_LAYER_DEPTH
               if MODELS.get(name).get_layer_depth.__qualname__ == "ResNet.get_layer_depth"
               and 18 in (getattr(MODELS.get(name), "arch_settings", None) or {})}
    assert resnets == DEPTH_18_RESNETS


@pytest.mark.parametrize(
    ("model", "refused"),
    [
        ({"type": "ImageClassifier", "backbone": {"type": "ResNet", "depth": 34}}, False),
        ({"type": "ImageClassifier",
          "backbone": {"type": "VisionTransformer", "arch": "deit-tiny", "img_size": 32,
                       "patch_size": 16}}, False),
        # ResNet's depth map knows the stage blocks of depths 34 to 200 only.
        ({"type": "ImageClassifier", "backbone": {"type": "ResNet", "depth": 18}}, True),
        ({"type": "ImageClassifier", "backbone": {"type": "ResNet_CIFAR", "depth": 18}}, True),
        # SimMIM's Swin benchmark fine-tuned with Swin V2: no depth map.
        ({"type": "ImageClassifier",
          "backbone": {"type": "mmpretrain.SwinTransformerV2", "arch": "tiny",
                       "img_size": 32, "window_size": 2}}, True),
        ({"type": "ImageClassifier", "backbone": {"type": "MobileNetV2"}}, True),
    ],
)
def test_a_model_without_layer_depth_is_ic302(
    tmp_path: Path, model: dict[str, Any], refused: bool
) -> None:
    import_mmpretrain()
    from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor
    from mmpretrain.registry import MODELS

    build = LearningRateDecayOptimWrapperConstructor(
        {"type": "OptimWrapper", "optimizer": dict(OPTIMIZER)}, {"layer_decay_rate": 0.5}
    )
    module = MODELS.build(model)
    wrapper = {"constructor": MMPRETRAIN, "optimizer": OPTIMIZER,
               "paramwise_cfg": {"layer_decay_rate": 0.5}}
    config = tmp_path / "ft.py"
    config.write_text(f"model = {model!r}\noptim_wrapper = {wrapper!r}\n")
    found = [(d.code, d.path) for d in initcfg.validate(config, fs_checks=False)]
    if refused:
        with pytest.raises(NotImplementedError):
            build(module)
        assert found == [("IC302", "optim_wrapper.constructor")]
    else:
        build(module)
        assert found == []


def test_mmpretrain_s_constructor_without_weight_decay_is_ic303(tmp_path: Path) -> None:
    import_mmpretrain()
    from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor

    adamw = {"type": "AdamW", "lr": 0.001}  # torch's default weight decay, not base_wd
    build = LearningRateDecayOptimWrapperConstructor(
        {"type": "OptimWrapper", "optimizer": dict(adamw)}, {"layer_decay_rate": 0.5}
    )
    with pytest.raises(KeyError, match="weight_decay"):
        build(_Classifier())
    found = _validate(tmp_path, {"constructor": MMPRETRAIN, "optimizer": adamw,
                                 "paramwise_cfg": {"layer_decay_rate": 0.5}})
    assert found == [("IC303", "optim_wrapper.optimizer")]
    # An empty paramwise_cfg never reaches that code.
    assert _validate(tmp_path, {"constructor": MMPRETRAIN, "optimizer": adamw}) == []


# ------------------------------------------------------------------------ MMDetection


class TinyConvNeXt(nn.Module):
    """What MMDetection's constructor reads of a ConvNeXt: its class name and the
    `downsample_layers` / `stages` parameter names."""

    def __init__(self) -> None:
        super().__init__()
        self.downsample_layers = nn.ModuleList([nn.Conv2d(3, 4, 1)])
        # Stage 2's fourth block is where layer-wise and stage-wise ids differ.
        self.stages = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(4, 4, 1), nn.LayerNorm(4)), nn.Sequential(),
             nn.Sequential(*(nn.Conv2d(4, 4, 1) for _ in range(4)))]
        )


class TinyResNet(TinyConvNeXt):
    pass


class _Detector(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(4, 2)


def _mmdet_optimizer(paramwise: dict[str, Any] | None, backbone: type[nn.Module] = TinyConvNeXt
                     ) -> Any:
    from openmmlab_mmdet import import_mmdet

    import_mmdet()
    from mmdet.engine.optimizers import LearningRateDecayOptimizerConstructor

    build = LearningRateDecayOptimizerConstructor(
        {"type": "OptimWrapper", "optimizer": dict(OPTIMIZER)}, paramwise
    )
    return build(_Detector(backbone())).optimizer


def _mmdet_groups(paramwise: dict[str, Any] | None, backbone: type[nn.Module] = TinyConvNeXt
                  ) -> list[tuple[str, float, float, list[str]]]:
    groups = _mmdet_optimizer(paramwise, backbone).param_groups
    return [(group["group_name"], group["lr"], group["weight_decay"], group["param_names"])
            for group in groups]


MMDET = "LearningRateDecayOptimizerConstructor"
DECAY = {"num_layers": 6, "decay_rate": 0.7, "decay_type": "layer_wise"}


@pytest.mark.parametrize(
    ("extra", "paths"),
    [
        # A fine-tune of the ConvNeXt Mask R-CNN giving the backbone a lower lr: merged
        # into the base's paramwise_cfg, so the constructor stays and ignores it.
        ({"custom_keys": {"backbone": {"lr_mult": 0.1}}}, ["custom_keys"]),
        ({"layer_decay_rate": 0.5}, ["layer_decay_rate"]),  # MMPretrain's spelling
        ({"norm_decay_mult": 1.0}, ["norm_decay_mult"]),  # norm weights keep no decay
        ({"dwconv_decay_mult": 0.0}, ["dwconv_decay_mult"]),
        # What the constructor does anyway: ignored, but nothing is missing.
        ({"norm_decay_mult": 0, "bias_decay_mult": 0.0, "bypass_duplicate": True}, []),
    ],
)
def test_keys_mmdetection_s_constructor_ignores(
    tmp_path: Path, extra: dict[str, Any], paths: list[str]
) -> None:
    assert _mmdet_groups({**DECAY, **extra}) == _mmdet_groups(DECAY)
    found = _validate(tmp_path, {"constructor": MMDET, "optimizer": OPTIMIZER,
                                 "paramwise_cfg": {**DECAY, **extra}}, "mmpretrain.ConvNeXt")
    assert found == [("IC305", f"optim_wrapper.paramwise_cfg.{path}") for path in paths]


@pytest.mark.parametrize("paramwise", [None, {}])
def test_no_paramwise_cfg_builds_one_group_and_is_quiet(
    tmp_path: Path, paramwise: dict[str, Any] | None
) -> None:
    # add_params never runs: no key is missing, no backbone is refused, and the
    # optimizer gets MMEngine's one plain group of every parameter.
    for backbone in (TinyConvNeXt, TinyResNet):
        groups = _mmdet_optimizer(paramwise, backbone).param_groups
        assert len(groups) == 1 and "group_name" not in groups[0]
    wrapper: dict[str, Any] = {"constructor": MMDET, "optimizer": OPTIMIZER}
    if paramwise is not None:
        wrapper["paramwise_cfg"] = paramwise
    assert _validate(tmp_path, wrapper, "mmdet.ResNet") == []


def test_mmdetection_s_constructor_reads_its_three_keys() -> None:
    plain = _mmdet_groups(DECAY)
    for key, value in (("num_layers", 4), ("decay_rate", 0.5), ("decay_type", "stage_wise")):
        assert _mmdet_groups({**DECAY, key: value}) != plain, key


@pytest.mark.parametrize(
    ("paramwise", "backbone", "error", "expected"),
    [
        ({"decay_rate": 0.7}, TinyConvNeXt, TypeError,
         [("IC303", "optim_wrapper.paramwise_cfg")]),
        ({"num_layers": 6}, TinyConvNeXt, TypeError,
         [("IC303", "optim_wrapper.paramwise_cfg")]),
        ({**DECAY, "decay_type": "block_wise"}, TinyConvNeXt, UnboundLocalError,
         [("IC302", "optim_wrapper.paramwise_cfg.decay_type")]),
        # A fine-tune that swapped the ConvNeXt backbone and kept the base's optim_wrapper.
        (DECAY, TinyResNet, NotImplementedError, [("IC302", "optim_wrapper.constructor")]),
    ],
)
def test_what_mmdetection_s_constructor_raises_on_is_an_error(
    tmp_path: Path, paramwise: dict[str, Any], backbone: type[nn.Module],
    error: type[Exception], expected: list[tuple[str, str]],
) -> None:
    with pytest.raises(error):
        _mmdet_groups(paramwise, backbone)
    wrapper = {"constructor": f"mmdet.{MMDET}", "optimizer": OPTIMIZER, "paramwise_cfg": paramwise}
    # The registry name the class name stands for.
    type_name = "mmdet.ResNet" if backbone is TinyResNet else "mmpretrain.ConvNeXt"
    assert _validate(tmp_path, wrapper, type_name) == expected
