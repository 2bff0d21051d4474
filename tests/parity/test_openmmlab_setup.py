"""The test set-up for real OpenMMLab models (tests/openmmlab.py) works, and is honest."""

from __future__ import annotations

import pytest
import torch

from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config


def test_mmpretrain_imports_and_registers_its_models() -> None:
    mmpretrain = import_mmpretrain()
    from mmpretrain.registry import MODELS

    assert mmpretrain.__version__ == "1.2.0"
    assert MODELS.get("ImageClassifier") is not None
    assert MODELS.get("VisionTransformer") is not None


def test_a_shipped_config_builds_a_real_model() -> None:
    model = build_mmpretrain(mmpretrain_config("resnet/resnet18_8xb32_in1k.py"))
    assert type(model).__name__ == "ImageClassifier"
    assert sum(p.numel() for p in model.parameters()) == 11_689_512


def test_torchvision_nms_is_a_schema_without_a_kernel_when_its_library_cannot_load() -> None:
    import_mmpretrain()
    from openmmlab import _TORCHVISION_SCHEMAS

    if not _TORCHVISION_SCHEMAS:
        pytest.skip("torchvision's compiled operators loaded; nothing was defined")
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(NotImplementedError):
        torch.ops.torchvision.nms(boxes, torch.tensor([1.0]), 0.5)
