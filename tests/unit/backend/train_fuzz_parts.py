"""A tiny model, dataset and metric for the differential loop tests: the same code runs
under initcfg's loop (a factory config) and under MMEngine's Runner (wrapped in a
``BaseModel`` whose submodules carry the same names, so parameter names, module walk
and state dict keys are identical)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

FEATURES = 5
CLASSES = 3


class TinyNet(nn.Module):
    """Linear → GroupNorm → ReLU → Linear → LayerNorm → Linear: biases and two norm
    layers for ``paramwise_cfg``'s rules to tell apart (no batch norm: a last batch of
    one sample is allowed)."""

    def __init__(
        self, seed: int = 0, width: int = 6, frozen: str | None = None, shared: bool = False
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the same initial weights in both loops
            self.stem = nn.Linear(FEATURES, width)
            self.bn = nn.GroupNorm(2, width)
            self.mid = nn.Linear(width, width)
            self.ln = nn.LayerNorm(width)
            self.head = nn.Linear(width, CLASSES)
        if frozen is not None:  # a frozen part: MMEngine leaves it out with paramwise_cfg
            getattr(self, frozen).requires_grad_(False)
        # The same module under a second name: a parameter reached twice.
        self.again = self.mid if shared else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.mid(F.relu(self.bn(self.stem(x))))
        if self.again is not None:
            hidden = self.again(hidden)
        return self.head(self.ln(hidden))  # type: ignore[no-any-return]

    def compute_loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs, targets)


def build_net(
    seed: int = 0, width: int = 6, frozen: str | None = None, shared: bool = False
) -> TinyNet:
    return TinyNet(seed, width, frozen, shared)


class TinySet(Dataset[tuple[torch.Tensor, int]]):
    """``size`` random ``(features, label)`` pairs drawn from ``seed``."""

    def __init__(self, size: int = 10, seed: int = 0) -> None:
        generator = torch.Generator()
        generator.manual_seed(seed)
        self.inputs = torch.randn(size, FEATURES, generator=generator)
        self.labels = torch.randint(0, CLASSES, (size,), generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.inputs[index], int(self.labels[index])


class Accuracy:
    """initcfg's evaluator protocol: ``reset``, ``update``, ``compute``."""

    def __init__(self) -> None:
        self.hits = self.seen = 0

    def reset(self) -> None:
        self.hits = self.seen = 0

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.hits += int((outputs.argmax(1) == targets).sum())
        self.seen += len(targets)

    def compute(self) -> dict[str, float]:
        return {"accuracy": self.hits / max(self.seen, 1)}


def mmengine_parts() -> dict[str, Any]:
    """The MMEngine side, built on demand (mmengine is a test extra): the model class
    and a metric, registered under names the Runner's config can use."""
    from mmengine.evaluator import BaseMetric
    from mmengine.model import BaseModel

    class RunnerNet(BaseModel):
        def __init__(
            self, seed: int = 0, width: int = 6, frozen: str | None = None,
            shared: bool = False,
        ) -> None:
            super().__init__()
            net = TinyNet(seed, width, frozen, shared)
            for name, child in net.named_children():
                self.add_module(name, child)
            self.again = net.again

        def forward(
            self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor"
        ) -> Any:
            hidden = self.mid(F.relu(self.bn(self.stem(inputs))))
            if self.again is not None:
                hidden = self.again(hidden)
            logits = self.head(self.ln(hidden))
            if mode == "loss":
                return {"loss": F.cross_entropy(logits, data_samples)}
            if mode == "predict":
                return [(logits, data_samples)]
            return logits

    class RunnerAccuracy(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            for logits, labels in data_samples:
                self.results.append(
                    (int((logits.argmax(1) == labels).sum()), len(labels))
                )

        def compute_metrics(self, results: list[Any]) -> dict[str, float]:
            hits = sum(h for h, _ in results)
            seen = sum(n for _, n in results)
            return {"accuracy": hits / max(seen, 1)}

    return {"model": RunnerNet, "metric": RunnerAccuracy}
