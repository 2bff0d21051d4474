"""Top-1 accuracy, the evaluator the shapes configs name in ``val_evaluator``."""

from __future__ import annotations

import torch


class Accuracy:
    """Counts correct top-1 predictions over a validation pass.

    The train loop calls ``reset()``, then ``update(logits, targets)`` per batch, then
    ``compute()``, which returns ``{"accuracy": percent}``.
    """

    def __init__(self) -> None:
        self.correct = 0
        self.total = 0

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.correct += int((outputs.argmax(dim=1) == targets).sum())
        self.total += int(targets.numel())

    def compute(self) -> dict[str, float]:
        return {"accuracy": 100.0 * self.correct / max(self.total, 1)}
