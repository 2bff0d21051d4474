"""Differential: which checkpoints MMEngine 0.10.7's Runner writes when the CheckpointHook
counts epochs and the loop counts iterations, against what IC327 says it writes, and when
a hook without save_last saves none at all (IC341)."""

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

MAX_ITERS = 6


ITERATION_RUN = {"type": "IterBasedTrainLoop", "max_iters": MAX_ITERS}


def mmengine_checkpoints(
    work_dir: Path, checkpoint: dict[str, Any], train_cfg: dict[str, Any] = ITERATION_RUN
) -> list[str]:
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(4)], batch_size=1)
    runner = Runner(
        model=Toy(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=dict(train_cfg),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", **checkpoint), logger=None),
        log_level="ERROR",
        default_scope=None,
        experiment_name=f"ckpt-{uuid.uuid4().hex}",
    )
    runner.train()
    del runner
    return sorted(path.name for path in work_dir.glob("*.pth"))


def initcfg_finding(
    checkpoint: dict[str, Any], train_cfg: dict[str, Any] = ITERATION_RUN
) -> list[tuple[str, str]]:
    config = {
        "model": {"type": "Toy"},
        "train_cfg": dict(train_cfg),
        "default_hooks": {"checkpoint": {"type": "CheckpointHook", **checkpoint}},
    }
    return [(d.code, d.message) for d in initcfg.validate(config)]


@pytest.mark.parametrize(
    ("checkpoint", "written", "says"),
    [
        # Every 2 "epochs" by default: the one epoch ends after iteration 6, saved as last.
        (dict(interval=2), ["epoch_1.pth"], "saves only after the last iteration"),
        (dict(interval=1, by_epoch=True), ["epoch_1.pth"], "saves only after the last"),
        (dict(interval=2, save_last=False), [], "never saves one"),
        # save_begin counts from the epoch's end too: the one epoch is 1, so save_begin
        # 2 skips it and save_begin 1 saves it whatever the interval.
        (dict(interval=1, save_last=False, save_begin=2), [], "never saves one"),
        (dict(interval=3, save_last=False, save_begin=1), ["epoch_1.pth"],
         "saves only after the last iteration"),
        # By iteration: every 2 iterations, as asked; nothing to report.
        (dict(interval=2, by_epoch=False), ["iter_2.pth", "iter_4.pth", "iter_6.pth"], None),
    ],
)
def test_an_epoch_checkpoint_hook_in_an_iteration_run_saves_what_ic327_says(
    tmp_path: Path, checkpoint: dict[str, Any], written: list[str], says: str | None
) -> None:
    assert mmengine_checkpoints(tmp_path, checkpoint) == written
    found = initcfg_finding(checkpoint)
    if says is None:
        assert found == []
    else:
        [(code, message)] = found
        assert code == "IC327" and says in message


EPOCH_RUN = {"type": "EpochBasedTrainLoop", "max_epochs": 3}


@pytest.mark.parametrize(
    ("train_cfg", "checkpoint", "written"),
    [
        (EPOCH_RUN, dict(interval=5, save_last=False), []),
        (EPOCH_RUN, dict(save_last=False), []),  # interval -1: no periodic save
        (EPOCH_RUN, dict(interval=5, save_last=False, save_begin=3), ["epoch_3.pth"]),
        (EPOCH_RUN, dict(interval=5, save_last=False, save_begin=4), []),
        (EPOCH_RUN, dict(interval=3, save_last=False), ["epoch_3.pth"]),
        (EPOCH_RUN, dict(interval=5), ["epoch_3.pth"]),  # the last, as save_last asks
        (ITERATION_RUN, dict(interval=7, by_epoch=False, save_last=False), []),
        (ITERATION_RUN, dict(interval=4, by_epoch=False, save_last=False), ["iter_4.pth"]),
    ],
)
def test_a_hook_without_save_last_saves_nothing_exactly_where_ic341_says(
    tmp_path: Path, train_cfg: dict[str, Any], checkpoint: dict[str, Any], written: list[str]
) -> None:
    assert mmengine_checkpoints(tmp_path, checkpoint, train_cfg) == written
    found = [code for code, _ in initcfg_finding(checkpoint, train_cfg)]
    assert found == ([] if written else ["IC341"])
