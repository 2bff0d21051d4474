"""A small CNN named the OpenMMLab way: ``backbone`` → ``neck`` → ``head``.

The config's ``model`` section names :func:`build_model` and passes one dict per
part. Each part keeps the ``init_cfg`` it was given as an attribute, the duck-typed
contract initcfg reads, so the same model works with ``initcfg.init_weights`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


class Backbone(nn.Module):
    """Conv → (BatchNorm) → ReLU → max-pool stages."""

    def __init__(
        self, in_channels: int = 3, channels: Sequence[int] = (16, 32, 32), norm: bool = True
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        prev = in_channels
        for width in channels:
            layers.append(nn.Conv2d(prev, width, 3, padding=1, bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(width))
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            prev = width
        self.layers = nn.Sequential(*layers)
        self.out_channels = prev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)  # type: ignore[no-any-return]


class GlobalPoolNeck(nn.Module):
    """Global average pooling to one feature vector per image."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class LinearHead(nn.Module):
    """Classifier: a linear layer named ``fc`` (the name an ``override`` refers to)."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)  # type: ignore[no-any-return]


class ShapesNet(nn.Module):
    """Backbone, neck and head; ``forward`` returns class logits."""

    def __init__(self, backbone: Backbone, neck: nn.Module, head: LinearHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(self.backbone(x)))  # type: ignore[no-any-return]


def _split(part: Mapping[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """Constructor arguments of one part, and its ``init_cfg`` (None when absent)."""
    args = dict(part or {})
    args.pop("type", None)
    return args, args.pop("init_cfg", None)


def build_model(
    backbone: Mapping[str, Any] | None = None,
    neck: Mapping[str, Any] | None = None,
    head: Mapping[str, Any] | None = None,
    init_cfg: Any = None,
) -> ShapesNet:
    """Factory the configs name: ``model = dict(type='examples.shapes.model:build_model', ...)``.

    Args:
        backbone: ``Backbone`` arguments (``channels``, ``norm``) and its ``init_cfg``.
        neck: The neck's ``init_cfg`` (it has no parameters).
        head: ``num_classes`` and the head's ``init_cfg``.
        init_cfg: The whole model's ``init_cfg``.
    """
    b_args, b_init = _split(backbone)
    n_args, n_init = _split(neck)
    h_args, h_init = _split(head)
    net_backbone = Backbone(**b_args)
    net_neck = GlobalPoolNeck(**n_args)
    net_head = LinearHead(net_backbone.out_channels, **h_args)
    model = ShapesNet(net_backbone, net_neck, net_head)
    for module, cfg in ((net_backbone, b_init), (net_neck, n_init), (net_head, h_init)):
        if cfg is not None:
            module.init_cfg = cfg
    if init_cfg is not None:
        model.init_cfg = init_cfg
    return model
