"""A small classifier, dataset and probe hook registered in MMEngine's registries.

Configs name them by type (``ToyClassifier``, ``ToyDataset``) as OpenMMLab configs do;
``custom_imports = dict(imports=['mmengine_toy'])`` registers them.
"""

from __future__ import annotations

from typing import Any

import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel, BaseModule
from mmengine.registry import DATASETS, HOOKS, MODELS
from torch import nn
from torch.utils.data import Dataset

from openmmlab import make_torchvision_importable

# MMEngine's Runner imports torchvision while it logs the environment; the test extras'
# torchvision needs the set-up tests/openmmlab.py explains before that import. Configs
# import this module (custom_imports) before the Runner is built, in every process.
make_torchvision_importable()

# state dicts the probe saw, by the probe's ``name``
SEEN: dict[str, dict[str, torch.Tensor]] = {}


@MODELS.register_module(force=True)
class ToyBackbone(BaseModule):
    def __init__(self, width: int = 8, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x)).relu().mean((2, 3))


@MODELS.register_module(force=True)
class ToyHead(BaseModule):
    def __init__(self, width: int = 8, num_classes: int = 3, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


@MODELS.register_module(force=True)
class ToyClassifier(BaseModel):
    def __init__(self, backbone: dict, head: dict, init_cfg: Any = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        batch = torch.stack(inputs) if isinstance(inputs, list) else inputs
        logits = self.head(self.backbone(batch))
        if mode == "loss":
            target = torch.stack(labels) if isinstance(labels, list) else labels
            return {"loss": nn.functional.cross_entropy(logits, target)}
        return logits


@DATASETS.register_module(force=True)
class ToyDataset(Dataset):
    def __init__(self, size: int = 8, num_classes: int = 3, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(size, 3, 8, 8, generator=generator)
        self.y = torch.randint(0, num_classes, (size,), generator=generator)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[index], "labels": self.y[index]}


@HOOKS.register_module(force=True)
class WeightProbe(Hook):
    """Copies the model's state dict just before the first iteration (after
    ``init_weights`` and ``load_from``) into :data:`SEEN`."""

    priority = "LOWEST"

    def __init__(self, name: str) -> None:
        self.name = name

    def before_train(self, runner: Any) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        SEEN[self.name] = {k: v.detach().clone() for k, v in model.state_dict().items()}


def toy_config(work_dir: str, **changes: Any) -> dict[str, Any]:
    """A complete training config for the toy classifier; ``changes`` replace sections."""
    config: dict[str, Any] = {
        "custom_imports": {"imports": ["mmengine_toy"], "allow_failed_imports": False},
        "model": {
            "type": "ToyClassifier",
            "backbone": {
                "type": "ToyBackbone",
                "init_cfg": {"type": "Kaiming", "layer": "Conv2d"},
            },
            "head": {
                "type": "ToyHead",
                "num_classes": 3,
                "init_cfg": {"type": "Normal", "layer": "Linear", "std": 0.01},
            },
        },
        "train_dataloader": {
            "batch_size": 4,
            "num_workers": 0,
            "dataset": {"type": "ToyDataset", "size": 8},
            "sampler": {"type": "DefaultSampler", "shuffle": True},
            "collate_fn": {"type": "default_collate"},
        },
        "train_cfg": {"by_epoch": True, "max_epochs": 1},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        "default_hooks": {
            "logger": {"type": "LoggerHook", "interval": 1},
            "checkpoint": {"type": "CheckpointHook", "interval": 1},
        },
        "randomness": {"seed": 0},
        "work_dir": work_dir,
        "env_cfg": {"dist_cfg": {"backend": "gloo"}},
    }
    config.update(changes)
    return config
