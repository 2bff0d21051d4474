"""Resume: an interrupted run, resumed, ends bit-identical to an uninterrupted one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from test_train_helpers import shapes_config, single_thread  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, TrainResult, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


def _run(config: dict[str, Any], work_dir: Path, **extra: Any) -> TrainResult:
    options = TrainOptions(work_dir=work_dir, progress=False, **extra)
    return train(tree_from_mapping(config), options)


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert torch.equal(state_a[key], state_b[key]), key


def _train_records(work_dir: Path) -> list[dict[str, Any]]:
    lines = (work_dir / "train_log.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return [{k: v for k, v in r.items() if k != "time"} for r in records]


def test_resume_after_epoch_2_is_bit_identical(tmp_path: Path) -> None:
    # Accumulation over 3 iterations crosses epoch boundaries (4 iterations an epoch),
    # and the clip, momentum and lr warm-up all carry state across the interruption.
    config = shapes_config(
        optim_wrapper={
            "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-4},
            "clip_grad": {"max_norm": 1.0},
            "accumulative_counts": 3,
        },
        default_hooks={"checkpoint": {"interval": 1, "max_keep_ckpts": 2}},
    )
    full = _run(config, tmp_path / "full")

    first = _run(config, tmp_path / "parts", stop_after=2)
    assert first.interrupted and first.epoch == 2
    assert first.last_checkpoint is not None and first.last_checkpoint.name == "epoch_2.pth"
    resumed = _run(config, tmp_path / "parts", resume=True)
    assert not resumed.interrupted and resumed.epoch == 4 and resumed.iteration == 16

    _assert_same_weights(full.model, resumed.model)
    assert resumed.val_history == full.val_history
    assert _train_records(tmp_path / "parts") == _train_records(tmp_path / "full")
    # max_keep_ckpts=2 holds across the two processes of the interrupted run.
    kept = sorted(p.name for p in (tmp_path / "parts").glob("*.pth"))
    assert kept == ["epoch_3.pth", "epoch_4.pth"]


def test_resume_mid_epoch_iteration_loop(tmp_path: Path) -> None:
    # Iteration-based: stop after 6 iterations, in the middle of the second pass over
    # the data (4 batches each), with gradients accumulated but not yet applied.
    config = shapes_config(
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": 14, "val_interval": 5},
        optim_wrapper={
            "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9},
            "accumulative_counts": 4,
        },
        param_scheduler=[
            {"type": "LinearLR", "start_factor": 0.2, "by_epoch": False, "begin": 0, "end": 5}
        ],
        default_hooks={"checkpoint": {"interval": 5, "by_epoch": False}},
    )
    full = _run(config, tmp_path / "full")
    assert full.iteration == 14
    assert [v["iter"] for v in full.val_history] == [5, 10, 14]

    first = _run(config, tmp_path / "parts", stop_after=6)
    assert first.interrupted and first.iteration == 6
    assert first.last_checkpoint is not None and first.last_checkpoint.name == "interrupted.pth"
    resumed = _run(config, tmp_path / "parts", resume=True)
    assert resumed.iteration == 14
    _assert_same_weights(full.model, resumed.model)
    assert _train_records(tmp_path / "parts") == _train_records(tmp_path / "full")
    assert not (tmp_path / "parts" / "interrupted.pth").exists()


def test_checkpoint_interval_counts_from_save_begin(tmp_path: Path) -> None:
    # MMEngine's CheckpointHook saves when (epoch - save_begin) is a multiple of the
    # interval: 3 and 5 here, then the last. The loop ignored save_begin (2, 4, 6).
    config = shapes_config(
        size=16, max_epochs=6,
        default_hooks={"checkpoint": {"interval": 2, "save_begin": 3}},
    )
    _run(config, tmp_path)
    names = sorted(p.name for p in tmp_path.glob("*.pth"))
    assert names == ["epoch_3.pth", "epoch_5.pth", "epoch_6.pth"]


def test_checkpoint_interval_and_save_last(tmp_path: Path) -> None:
    config = shapes_config(
        max_epochs=5, default_hooks={"checkpoint": {"interval": 2, "max_keep_ckpts": -1}}
    )
    result = _run(config, tmp_path)
    names = sorted(p.name for p in tmp_path.glob("*.pth"))
    assert names == ["epoch_2.pth", "epoch_4.pth", "epoch_5.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "epoch_5.pth"
    saved = torch.load(tmp_path / "epoch_5.pth", weights_only=True)
    assert saved["meta"]["epoch"] == 5
    for key, value in result.model.state_dict().items():
        assert torch.equal(saved["state_dict"][key], value)


def test_a_run_without_a_seed_resumes_with_the_seed_it_drew(tmp_path: Path) -> None:
    # Without randomness.seed the run draws one and saves it in the checkpoint's meta.
    # The resume drew a new one, so the epochs after it were shuffled in another order
    # than the interrupted run's: not the run it continues.
    config = shapes_config(size=32, max_epochs=3, randomness={})
    _run(config, tmp_path / "parts", stop_after=1)
    drawn = torch.load(tmp_path / "parts" / "epoch_1.pth", weights_only=True)["meta"]["seed"]
    resumed = _run(config, tmp_path / "parts", resume=True)
    whole = _run(shapes_config(size=32, max_epochs=3, randomness={"seed": drawn}),
                 tmp_path / "whole")
    _assert_same_weights(resumed.model, whole.model)
