"""Differential: the late failures of a fine-tune that changes only the head's
num_classes in an MMPretrain config, each run in MMPretrain's own code beside what
initcfg validate says of the config: one-hot targets of the data preprocessor's class
count meet the head's in the loss (IC332), and top-5 accuracy meets a 3-class head at
the first validation (IC334), and a LabelSmoothLoss written for the base's classes meets
the head's scores (IC340)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

import initcfg  # noqa: E402
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config  # noqa: E402

# Swin-T in MMPretrain mixes batches (Mixup, CutMix); its dataset base sets
# data_preprocessor = dict(num_classes=1000, ...).
SWIN = "swin_transformer/swin-tiny_16xb64_in1k.py"


def _first_iteration(
    head_classes: int, preprocessor_classes: int, loss_classes: int | None = None
) -> None:
    """One train step of a small classifier set up as Swin-T's config sets it up."""
    import_mmpretrain()
    from mmpretrain.structures import DataSample

    loss = {"type": "LabelSmoothLoss", "label_smooth_val": 0.1, "mode": "original"}
    if loss_classes is not None:
        loss["num_classes"] = loss_classes
    model = build_mmpretrain({
        "type": "ImageClassifier",
        "backbone": {"type": "ResNet", "depth": 18},
        "neck": {"type": "GlobalAveragePooling"},
        "head": {"type": "LinearClsHead", "num_classes": head_classes, "in_channels": 512,
                 "loss": loss},
        "train_cfg": {"augments": [{"type": "Mixup", "alpha": 0.8}]},
        "data_preprocessor": {"type": "ClsDataPreprocessor", "num_classes": preprocessor_classes},
    })
    samples = [DataSample().set_gt_label(label) for label in (0, 3)]
    data = model.data_preprocessor({"inputs": [torch.rand(3, 32, 32) for _ in samples],
                                    "data_samples": samples}, training=True)
    model(**data, mode="loss")


def _validate(tmp_path: Path, body: str) -> list[Any]:
    config = tmp_path / "ft.py"
    config.write_text(f"_base_ = [{str(mmpretrain_config(SWIN))!r}]\n{body}")
    return [(d.code, d.path) for d in initcfg.validate(config, fs_checks=False)]


def test_a_head_changed_alone_fails_in_mmpretrain_and_is_ic332(tmp_path: Path) -> None:
    # Swin-T's LabelSmoothLoss asserts the shapes match.
    with pytest.raises(AssertionError, match="same shape"):
        _first_iteration(head_classes=5, preprocessor_classes=1000)
    found = _validate(tmp_path, "model = dict(head=dict(num_classes=5))\n")
    assert ("IC332", "data_preprocessor.num_classes") in found


def test_both_changed_train_and_are_quiet(tmp_path: Path) -> None:
    _first_iteration(head_classes=5, preprocessor_classes=5)
    found = _validate(
        tmp_path,
        "model = dict(head=dict(num_classes=5))\n"
        "data_preprocessor = dict(num_classes=5)\n",
    )
    assert [code for code, _ in found if code == "IC332"] == []


def test_a_smoothing_loss_left_at_the_base_s_classes_fails_and_is_ic340(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="num_classes should equal"):
        _first_iteration(head_classes=5, preprocessor_classes=5, loss_classes=1000)
    _first_iteration(head_classes=5, preprocessor_classes=5, loss_classes=5)
    base = tmp_path / "smoothed.py"
    base.write_text(
        f"_base_ = [{str(mmpretrain_config(SWIN))!r}]\n"
        "model = dict(head=dict(loss=dict(num_classes=1000)))\n"
    )
    config = tmp_path / "ft.py"
    config.write_text(
        "_base_ = ['./smoothed.py']\n"
        "model = dict(head=dict(num_classes=5))\n"
        "data_preprocessor = dict(num_classes=5)\n"
    )
    found = [(d.code, d.path) for d in initcfg.validate(config, fs_checks=False)]
    assert ("IC340", "model.head.loss.num_classes") in found
    assert [code for code, _ in found if code in ("IC332", "IC333")] == []
    config.write_text(config.read_text().replace("num_classes=5))", "num_classes=5, "
                                                 "loss=dict(num_classes=5)))"))
    assert "IC340" not in [d.code for d in initcfg.validate(config, fs_checks=False)]


@pytest.mark.parametrize(
    ("train_cfg", "preprocessor", "fails"),
    [
        ({"augments": None}, {}, True),  # train_cfg is handed on whole: one-hot targets
        ({"augments": [{"type": "Mixup", "alpha": 0.8}]}, {"batch_augments": None}, False),
        (None, {}, False),
    ],
)
def test_image_classifier_s_batch_augments_decide_one_hot_targets_as_for_ic332(
    train_cfg: dict[str, Any] | None, preprocessor: dict[str, Any], fails: bool
) -> None:
    import_mmpretrain()
    from mmpretrain.structures import DataSample

    model = {
        "type": "ImageClassifier",
        "backbone": {"type": "ResNet", "depth": 18},
        "neck": {"type": "GlobalAveragePooling"},
        "head": {"type": "LinearClsHead", "num_classes": 5, "in_channels": 512,
                 "loss": {"type": "LabelSmoothLoss", "label_smooth_val": 0.1,
                          "mode": "original"}},
        "train_cfg": train_cfg,
        "data_preprocessor": {"type": "ClsDataPreprocessor", "num_classes": 1000,
                              **preprocessor},
    }
    built = build_mmpretrain(copy.deepcopy(model))
    samples = [DataSample().set_gt_label(label) for label in (0, 3)]
    data = built.data_preprocessor({"inputs": [torch.rand(3, 32, 32) for _ in samples],
                                    "data_samples": samples}, training=True)
    if fails:
        with pytest.raises(AssertionError, match="same shape"):
            built(**data, mode="loss")
    else:
        built(**data, mode="loss")
    found = [d.code for d in initcfg.validate({"model": model}) if d.code == "IC332"]
    assert found == (["IC332"] if fails else [])


RESNET18 = "resnet/resnet18_8xb32_in1k.py"  # its dataset base: Accuracy(topk=(1, 5))


@pytest.mark.parametrize(("topk", "raises"), [((1, 5), True), ((1, 3), False), ((1,), False)])
def test_top_k_above_the_head_fails_mmpretrain_s_accuracy_and_is_ic334(
    tmp_path: Path, topk: tuple[int, ...], raises: bool
) -> None:
    import_mmpretrain()
    from mmpretrain.evaluation.metrics import Accuracy

    scores, labels = torch.rand(4, 3), torch.tensor([0, 1, 2, 1])
    if raises:
        with pytest.raises(ValueError, match="unavailable"):
            Accuracy.calculate(scores, labels, topk=topk)
    else:
        Accuracy.calculate(scores, labels, topk=topk)
    config = tmp_path / "ft.py"
    config.write_text(
        f"_base_ = [{str(mmpretrain_config(RESNET18))!r}]\n"
        "model = dict(head=dict(num_classes=3))\n"
        f"val_evaluator = dict(type='Accuracy', topk={topk!r})\n"
        "test_evaluator = val_evaluator\n"
    )
    found = [(d.code, d.path) for d in initcfg.validate(config, fs_checks=False)
             if d.code == "IC334"]
    expected = [("IC334", "val_evaluator.topk"), ("IC334", "test_evaluator.topk")]
    assert found == (expected if raises else [])


def test_a_checkpoint_of_another_depth_loads_in_part_and_is_ic335(tmp_path: Path) -> None:
    # MMEngine's Pretrained loads with strict=False: a ResNet-18 checkpoint into a
    # ResNet-34 backbone fills the blocks both have and leaves layer3's extra ones.
    import_mmpretrain()
    checkpoint = tmp_path / "resnet18.pth"
    torch.save(build_mmpretrain({"type": "ResNet", "depth": 18}).state_dict(), checkpoint)
    source = torch.load(checkpoint, weights_only=True)
    backbone = build_mmpretrain({"type": "ResNet", "depth": 34,
                                 "init_cfg": {"type": "Pretrained", "checkpoint": str(checkpoint)}})
    backbone.init_weights()
    state = backbone.state_dict()
    assert torch.equal(state["layer3.1.conv1.weight"], source["layer3.1.conv1.weight"])
    assert "layer3.5.conv1.weight" not in source  # ResNet-34's layer3 has 6 blocks, 18's 2
    config = tmp_path / "c.py"
    config.write_text(
        "model = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=34,\n"
        f"    init_cfg=dict(type='Pretrained', checkpoint={str(checkpoint)!r})))\n"
    )
    found = [(d.code, d.path) for d in initcfg.validate(config) if d.code == "IC335"]
    assert found == [("IC335", "model.backbone.init_cfg.checkpoint")]
    config.write_text(config.read_text().replace("depth=34", "depth=18"))
    assert [d.code for d in initcfg.validate(config) if d.code == "IC335"] == []
