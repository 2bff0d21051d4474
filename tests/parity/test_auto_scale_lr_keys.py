"""Differential: the keys of ``auto_scale_lr`` MMEngine 0.10.7's Runner reads, run in a
real Runner beside what initcfg validate says of the same dict (IC337 for the others)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.runner import Runner  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import initcfg  # noqa: E402
from runner_toy import Toy  # noqa: E402

logging.getLogger("mmengine").setLevel(logging.ERROR)

LR = 0.01
BATCH = 4


def _trained_lr(work_dir: Path, auto_scale_lr: dict[str, Any]) -> float:
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(BATCH)], batch_size=BATCH)
    runner = Runner(
        model=Toy(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=LR)),
        auto_scale_lr=auto_scale_lr,
        default_hooks=dict(checkpoint=None, logger=None),
        log_level="ERROR",
        default_scope=None,
        experiment_name=f"scale-{uuid.uuid4().hex}",
    )
    runner.train()
    return float(runner.optim_wrapper.optimizer.param_groups[0]["lr"])


def _findings(auto_scale_lr: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    config = {"optim_wrapper": {"optimizer": {"type": "SGD", "lr": LR}},
              "auto_scale_lr": auto_scale_lr}
    return [(d.code, d.path, d.hint) for d in initcfg.validate(config) if d.code != "IC318"]


@pytest.mark.parametrize(
    ("auto_scale_lr", "scaled", "found"),
    [
        # A misspelt switch: the lr stays as written.
        ({"enabled": True, "base_batch_size": 1}, False,
         [("IC337", "auto_scale_lr.enabled", "did you mean 'enable'?")]),
        ({"enable": True, "base_batch_size": 1, "base_lr": 0.1}, True,
         [("IC337", "auto_scale_lr.base_lr", None)]),
        ({"enable": True, "base_batch_size": 1}, True, []),
        ({"base_batch_size": 1}, False, []),  # MMPretrain's: tools/train.py turns it on
    ],
)
def test_only_enable_and_base_batch_size_are_read(
    tmp_path: Path, auto_scale_lr: dict[str, Any], scaled: bool, found: list[Any]
) -> None:
    assert _trained_lr(tmp_path, auto_scale_lr) == pytest.approx(LR * BATCH if scaled else LR)
    assert _findings(auto_scale_lr) == found
