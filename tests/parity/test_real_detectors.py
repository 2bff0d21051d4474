"""Real MMDetection 3.3.0 detectors from their shipped configs: planned on the meta device
through mmdet's registry, applied to a real build, bit-exact with MMEngine's
``init_weights`` (every parameter, every buffer, the generator state), and at most 1% of
parameters left to an untraced ``init_weights``.

mmdet is fetched and imported by the test set-up (tests/openmmlab_mmdet.py: mmcv-lite
has no compiled ops, so ``mmcv._ext`` is a module whose every op raises when called).
What this cannot test: a detector's ``forward`` (it calls compiled ops such as nms and
roi_align), and configs whose modules need ops at construction (none of those here).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from test_init_harness import assert_same, changed, tensors
from test_param_groups import assert_same as assert_same_groups
from test_param_groups import mmengine_groups
from torch import nn

from initcfg.cli import main
from initcfg.config.load import load_config
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.registry_model import build_registry_model
from openmmlab_mmdet import (
    build_mmdet,
    from_scratch,
    import_mmdet,
    mmdet_config,
    model_section,
)

# One of each kind of detector the issue names: a one-stage anchor head, a two-stage
# RPN + RoI head, an anchor-free head with GroupNorm and a caffe-style backbone, a mask
# head, and deformable convolutions (mmcv's DeformConv2dPack in the backbone's stages).
DETECTORS = {
    "retinanet": "retinanet/retinanet_r50_fpn_1x_coco.py",
    "faster-rcnn": "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py",
    "fcos": "fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py",
    "mask-rcnn": "mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py",
    "dcn-faster-rcnn": "dcn/faster-rcnn_r50-dconv-c3-c5_fpn_1x_coco.py",
}


def assert_bit_exact(config: Path, *, seed: int = 11) -> tuple[InitPlan, nn.Module]:
    """Plan on meta, apply to a real build; MMEngine on another with the same seed."""
    tree = load_config(config)
    meta_model = build_registry_model(tree)
    assert all(t.is_meta for t in [*meta_model.parameters(), *meta_model.buffers()])
    plan = compile_init_plan(tree, meta_model, built_from_config=True)
    assert not plan.errors, [d.message for d in plan.errors]

    section = model_section(config)
    torch.manual_seed(0)
    theirs = build_mmdet(copy.deepcopy(section))
    ours = build_mmdet(copy.deepcopy(section))
    ours.load_state_dict(theirs.state_dict())
    before = tensors(ours)
    torch.manual_seed(seed)
    theirs.init_weights()  # type: ignore[operator]
    their_rng = torch.get_rng_state()
    torch.manual_seed(seed)
    plan.apply(ours)
    assert torch.equal(their_rng, torch.get_rng_state()), "a different number of draws"
    assert_same(theirs, ours)
    assert changed(before, ours), "init_weights wrote nothing; the test tests nothing"

    # Provenance: at most 1% of parameters end with an untraced init_weights, and every
    # tensor MMEngine changed has a planned writer.
    counts = plan.counts()
    assert counts["init_weights"] <= counts["parameters"] // 100, counts
    writers = plan.writers()
    moved = {key.split(":", 1)[1] for key in changed(before, theirs)}
    unwritten = sorted(name for name in moved if not writers.get(name))
    assert not unwritten, f"changed by MMEngine but planned untouched: {unwritten[:5]}"
    for name in moved:
        final = plan.steps[writers[name][-1]]
        if final.kind == "call":
            assert final.traced, f"{name} is written by an untraced call"
    return plan, ours


@pytest.mark.slow
@pytest.mark.parametrize("relative", DETECTORS.values(), ids=DETECTORS.keys())
def test_detector_planned_on_meta_and_bit_exact(relative: str, tmp_path: Path) -> None:
    import_mmdet()
    plan, model = assert_bit_exact(from_scratch(relative, tmp_path))
    # The earlier mmdet bugs, now on the real classes: init_cfg=None became ResNet's own
    # default, whose zero_init_residual override names the property norm3 (bn3).
    last_norm = model.get_submodule("backbone.layer1.0.bn3").weight
    assert "backbone.layer1.0.bn3.weight" in plan.writers() and not last_norm.any()

# Other backbones and heads, each a second or two: SSDVGG and Darknet map init_cfg=None
# to their own defaults as ResNet does; CSPNeXt, CSPDarknet and Swin; mmcv's
# MultiScaleDeformableAttention (an mmcv.ops module) in Deformable DETR.
MORE_DETECTORS = {
    "ssd300": "ssd/ssd300_coco.py",
    "yolov3": "yolo/yolov3_d53_8xb8-320-273e_coco.py",
    "rtmdet-tiny": "rtmdet/rtmdet_tiny_8xb32-300e_coco.py",
    "yolox-s": "yolox/yolox_s_8xb8-300e_coco.py",
    "centernet-r18": "centernet/centernet_r18_8xb16-crop512-140e_coco.py",
    "mask-rcnn-swin-t": "swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py",
    "deformable-detr": "deformable_detr/deformable-detr_r50_16xb2-50e_coco.py",
}


@pytest.mark.slow
@pytest.mark.parametrize("relative", MORE_DETECTORS.values(), ids=MORE_DETECTORS.keys())
def test_more_detectors_planned_on_meta_and_bit_exact(relative: str, tmp_path: Path) -> None:
    import_mmdet()
    assert_bit_exact(from_scratch(relative, tmp_path))


@pytest.mark.slow
def test_shipped_config_plans_the_pretrained_backbone_without_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped RetinaNet config as it is, through the CLI: the backbone's Pretrained
    entry (``torchvision://resnet50``) is planned as an uninspected load, nothing is
    downloaded, and the rest of the plan is printed (exit 0)."""
    import_mmdet()
    hub = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(hub))  # an empty hub cache: nothing is cached
    config = mmdet_config(DETECTORS["retinanet"])
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 0, result.output
    assert "loads torchvision://resnet50 (not inspected)" in result.output
    stem = next(line for line in result.output.splitlines() if line.startswith("backbone.conv1"))
    assert "_base_/models/retinanet_r50_fpn.py:" in stem  # the config line, not ResNet's
    assert "bbox_head.retina_cls" in result.output  # the head's bias_prob Normal init
    assert not hub.exists() or not any(hub.rglob("*")), "planning downloaded something"

    tree = load_config(config)
    meta_model = build_registry_model(tree)
    plan = compile_init_plan(tree, meta_model, built_from_config=True, download=False)
    assert not plan.errors, [d.message for d in plan.errors]
    loads = [step for step in plan.steps if step.load is not None]
    assert [(s.target, s.load.checkpoint, s.load.uninspected) for s in loads if s.load] == [
        ("backbone", "torchvision://resnet50", True)
    ]


def test_the_set_up_imports_mmdet_and_compiled_ops_raise_when_called() -> None:
    """The set-up is honest: the real mmdet 3.3.0 beside mmcv-lite 2.1.0, and a compiled
    op that anything calls raises instead of returning a made-up result."""
    import mmcv

    mmdet = import_mmdet()
    from mmcv.ops import nms
    from mmdet.registry import MODELS

    assert (mmdet.__version__, mmcv.__version__) == ("3.3.0", "2.1.0")
    assert MODELS.get("RetinaNet") is not None and MODELS.get("MaskRCNN") is not None
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(RuntimeError, match="compiled mmcv op nms is not available"):
        nms(boxes, torch.tensor([1.0]), 0.5)


@pytest.mark.slow
def test_dcn_detector_param_groups_match_mmengine(tmp_path: Path) -> None:
    """dcn_offset_lr_mult on mmcv's real DeformConv2dPack (importable through the set-up):
    MMEngine's constructor and initcfg's groups agree on every parameter."""
    import_mmdet()
    config = from_scratch(DETECTORS["dcn-faster-rcnn"], tmp_path)
    model = build_mmdet(model_section(config))
    offsets = [name for name, _ in model.named_parameters() if ".conv_offset." in name]
    assert len(offsets) == 26, offsets  # weight and bias of 13 deformable convs
    paramwise = dict(dcn_offset_lr_mult=0.1, bias_lr_mult=2.0, norm_decay_mult=0.0)
    sgd = dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4)
    assert_same_groups(model, sgd, paramwise)
    # The rule this is about did apply (MMEngine skips it when it finds no mmcv ops).
    groups = mmengine_groups(model, sgd, paramwise)
    named = dict(model.named_parameters())
    assert [groups[id(named[name])]["lr"] for name in offsets] == [pytest.approx(0.002)] * 26
