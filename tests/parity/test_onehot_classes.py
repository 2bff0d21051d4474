"""Differential: a fine-tune that changes the head's num_classes but keeps the data
preprocessor's makes MMPretrain's loss raise at the first iteration (IC332 says so);
with both the same it trains."""

from __future__ import annotations

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


def _first_iteration(head_classes: int, preprocessor_classes: int) -> None:
    """One train step of a small classifier set up as Swin-T's config sets it up."""
    import_mmpretrain()
    from mmpretrain.structures import DataSample

    model = build_mmpretrain({
        "type": "ImageClassifier",
        "backbone": {"type": "ResNet", "depth": 18},
        "neck": {"type": "GlobalAveragePooling"},
        "head": {"type": "LinearClsHead", "num_classes": head_classes, "in_channels": 512,
                 "loss": {"type": "LabelSmoothLoss", "label_smooth_val": 0.1,
                          "mode": "original"}},
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
