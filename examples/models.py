"""A small plain-torch detector whose module names mirror MMDetection's Faster R-CNN.

Nothing here imports MMEngine or MMDetection: the modules are plain ``nn.Module``\\ s that
set ``self.init_cfg`` with MMDetection's defaults, which initcfg treats as BaseModules.
The names match MMDetection's, so an MMDetection config's ``model`` section applies:

    backbone            ResNet-like: conv1, bn1, layer1..layer2 (Bottlenecks)
    neck                FPN: lateral_convs, fpn_convs (plain nn.ModuleList of ConvModule)
    rpn_head            rpn_conv, rpn_cls, rpn_reg
    roi_head.bbox_head  shared_fcs, fc_cls, fc_reg

``neck.fpn_convs`` is a plain ``nn.ModuleList`` holding modules with an ``init_cfg``:
MMEngine never reaches them, and ``initcfg plan`` says so.

Usage::

    initcfg plan examples/plan/faster_rcnn.yaml --model examples.models:build_detector
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


class ConvModule(nn.Module):
    """Conv + optional BatchNorm, as mmcv's ConvModule names them (``conv``, ``bn``)."""

    def __init__(
        self, cin: int, cout: int, kernel: int, *, norm: bool = False, init_cfg: Any = None
    ) -> None:
        super().__init__()
        self.init_cfg = init_cfg
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=not norm)
        self.bn = nn.BatchNorm2d(cout) if norm else None


class Bottleneck(nn.Module):
    def __init__(self, cin: int, mid: int, stride: int = 1) -> None:
        super().__init__()
        cout = mid * 4
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else None
        )


class ResNet(nn.Module):
    """Two stages of Bottlenecks; MMDetection's ResNet default init_cfg."""

    def __init__(self, width: int = 8, init_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = init_cfg or [
            dict(type="Kaiming", layer="Conv2d"),
            dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
        ]
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = nn.Sequential(Bottleneck(width, width), Bottleneck(width * 4, width))
        self.layer2 = nn.Sequential(Bottleneck(width * 4, width * 2, stride=2))
        self.out_channels = (width * 4, width * 8)


class FPN(nn.Module):
    """FPN with MMDetection's default Xavier init; ``fpn_convs`` carry their own init_cfg
    inside a plain ``nn.ModuleList`` (never reached under MMEngine semantics)."""

    def __init__(self, in_channels: tuple[int, ...], out: int = 16) -> None:
        super().__init__()
        self.init_cfg = dict(type="Xavier", layer="Conv2d", distribution="uniform")
        self.lateral_convs = nn.ModuleList(ConvModule(c, out, 1) for c in in_channels)
        self.fpn_convs = nn.ModuleList(
            ConvModule(out, out, 3, init_cfg=dict(type="Normal", layer="Conv2d", std=0.01))
            for _ in in_channels
        )


class RPNHead(nn.Module):
    def __init__(self, channels: int = 16, anchors: int = 3) -> None:
        super().__init__()
        self.init_cfg = dict(type="Normal", layer="Conv2d", std=0.01)
        self.rpn_conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.rpn_cls = nn.Conv2d(channels, anchors, 1)
        self.rpn_reg = nn.Conv2d(channels, anchors * 4, 1)


class Shared2FCBBoxHead(nn.Module):
    """``shared_fcs`` then ``fc_cls``/``fc_reg``, with MMDetection's init_cfg."""

    def __init__(self, channels: int = 16, roi: int = 3, fc: int = 32, num_classes: int = 4):
        super().__init__()
        self.init_cfg = [
            dict(
                type="Normal",
                std=0.01,
                override=dict(name="fc_cls"),
            ),
            dict(type="Normal", std=0.001, override=dict(name="fc_reg")),
            dict(type="Xavier", distribution="uniform", override=[dict(name="shared_fcs")]),
        ]
        self.num_classes = num_classes
        self.shared_fcs = nn.ModuleList(
            [nn.Linear(channels * roi * roi, fc), nn.Linear(fc, fc)]
        )
        self.fc_cls = nn.Linear(fc, num_classes + 1)
        self.fc_reg = nn.Linear(fc, num_classes * 4)


class StandardRoIHead(nn.Module):
    def __init__(self, channels: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.init_cfg = None
        self.bbox_head = Shared2FCBBoxHead(channels, num_classes=num_classes)


class FasterRCNN(nn.Module):
    def __init__(self, num_classes: int = 4, width: int = 8) -> None:
        super().__init__()
        self.init_cfg = None
        self.backbone = ResNet(width)
        self.neck = FPN(self.backbone.out_channels)
        self.rpn_head = RPNHead()
        self.roi_head = StandardRoIHead(num_classes=num_classes)


def build_detector(model_cfg: Mapping[str, Any] | None = None) -> FasterRCNN:
    """The model factory for ``initcfg plan --model examples.models:build_detector``.

    Reads ``roi_head.bbox_head.num_classes`` from the config's ``model`` section when it
    is there; every ``init_cfg`` in the section is applied by the plan, not here.
    """
    num_classes = 4
    head = ((model_cfg or {}).get("roi_head") or {}).get("bbox_head") or {}
    if isinstance(head, Mapping) and isinstance(head.get("num_classes"), int):
        num_classes = head["num_classes"]
    return FasterRCNN(num_classes=num_classes)


def build_detector_meta(model_cfg: Mapping[str, Any] | None = None) -> FasterRCNN:
    """The same detector on the meta device: planning costs no memory."""
    with torch.device("meta"):
        return build_detector(model_cfg)


def save_backbone_checkpoint(path: str, seed: int = 0) -> None:
    """Write a detector checkpoint (``state_dict`` with ``backbone.`` keys) to ``path``;
    the example configs load the backbone from it with ``prefix: backbone``."""
    torch.manual_seed(seed)
    model = FasterRCNN()
    torch.save({"state_dict": model.state_dict(), "meta": {"epoch": 12}}, path)


if __name__ == "__main__":
    import sys

    save_backbone_checkpoint(sys.argv[1] if len(sys.argv) > 1 else "pretrained_detector.pth")
