"""Models the golden init-plan files are made from (their line numbers are in the files).

Keep this file's lines stable: a traced write records the line of model code that made it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cls = nn.Linear(8, 3)
        self.reg = nn.Linear(8, 4)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.init_cfg: Any = dict(type="Kaiming", layer="Conv2d")
        self.stem = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.head = Head()


class Backbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.fc = nn.Linear(4, 2)


class Detector(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = Backbone()
        self.neck = nn.Linear(2, 2)


class Own(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.token = nn.Parameter(torch.zeros(1, 4))

    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight, std=0.02)
        self.fc.bias.data.zero_()
        self.token.data.normal_(std=0.5)


class Traced(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.init_cfg = dict(type="Constant", layer="LayerNorm", val=2)
        self.norm = nn.LayerNorm(4)
        self.inner = Own()
