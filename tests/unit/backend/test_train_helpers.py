"""Configs for the train-loop tests: the shapes example, shrunk to run in about a second."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    # The configs name `examples.shapes.*` factories, importable from the repo root.
    sys.path.insert(0, str(REPO))

PRETRAIN = ("circle", "square", "triangle", "cross")
FINETUNE = ("ring", "frame", "chevron")


def shapes_config(
    *,
    classes: tuple[str, ...] = PRETRAIN,
    size: int = 64,
    val_size: int = 64,
    batch_size: int = 16,
    max_epochs: int = 4,
    norm: bool = True,
    lr: float = 0.05,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete epoch-based config for the shapes model; ``overrides`` replace keys."""
    config: dict[str, Any] = {
        "model": {
            "type": "examples.shapes.model:build_model",
            "backbone": {
                "channels": [8, 16],
                "norm": norm,
                "init_cfg": [{"type": "Kaiming", "layer": "Conv2d", "nonlinearity": "relu"}],
            },
            "neck": {},
            "head": {
                "num_classes": len(classes),
                "init_cfg": {"type": "Normal", "layer": "Linear", "std": 0.01},
            },
        },
        "train_dataloader": {
            "batch_size": batch_size,
            "num_workers": 0,
            "sampler": {"type": "DefaultSampler", "shuffle": True},
            "dataset": {
                "type": "examples.shapes.data:ShapesDataset",
                "split": "train",
                "classes": list(classes),
                "size": size,
            },
        },
        "val_dataloader": {
            "batch_size": 64,
            "dataset": {
                "type": "examples.shapes.data:ShapesDataset",
                "split": "val",
                "classes": list(classes),
                "size": val_size,
            },
        },
        "val_evaluator": {"type": "examples.shapes.metric:Accuracy"},
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs},
        "optim_wrapper": {
            "optimizer": {"type": "SGD", "lr": lr, "momentum": 0.9, "weight_decay": 1e-4},
        },
        "param_scheduler": [
            {"type": "LinearLR", "start_factor": 0.2, "by_epoch": False, "begin": 0, "end": 5},
            {"type": "MultiStepLR", "by_epoch": True, "milestones": [3], "gamma": 0.1},
        ],
        "default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 1}},
        "randomness": {"seed": 3},
    }
    for key, value in overrides.items():
        config[key] = copy.deepcopy(value)
    return config


def single_thread() -> Iterator[None]:
    """Body of the test modules' autouse fixture: torch on one thread.

    On a busy 2-core machine torch's thread pool mostly waits for the cores; one thread
    is several times faster. It also fixes the float reduction order, so a run in this
    process and one in a subprocess started with ``OMP_NUM_THREADS=1`` agree bit for bit.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
