"""Generated differential: initcfg's own loop against MMEngine 0.10.7's ``Runner``.

Hypothesis draws a whole fine-tune (epoch or iteration loop, dataset and batch sizes
that do not divide, ``drop_last``, ``accumulative_counts``, ``clip_grad``, optimizers
with ``paramwise_cfg``, ``param_scheduler`` lists, ``auto_scale_lr``, validation and
checkpoint settings) and runs it twice on the same tiny model, data and initial
weights: with ``initcfg.backend.torch.train`` and with ``mmengine.runner.Runner``
itself. The final weights, the lr of every iteration, the iterations validation ran
at and the checkpoint files left must agree. A config MMEngine refuses must be refused
by initcfg too, with a ``TrainError`` (a diagnostic, not a traceback).

``INITCFG_FUZZ_EXAMPLES`` runs more examples (the suite runs a few, derandomized).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_train_helpers import single_thread  # noqa: E402
from train_fuzz_parts import mmengine_parts  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402
from initcfg.errors import TrainError  # noqa: E402

_RUNS = itertools.count()
EXAMPLES = int(os.environ.get("INITCFG_FUZZ_EXAMPLES", "12"))


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


# ---------------------------------------------------------------- drawing a case


@st.composite
def _optimizer(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([
        "SGD", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
        "ASGD", "Adadelta",
    ]))
    lr = draw(st.sampled_from([0.3, 0.1, 0.05, 0.01]))
    decay = draw(st.sampled_from([0.0, 1e-4, 0.05]))
    optimizer: dict[str, Any] = {"type": kind, "lr": lr, "weight_decay": decay}
    if kind == "SGD":
        momentum = draw(st.sampled_from([0.0, 0.9]))
        optimizer["momentum"] = momentum
        if momentum and draw(st.booleans()):
            optimizer["nesterov"] = True
        elif momentum and draw(st.booleans()):
            optimizer["dampening"] = 0.1
    elif kind in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam"):
        optimizer["lr"] = lr / 10
        if draw(st.integers(0, 4)) == 0:
            del optimizer["lr"]  # the class default
        if draw(st.booleans()):
            optimizer["betas"] = (0.8, 0.99)
        if kind in ("Adam", "AdamW") and draw(st.booleans()):
            optimizer["amsgrad"] = True
    elif kind == "RMSprop":
        optimizer["lr"] = lr / 10
        if draw(st.booleans()):
            optimizer["momentum"] = 0.5
    return optimizer


@st.composite
def _paramwise(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    cfg: dict[str, Any] = {}
    if draw(st.booleans()):
        cfg["bias_lr_mult"] = draw(st.sampled_from([2.0, 0.5]))
    if draw(st.booleans()):
        cfg["bias_decay_mult"] = draw(st.sampled_from([0.0, 2.0]))
    if draw(st.booleans()):
        cfg["norm_decay_mult"] = draw(st.sampled_from([0.0, 0.5]))
    if draw(st.booleans()):
        cfg["flat_decay_mult"] = draw(st.sampled_from([0.0, 3.0]))
    if draw(st.booleans()):
        cfg["bypass_duplicate"] = True
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(["head", "ln", "stem.weight", "mid"]),
                             min_size=1, max_size=2, unique=True))
        cfg["custom_keys"] = {
            key: {"lr_mult": draw(st.sampled_from([0.1, 3.0])),
                  **({"decay_mult": 0.0} if draw(st.booleans()) else {})}
            for key in keys
        }
    return cfg


@st.composite
def _scheduler(draw: st.DrawFn, loop: str, length: int) -> dict[str, Any]:
    """One scheduler; ``length`` is max_epochs (epoch loop) or max_iters."""
    kind = draw(st.sampled_from([
        "LinearLR", "MultiStepLR", "StepLR", "CosineAnnealingLR", "PolyLR",
        "ExponentialLR", "ConstantLR", "OneCycleLR", "CosineRestartLR",
    ]))
    # An epoch scheduler in an iteration loop is built (one step) and never stepped.
    by_epoch = draw(st.booleans()) if loop == "epoch" else draw(st.integers(0, 5)) == 0
    cfg: dict[str, Any] = {"type": kind, "by_epoch": by_epoch}
    if by_epoch and draw(st.booleans()):
        cfg["convert_to_iter_based"] = True
    span = length
    if draw(st.booleans()):
        begin = draw(st.integers(0, max(span - 1, 0)))
        cfg["begin"] = begin
        if draw(st.booleans()):
            cfg["end"] = draw(st.integers(begin + 1, span + 2))
    if kind == "LinearLR":
        cfg["start_factor"] = draw(st.sampled_from([0.1, 0.5]))
        if draw(st.booleans()):
            cfg["end_factor"] = 0.8
    elif kind == "MultiStepLR":
        cfg["milestones"] = sorted(draw(st.lists(st.integers(1, span + 1), min_size=1,
                                                 max_size=3)))
        cfg["gamma"] = 0.5
    elif kind == "StepLR":
        cfg["step_size"] = draw(st.integers(1, 3))
        cfg["gamma"] = 0.5
    elif kind == "CosineAnnealingLR":
        cfg["T_max"] = draw(st.integers(1, span + 1))
        eta = draw(st.sampled_from(["none", "eta_min", "eta_min_ratio"]))
        if eta == "eta_min":
            cfg["eta_min"] = 1e-4
        elif eta == "eta_min_ratio":
            cfg["eta_min_ratio"] = 0.2
    elif kind == "PolyLR":
        cfg["power"] = draw(st.sampled_from([1.0, 2.0]))
        cfg["eta_min"] = draw(st.sampled_from([0.0, 1e-4]))
    elif kind == "ExponentialLR":
        cfg["gamma"] = draw(st.sampled_from([0.9, 0.5]))
    elif kind == "ConstantLR":
        cfg["factor"] = draw(st.sampled_from([0.5, 0.25]))
        cfg["end"] = cfg.get("end", cfg.get("begin", 0) + draw(st.integers(1, span + 1)))
    elif kind == "CosineRestartLR":
        periods = draw(st.lists(st.integers(1, span + 1), min_size=1, max_size=3))
        cfg["periods"] = periods
        cfg["restart_weights"] = [draw(st.sampled_from([1.0, 0.5])) for _ in periods]
        if draw(st.booleans()):
            cfg["eta_min"] = 0.0
        else:
            cfg["eta_min_ratio"] = 0.1
    elif kind == "OneCycleLR":
        cfg["eta_max"] = draw(st.sampled_from([0.1, 0.05]))
        cfg["total_steps"] = draw(st.integers(1, 2 * span + 2))
        cfg["pct_start"] = draw(st.sampled_from([0.3, 0.5]))
        if draw(st.booleans()):
            cfg["anneal_strategy"] = "linear"
        if draw(st.booleans()):
            cfg["three_phase"] = True
    return cfg


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    loop = draw(st.sampled_from(["epoch", "iter"]))
    size = draw(st.integers(3, 13))
    batch = draw(st.integers(1, 5))
    drop_last = draw(st.booleans()) and size >= batch
    per_epoch = size // batch if drop_last else math.ceil(size / batch)
    length = draw(st.integers(1, 4)) if loop == "epoch" else draw(st.integers(1, 12))
    total = length * per_epoch if loop == "epoch" else length
    schedulers = draw(st.lists(_scheduler(loop, length), max_size=3))
    optim_wrapper: dict[str, Any] = {"optimizer": draw(_optimizer())}
    paramwise = draw(_paramwise())
    if paramwise is not None:
        optim_wrapper["paramwise_cfg"] = paramwise
    accumulate = draw(st.sampled_from([1, 1, 2, 3, per_epoch + 1, total + 2]))
    if accumulate > 1:
        optim_wrapper["accumulative_counts"] = accumulate
    clip = draw(st.sampled_from(["none", "norm", "value"]))
    if clip == "norm":
        optim_wrapper["clip_grad"] = {
            "max_norm": draw(st.sampled_from([0.05, 1.0])),
            "norm_type": draw(st.sampled_from([1, 2, 2.0, math.inf])),
        }
    elif clip == "value":
        optim_wrapper["clip_grad"] = {"type": "value",
                                      "clip_value": draw(st.sampled_from([0.01, 0.1]))}
    checkpoint: dict[str, Any] = {
        "type": "CheckpointHook",
        "interval": draw(st.sampled_from([-1, 1, 2, 3])),
    }
    if loop == "iter":
        checkpoint["by_epoch"] = False
    if draw(st.booleans()):
        checkpoint["save_last"] = False
    if draw(st.booleans()):
        checkpoint["max_keep_ckpts"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        checkpoint["save_begin"] = draw(st.integers(0, 4))
    train_cfg: dict[str, Any] = {
        "type": "EpochBasedTrainLoop" if loop == "epoch" else "IterBasedTrainLoop",
        ("max_epochs" if loop == "epoch" else "max_iters"): length,
        "val_begin": draw(st.integers(0, 3)),
        "val_interval": draw(st.integers(1, 4)),
    }
    if draw(st.booleans()):
        # Milestones in any order, repeated: MMEngine bisects the list as written.
        milestones = draw(st.lists(st.integers(0, length + 1), min_size=1, max_size=3))
        train_cfg["dynamic_intervals"] = [(m, draw(st.integers(1, 3))) for m in milestones]
    case: dict[str, Any] = {
        "seed": draw(st.integers(0, 2**16)),
        "size": size,
        "batch": batch,
        "drop_last": drop_last,
        "shuffle": draw(st.booleans()),
        "train_cfg": train_cfg,
        "optim_wrapper": optim_wrapper,
        "param_scheduler": schedulers,
        "scheduler_dict": draw(st.booleans()),
        "checkpoint": checkpoint,
    }
    if draw(st.booleans()):
        case["auto_scale_lr"] = {"enable": draw(st.sampled_from([True, True, False])),
                                 "base_batch_size": draw(st.sampled_from([2, 4, 16]))}
    if draw(st.integers(0, 3)) == 0:
        case["sampler_seed"] = draw(st.integers(0, 2**16))
    if draw(st.integers(0, 3)) == 0:
        case["shared"] = True
    if draw(st.integers(0, 3)) == 0:
        case["frozen"] = draw(st.sampled_from(["stem", "ln", "head"]))
    if draw(st.booleans()):
        # initcfg stops after this many epochs (iterations) and resumes: the resumed
        # run must still end where MMEngine's uninterrupted one does.
        case["stop_after"] = draw(st.integers(1, length))
    return case


# ---------------------------------------------------------------- the two runs


def _sampler(case: dict[str, Any]) -> dict[str, Any]:
    sampler = {"type": "DefaultSampler", "shuffle": case["shuffle"]}
    if case.get("sampler_seed") is not None:
        sampler["seed"] = case["sampler_seed"]
    return sampler


def _initcfg_config(case: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model": {"type": "train_fuzz_parts:build_net", "seed": case["seed"],
                  "frozen": case.get("frozen"), "shared": case.get("shared", False)},
        "train_dataloader": {
            "batch_size": case["batch"],
            "num_workers": 0,
            "drop_last": case["drop_last"],
            "sampler": _sampler(case),
            "dataset": {"type": "train_fuzz_parts:TinySet", "size": case["size"],
                        "seed": case["seed"] + 1},
        },
        "val_dataloader": {
            "batch_size": 4,
            "dataset": {"type": "train_fuzz_parts:TinySet", "size": 6, "seed": 7},
        },
        "val_evaluator": {"type": "train_fuzz_parts:Accuracy"},
        "val_cfg": {"type": "ValLoop"},
        "train_cfg": case["train_cfg"],
        "optim_wrapper": case["optim_wrapper"],
        "default_hooks": {"checkpoint": case["checkpoint"]},
        "randomness": {"seed": case["seed"]},
    }
    if len(case["param_scheduler"]) == 1 and case.get("scheduler_dict"):
        config["param_scheduler"] = case["param_scheduler"][0]  # one, not in a list
    elif case["param_scheduler"]:
        config["param_scheduler"] = case["param_scheduler"]
    if "auto_scale_lr" in case:
        config["auto_scale_lr"] = case["auto_scale_lr"]
    return config


def run_initcfg(case: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    tree = tree_from_mapping(_initcfg_config(case))
    try:
        if case.get("stop_after") is not None:
            train(tree, TrainOptions(work_dir=work_dir, progress=False, trust=True,
                                     stop_after=case["stop_after"]))
        resume = case.get("stop_after") is not None
        result = train(tree, TrainOptions(work_dir=work_dir, progress=False, trust=True,
                                          resume=resume))
    except TrainError as error:
        return {"error": str(error)}
    records = [json.loads(line) for line in (work_dir / "train_log.jsonl").read_text().splitlines()]
    return {
        "weights": {k: v.detach().clone() for k, v in result.model.state_dict().items()},
        "lrs": [r["lr"] for r in records if r["mode"] == "train"],
        "vals": [r["iter"] for r in records if r["mode"] == "val"],
        # The checkpoint of the interruption is the resume's, not MMEngine's.
        "checkpoints": sorted(p.name for p in work_dir.glob("*.pth")
                              if p.name != "interrupted.pth"),
    }


def run_mmengine(case: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    from mmengine.evaluator import Evaluator
    from mmengine.hooks import Hook
    from mmengine.logging import MMLogger
    from mmengine.runner import Runner
    from train_fuzz_parts import TinySet

    parts = mmengine_parts()
    seen: dict[str, list[Any]] = {"lrs": [], "vals": []}

    class Record(Hook):
        priority = "LOWEST"

        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            seen["lrs"].append(runner.optim_wrapper.param_groups[0]["lr"])

        def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
            seen["vals"].append(runner.iter)

    runner = Runner(
        model=parts["model"](case["seed"], frozen=case.get("frozen"),
                             shared=case.get("shared", False)),
        work_dir=str(work_dir),
        train_dataloader={
            "batch_size": case["batch"],
            "num_workers": 0,
            "drop_last": case["drop_last"],
            "sampler": _sampler(case),
            "collate_fn": {"type": "default_collate"},
            "dataset": TinySet(case["size"], case["seed"] + 1),
        },
        val_dataloader={
            "batch_size": 4,
            "sampler": {"type": "DefaultSampler", "shuffle": False},
            "collate_fn": {"type": "default_collate"},
            "dataset": TinySet(6, 7),
        },
        val_evaluator=Evaluator([parts["metric"]()]),
        val_cfg={"type": "ValLoop"},
        train_cfg=dict(case["train_cfg"]),
        optim_wrapper=json.loads(json.dumps(case["optim_wrapper"])),
        param_scheduler=(
            dict(case["param_scheduler"][0])
            if len(case["param_scheduler"]) == 1 and case.get("scheduler_dict")
            else [dict(s) for s in case["param_scheduler"]] or None
        ),
        auto_scale_lr=case.get("auto_scale_lr"),
        default_hooks={"checkpoint": dict(case["checkpoint"])},
        custom_hooks=[Record()],
        randomness={"seed": case["seed"]},
        default_scope="mmengine",
        log_level="ERROR",
        experiment_name=f"fuzz{next(_RUNS)}",
    )
    from mmengine.runner import loops

    # IterBasedTrainLoop sleeps 2 s at every pass over the data ("to prevent a
    # deadlock" between dataloader workers, of which these runs have none).
    clock = loops.time
    loops.time = types.SimpleNamespace(sleep=lambda seconds: None)  # type: ignore[assignment]
    try:
        runner.train()
    except (ValueError, AssertionError, KeyError, ZeroDivisionError, TypeError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        loops.time = clock  # type: ignore[assignment]
        # Each Runner's logger keeps its log file open: closed here, not at exit.
        logger = MMLogger.get_current_instance()
        for handler in logger.handlers:
            handler.close()
        logger.handlers.clear()
    model = runner.model
    return {
        "weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "lrs": seen["lrs"],
        "vals": seen["vals"],
        "checkpoints": sorted(p.name for p in work_dir.glob("*.pth")),
    }


def compare(case: dict[str, Any], tmp: Path) -> str:
    """Run ``case`` both ways; return what agreed (``"trained"`` or ``"refused"``)."""
    ours = run_initcfg(case, tmp / "initcfg")
    theirs = run_mmengine(case, tmp / "mmengine")
    if "error" in theirs or "error" in ours:
        assert "error" in theirs and "error" in ours, (ours.get("error"), theirs.get("error"))
        return "refused"
    assert ours["vals"] == theirs["vals"]
    assert ours["checkpoints"] == theirs["checkpoints"]
    assert ours["lrs"] == theirs["lrs"]
    expected = theirs["weights"]
    assert sorted(ours["weights"]) == sorted(expected)
    # Bit for bit: the same operations in the same order.
    differ = [key for key, value in ours["weights"].items()
              if not torch.equal(value, expected[key])]
    assert differ == []
    return "trained"


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_loop_equals_mmengine_runner(tmp_path_factory: pytest.TempPathFactory,
                                     case: dict[str, Any]) -> None:
    compare(case, tmp_path_factory.mktemp("case"))


@pytest.mark.parametrize("norm_type", [1, 2])
def test_clipping_sums_the_norm_in_mmengine_s_parameter_order(
    tmp_path: Path, norm_type: int
) -> None:
    # bias_lr_mult puts the biases in a group of their own, after the weights; MMEngine
    # has one group per parameter in model order. clip_grad_norm_ sums the norms in the
    # order it is given them, so the loop clipped by a norm rounded differently.
    case = {
        "seed": 5, "size": 12, "batch": 4, "drop_last": False, "shuffle": True,
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 3},
        "optim_wrapper": {
            "optimizer": {"type": "RMSprop", "lr": 0.01, "weight_decay": 0.0},
            "paramwise_cfg": {"bias_lr_mult": 0.5, "custom_keys": {"head": {"lr_mult": 0.1}}},
            "clip_grad": {"max_norm": 0.05, "norm_type": norm_type},
        },
        "param_scheduler": [],
        "checkpoint": {"type": "CheckpointHook", "interval": -1},
    }
    assert compare(case, tmp_path) == "trained"


def test_the_sampler_s_own_seed_orders_the_data_as_under_mmengine(tmp_path: Path) -> None:
    # MMEngine's Runner gives DefaultSampler randomness.seed only as a default: the
    # sampler's own seed orders the data. The loop shuffled by randomness.seed.
    case = {
        "seed": 5, "sampler_seed": 11, "size": 10, "batch": 3, "drop_last": False,
        "shuffle": True, "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 2},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}},
        "param_scheduler": [], "checkpoint": {"type": "CheckpointHook", "interval": -1},
    }
    assert compare(case, tmp_path) == "trained"
