"""Loop semantics: when validation runs (val_begin, val_interval, dynamic_intervals)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from test_train_helpers import shapes_config, single_thread  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.backend.torch.train_settings import LoopSettings  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


def _mmengine_val_points(
    total: int, begin: int, interval: int, dynamic: list[tuple[int, int]] | None
) -> list[int]:
    """Where MMEngine 0.10.7's loops validate, from its own interval helper."""
    from mmengine.runner.utils import calc_dynamic_intervals

    milestones, intervals = calc_dynamic_intervals(interval, dynamic)
    points = []
    for count in range(1, total + 1):
        current = intervals[bisect.bisect(milestones, count + 1) - 1]
        if count >= begin and (count % current == 0 or count == total):
            points.append(count)
    return points


@pytest.mark.parametrize(
    ("begin", "interval", "dynamic"),
    [(1, 1, None), (2, 2, None), (1, 3, None), (1, 2, [(3, 1)]), (2, 4, [(2, 2), (5, 1)])],
)
def test_epoch_validation_points_match_mmengine(
    tmp_path: Path, begin: int, interval: int, dynamic: list[tuple[int, int]] | None
) -> None:
    pytest.importorskip("mmengine")
    train_cfg: dict[str, Any] = {
        "type": "EpochBasedTrainLoop", "max_epochs": 6, "val_begin": begin,
        "val_interval": interval,
    }
    if dynamic is not None:
        train_cfg["dynamic_intervals"] = dynamic
    config = shapes_config(size=16, val_size=16, train_cfg=train_cfg)
    result = train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    done = [v["epoch"] for v in result.val_history]
    assert done == _mmengine_val_points(6, begin, interval, dynamic)


def test_iteration_loop_validates_by_iteration(tmp_path: Path) -> None:
    config = shapes_config(
        size=32,
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": 7, "val_begin": 3, "val_interval": 2},
        default_hooks={"checkpoint": {"interval": 3, "by_epoch": False}},
    )
    result = train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    assert [v["iter"] for v in result.val_history] == [4, 6, 7]
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == [
        "iter_3.pth", "iter_6.pth", "iter_7.pth"
    ]
    # 32 samples in batches of 16: the loop went through the data 3.5 times.
    assert result.epoch == 3 and result.iteration == 7


def test_interval_after_uses_the_last_milestone_reached() -> None:
    loop = LoopSettings(by_epoch=True, max_epochs=10, val_interval=4,
                        dynamic_intervals=((3, 2), (6, 1)))
    assert [loop.interval_after(n) for n in range(1, 8)] == [4, 2, 2, 2, 1, 1, 1]


@pytest.mark.parametrize("by_epoch", [True, False])
def test_interval_after_bisects_milestones_out_of_order_as_mmengine(by_epoch: bool) -> None:
    # MMEngine bisects [0, 4, 2]: before milestone 4 it never reaches the (2, 2) pair.
    # The loop took the last pair reached in list order, and validated from 2 on.
    from mmengine.runner.loops import EpochBasedTrainLoop, IterBasedTrainLoop
    from mmengine.runner.utils import calc_dynamic_intervals

    pairs = [(4, 3), (2, 2)]
    loop = LoopSettings(by_epoch=by_epoch, max_epochs=8, max_iters=8, val_interval=1,
                        dynamic_intervals=tuple(pairs))
    milestones, intervals = calc_dynamic_intervals(1, pairs)
    theirs = []
    for done in range(8):
        # MMEngine's own method, on the attributes it reads (the count done so far).
        state = type("State", (), {})()
        state.dynamic_milestones, state.dynamic_intervals = milestones, intervals
        state.epoch = state._iter = done
        mmengine_loop = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop
        mmengine_loop._decide_current_val_interval(state)  # type: ignore[arg-type]
        theirs.append(state.val_interval)
    assert [loop.interval_after(n) for n in range(8)] == theirs == [1, 1, 1, 2, 2, 2, 2, 2]


@pytest.mark.parametrize(
    "scheduler",
    [
        {"type": "CosineAnnealingMomentum", "T_max": 2, "eta_min": 0.5},
        {"type": "ReduceOnPlateauLR", "monitor": "accuracy", "rule": "greater"},
        {"type": "LinearParamScheduler", "param_name": "lr", "start_factor": 0.5},
    ],
    ids=lambda s: s["type"],
)
def test_a_scheduler_the_table_leaves_out_is_refused(tmp_path: Path, scheduler: Any) -> None:
    # MMEngine would step it; the loop follows the lr table only, so it would not.
    from initcfg.errors import TrainError

    config = shapes_config(size=16, val_size=16, param_scheduler=[scheduler])
    with pytest.raises(TrainError, match=f"{scheduler['type']} is left out") as raised:
        train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    assert "MMEngine's Runner" in str(raised.value.hint)
    assert not list(tmp_path.glob("*.pth"))


def test_ic464_s_explanation_says_train_refuses_every_scheduler_left_out() -> None:
    # The refusal above covers momentum schedulers too; the explanation said only "one
    # that changes the lr ... initcfg train refuses such a config", after telling that
    # momentum and weight-decay schedulers do not change it.
    from initcfg.diagnostics import get_rule

    rule = get_rule("IC464")
    assert rule is not None
    assert "refuses every scheduler the table leaves out" in rule.why
    assert "momentum or weight-decay one too" in rule.why


def test_the_refused_scheduler_is_named_at_its_config_line(tmp_path: Path) -> None:
    # 89a25f6 gives every plan error that stops a run its file:line and key; the refusal
    # of a scheduler the table leaves out (d583ea0, merged beside it) had neither.
    import json

    from initcfg import load_config
    from initcfg.errors import TrainError

    config = shapes_config(size=16, val_size=16, param_scheduler=[
        {"type": "LinearLR", "start_factor": 0.5, "end": 1},
        {"type": "CosineAnnealingMomentum", "T_max": 2, "eta_min": 0.5},
    ])
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=1))
    tree = load_config(path)
    with pytest.raises(TrainError) as raised:
        train(tree, TrainOptions(work_dir=tmp_path / "wd", progress=False))
    location = tree.location(("param_scheduler", 1))
    assert location is not None
    assert (f"{path}:{location.line}:{location.column}: IC464 CosineAnnealingMomentum is "
            "left out of the learning-rate table (param_scheduler[1])") in raised.value.message


def test_save_best_is_said_to_be_unsupported_and_keeps_no_best_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # initcfg's own loop keeps periodic and last checkpoints only: a save_best that
    # silently kept nothing would leave a script looking for best_*.pth empty-handed.
    config = shapes_config(
        size=16, val_size=16, max_epochs=1,
        default_hooks={"checkpoint": {"interval": 1, "save_best": "auto"}},
    )
    train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    out = capsys.readouterr()
    assert "save_best is not implemented by initcfg train" in out.out + out.err
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == ["epoch_1.pth"]


@pytest.mark.parametrize("sampler", ["InfiniteSampler", "mmpretrain.RepeatAugSampler"])
def test_a_sampler_the_loop_does_not_implement_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sampler: str
) -> None:
    # MMEngine's InfiniteSampler draws one endless stream from a generator seeded once;
    # the loop orders every pass as DefaultSampler does. It trained on in silence.
    config = shapes_config(
        size=16, val_size=16,
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": 2, "val_interval": 2},
        param_scheduler=[],
    )
    config["train_dataloader"]["sampler"] = {"type": sampler, "shuffle": True}
    train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    out = capsys.readouterr()
    assert f"train_dataloader.sampler {sampler} is not implemented by initcfg train" in (
        out.out + out.err
    )


def test_default_sampler_is_not_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shapes_config(size=16, val_size=16, max_epochs=1)
    config["train_dataloader"]["sampler"]["type"] = "mmengine.DefaultSampler"
    train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
    out = capsys.readouterr()
    assert "not implemented" not in out.out + out.err
