"""The smallest model MMEngine's Runner trains: one Linear layer whose loss is its output's
sum. The differential tests that compare what a Runner run does (which checkpoints it
writes, the lr it trains at, what its hooks see) with what initcfg validate says of the
same settings train it."""

from __future__ import annotations

from typing import Any

from mmengine.model import BaseModel
from torch import nn


class Toy(BaseModel):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs).sum()
        return {"loss": out} if mode == "loss" else out
