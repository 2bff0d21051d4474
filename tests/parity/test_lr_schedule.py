"""Differential: the lr table equals what MMEngine 0.10.7's Runner uses, iteration by iteration.

Each case trains a toy model with MMEngine's own Runner (its scheduler building, default
``end``, ``convert_to_iter_based`` and ParamSchedulerHook order) and records every
param group's lr right before each iteration; initcfg's table must hold the same floats.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import uuid
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.hooks import Hook  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import initcfg  # noqa: E402
from initcfg.plan.lr_schedule import SchedulerSpec, compute_lr_schedule  # noqa: E402
from initcfg.plan.param_groups import ParamwiseRules, resolve_param_groups  # noqa: E402

logging.getLogger("mmengine").setLevel(logging.ERROR)

OPTIMIZER = dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=1e-4)
# Two tracks: head parameters start at half the base rate.
PARAMWISE = dict(custom_keys={"head": dict(lr_mult=0.5)})


class Toy(BaseModel):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(2, 2)
        self.head = nn.Linear(2, 1)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        out = self.head(self.backbone(inputs)).sum()
        return {"loss": out} if mode == "loss" else out


class Recorder(Hook):  # type: ignore[misc]
    def __init__(self) -> None:
        self.rows: list[list[float]] = []

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.rows.append([g["lr"] for g in runner.optim_wrapper.optimizer.param_groups])


def mmengine_rows(schedulers: list[dict[str, Any]], train_cfg: dict[str, Any], length: int):
    recorder = Recorder()
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(length)], batch_size=1)
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner(
            model=Toy(),
            work_dir=work_dir,
            train_dataloader=loader,
            train_cfg=train_cfg,
            optim_wrapper=dict(optimizer=dict(OPTIMIZER), paramwise_cfg=PARAMWISE),
            param_scheduler=[dict(s) for s in schedulers],
            default_hooks=dict(checkpoint=None, logger=None, timer=None, sampler_seed=None),
            custom_hooks=[recorder],
            log_level="ERROR",
            default_scope=None,
            experiment_name=f"lr-{uuid.uuid4().hex}",
        )
        runner.train()
    return recorder.rows


def initcfg_rows(schedulers: list[dict[str, Any]], train_cfg: dict[str, Any], length: int):
    groups, _ = resolve_param_groups(
        Toy(), "SGD", {k: v for k, v in OPTIMIZER.items() if k != "type"},
        ParamwiseRules.from_mapping(PARAMWISE),
    )
    group_lrs = [p.lr for p in groups.params if p.in_optimizer]
    assert all(lr is not None for lr in group_lrs)
    specs = [
        SchedulerSpec.from_mapping(s, f"param_scheduler[{i}]") for i, s in enumerate(schedulers)
    ]
    by_epoch = train_cfg.get("by_epoch", True)
    schedule, diagnostics = compute_lr_schedule(
        specs,
        [OPTIMIZER["lr"], *group_lrs],  # type: ignore[list-item]
        loop="epoch" if by_epoch else "iter",
        max_epochs=train_cfg.get("max_epochs"),
        max_iters=train_cfg.get("max_iters"),
        iters_per_epoch=length,
    )
    assert schedule is not None, diagnostics
    tracks = [schedule.track_of(lr) for lr in group_lrs]  # type: ignore[arg-type]
    table = schedule.iteration_table()
    return [[row[t] for t in tracks] for row in table], schedule, diagnostics


EPOCHS = dict(by_epoch=True, max_epochs=6)
WARMUP = dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=5)

CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], int]] = [
    ("warmup by iter, multistep by epoch", [WARMUP, dict(type="MultiStepLR", milestones=[3, 5])],
     EPOCHS, 3),
    ("warmup by iter, multistep converted to iters",
     [WARMUP, dict(type="MultiStepLR", milestones=[2, 4], gamma=0.5, convert_to_iter_based=True)],
     EPOCHS, 4),
    ("warmup, cosine converted with begin and eta_min",
     [dict(WARMUP, end=4), dict(type="CosineAnnealingLR", begin=1, end=6, eta_min=1e-3,
                                convert_to_iter_based=True)], EPOCHS, 3),
    ("cosine by epoch, default end, eta_min_ratio",
     [dict(type="CosineAnnealingLR", eta_min_ratio=0.01)], EPOCHS, 2),
    ("poly by iter in an iteration loop",
     [dict(type="LinearLR", start_factor=0.1, by_epoch=False, end=4),
      dict(type="PolyLR", eta_min=1e-4, power=0.9, begin=4, end=20, by_epoch=False)],
     dict(by_epoch=False, max_iters=20), 5),
    ("one cycle by iter", [dict(type="OneCycleLR", eta_max=0.5, by_epoch=False)],
     dict(by_epoch=False, max_iters=17), 4),
    ("one cycle three phase linear, converted",
     [dict(type="OneCycleLR", eta_max=0.4, three_phase=True, anneal_strategy="linear",
           pct_start=0.25, total_steps=5, convert_to_iter_based=True)],
     dict(EPOCHS, max_epochs=5), 3),
    ("cosine restart converted, eta_min_ratio",
     [dict(type="CosineRestartLR", periods=[2, 4], restart_weights=[1.0, 0.5],
           eta_min_ratio=0.1, convert_to_iter_based=True)], EPOCHS, 3),
    ("cosine restart by iter, eta_min, beyond periods",
     [dict(type="CosineRestartLR", periods=[5, 5], restart_weights=[1.0, 0.7], eta_min=0.001,
           by_epoch=False)], dict(by_epoch=False, max_iters=14), 3),
    ("multistep milestones unordered and repeated (a Counter in MMEngine)",
     [dict(type="MultiStepLR", milestones=[5, 2, 2], gamma=0.5)], EPOCHS, 2),
    ("cosine with T_max=0 runs over end - begin",
     [dict(type="CosineAnnealingLR", T_max=0, begin=1, end=5)], EPOCHS, 2),
    ("step by epoch", [dict(type="StepLR", step_size=2, gamma=0.5)], EPOCHS, 2),
    ("exponential and constant by epoch",
     [dict(type="ConstantLR", factor=0.5, end=2), dict(type="ExponentialLR", gamma=0.8)],
     EPOCHS, 2),
    ("constant by iter then linear by epoch converted",
     [dict(type="ConstantLR", factor=0.25, by_epoch=False, end=3),
      dict(type="LinearLR", start_factor=0.2, end_factor=0.9, begin=1, end=4,
           convert_to_iter_based=True)], EPOCHS, 3),
    ("poly by epoch starting late", [dict(type="PolyLR", power=2.0, begin=2)], EPOCHS, 2),
    ("resumed by last_step after a fresh scheduler",
     [dict(type="LinearLR", start_factor=0.5, by_epoch=False, end=3),
      dict(type="StepLR", step_size=2, gamma=0.5, last_step=3)], EPOCHS, 2),
    ("multistep by epoch in an iteration loop never acts",
     [dict(type="LinearLR", start_factor=0.5, end=3),
      dict(type="MultiStepLR", milestones=[1], end=4)], dict(by_epoch=False, max_iters=9), 3),
    ("epoch schedulers without end in an iteration loop",
     [dict(type="ConstantLR", factor=0.5), dict(type="LinearLR", start_factor=0.2)],
     dict(by_epoch=False, max_iters=5), 2),
]


@pytest.mark.parametrize(("case", "schedulers", "train_cfg", "length"), CASES,
                         ids=[c[0] for c in CASES])
def test_table_matches_mmengine(
    case: str, schedulers: list[dict[str, Any]], train_cfg: dict[str, Any], length: int
) -> None:
    theirs = mmengine_rows(schedulers, train_cfg, length)
    mine, schedule, _ = initcfg_rows(schedulers, train_cfg, length)
    assert theirs and len(mine) == len(theirs)
    for index, (row_mine, row_theirs) in enumerate(zip(mine, theirs, strict=True)):
        assert row_mine == row_theirs, f"iteration {index}"
    if schedule.loop == "epoch":
        assert [row[0] for row in schedule.per_epoch] == [
            theirs[e * length][0] for e in range(train_cfg["max_epochs"])
        ]


def test_epoch_loop_in_iteration_loop_is_reported() -> None:
    case = CASES[-2]
    _, _, diagnostics = initcfg_rows(case[1], case[2], case[3])
    assert [d.code for d in diagnostics] == ["IC461", "IC461"]


def test_late_milestones_are_reported() -> None:
    _, _, diagnostics = initcfg_rows(
        [dict(type="MultiStepLR", milestones=[4, 8, 11])], EPOCHS, 2
    )
    assert [(d.code, d.path) for d in diagnostics] == [
        ("IC306", "param_scheduler[0].milestones[1]"),
        ("IC306", "param_scheduler[0].milestones[2]"),
    ]
    assert "milestone 8 is never reached" in diagnostics[0].message
    assert "milestone 11 is never reached" in diagnostics[1].message


class ParamRecorder(Hook):  # type: ignore[misc]
    def __init__(self) -> None:
        self.rows: list[dict[int, float]] = []

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        groups = runner.optim_wrapper.optimizer.param_groups
        self.rows.append({id(p): g["lr"] for g in groups for p in g["params"]})


def test_compiled_plan_matches_mmengine_per_parameter() -> None:
    """The whole path: config → compile_train_plan → build_optimizer + lrs_at."""
    from initcfg.plan.train_plan import build_optimizer, compile_train_plan

    cfg: dict[str, Any] = dict(
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=5),
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.05, momentum=0.9, weight_decay=1e-4),
            paramwise_cfg=dict(bias_lr_mult=2.0, custom_keys={"head": dict(lr_mult=0.1)}),
        ),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.01, by_epoch=False, end=4),
            dict(type="CosineAnnealingLR", begin=1, T_max=4, eta_min=1e-4,
                 convert_to_iter_based=True),
        ],
    )
    length = 3
    recorder = ParamRecorder()
    model = Toy()
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(length)], batch_size=1)
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner(
            model=model, work_dir=work_dir, train_dataloader=loader,
            train_cfg=cfg["train_cfg"], optim_wrapper=cfg["optim_wrapper"],
            param_scheduler=cfg["param_scheduler"],
            default_hooks=dict(checkpoint=None, logger=None, timer=None, sampler_seed=None),
            custom_hooks=[recorder], log_level="ERROR", default_scope=None,
            experiment_name=f"lr-{uuid.uuid4().hex}",
        )
        runner.train()
    mine_model = Toy()
    plan = compile_train_plan(cfg, mine_model, iters_per_epoch=length)
    assert plan.diagnostics == []
    optimizer = build_optimizer(plan, mine_model)
    names = dict(model.named_parameters())
    mine_names = {id(p): n for n, p in mine_model.named_parameters()}
    assert len(recorder.rows) == 15
    for iteration, theirs in enumerate(recorder.rows):
        plan.set_lrs(optimizer, iteration)
        mine = {mine_names[id(p)]: g["lr"] for g in optimizer.param_groups for p in g["params"]}
        assert mine == {n: theirs[id(p)] for n, p in names.items()}, iteration


FAILING: list[tuple[str, list[dict[str, Any]], dict[str, Any], int, type[Exception]]] = [
    ("linear warm-up from zero divides by zero",
     [dict(type="LinearLR", start_factor=0.0, by_epoch=False, end=5)], EPOCHS, 2,
     ZeroDivisionError),
    ("last_step without initial_lr",
     [dict(type="StepLR", step_size=2, last_step=3)], EPOCHS, 2, KeyError),
    ("one cycle shorter than the run",
     [dict(type="OneCycleLR", eta_max=0.1, total_steps=6, by_epoch=False)],
     dict(by_epoch=False, max_iters=10), 2, ValueError),
    ("one cycle fails on the step after the last iteration",
     [dict(type="OneCycleLR", eta_max=0.1, total_steps=7, end=20, by_epoch=False)],
     dict(by_epoch=False, max_iters=8), 2, ValueError),
]


@pytest.mark.parametrize(("case", "schedulers", "train_cfg", "length", "error"), FAILING,
                         ids=[c[0] for c in FAILING])
def test_mmengine_failures_are_errors(
    case: str,
    schedulers: list[dict[str, Any]],
    train_cfg: dict[str, Any],
    length: int,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        mmengine_rows(schedulers, train_cfg, length)
    specs = [SchedulerSpec.from_mapping(s) for s in schedulers]
    by_epoch = train_cfg.get("by_epoch", True)
    schedule, diagnostics = compute_lr_schedule(
        specs, [0.1], loop="epoch" if by_epoch else "iter",
        max_epochs=train_cfg.get("max_epochs"), max_iters=train_cfg.get("max_iters"),
        iters_per_epoch=length,
    )
    assert schedule is None
    assert [d.code for d in diagnostics] == ["IC463"]


# --- random scheduler chains, stepped on a dummy optimizer in the Runner's hook order ---

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from mmengine.registry import PARAM_SCHEDULERS  # noqa: E402


def stepped_by_hand(
    schedulers: list[dict[str, Any]], max_epochs: int, length: int
) -> list[list[float]] | Exception:
    """MMEngine's schedulers on a plain SGD, stepped as ParamSchedulerHook steps them
    under EpochBasedTrainLoop (the Runner cases above pin that order down)."""
    params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                                lr=0.1)
    built = []
    rows: list[list[float]] = []
    try:
        for cfg in schedulers:
            cfg = dict(cfg)
            cfg.setdefault("end", max_epochs if cfg.get("by_epoch", True) else max_epochs * length)
            built.append(PARAM_SCHEDULERS.build(
                cfg, default_args=dict(optimizer=optimizer, epoch_length=length)))
        for _epoch in range(max_epochs):
            for _ in range(length):
                rows.append([g["lr"] for g in optimizer.param_groups])
                optimizer.step()
                for scheduler in built:
                    if not scheduler.by_epoch:
                        scheduler.step()
            for scheduler in built:
                if scheduler.by_epoch:
                    scheduler.step()
    except Exception as error:  # MMEngine rejecting the chain is a result to compare
        return error
    return rows


FACTOR = st.sampled_from([0.0, 0.001, 0.1, 0.25, 0.5, 1.0])


@st.composite
def scheduler_dicts(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(
        ["LinearLR", "ConstantLR", "MultiStepLR", "StepLR", "ExponentialLR",
         "CosineAnnealingLR", "PolyLR", "OneCycleLR", "CosineRestartLR"])))
    cfg: dict[str, Any] = {"type": kind}
    by_epoch = draw(st.booleans())
    cfg["by_epoch"] = by_epoch
    if by_epoch and draw(st.booleans()):
        cfg["convert_to_iter_based"] = True
    if draw(st.integers(0, 5)) == 0:
        cfg["last_step"] = draw(st.integers(0, 4))
    begin = draw(st.integers(0, 3))
    if begin:
        cfg["begin"] = begin
    if draw(st.booleans()):
        cfg["end"] = begin + draw(st.integers(1, 12))
    if kind == "LinearLR":
        cfg["start_factor"] = draw(FACTOR)
        cfg["end_factor"] = draw(st.sampled_from([1.0, 0.5]))
    elif kind == "ConstantLR":
        cfg["factor"] = draw(st.sampled_from([0.1, 0.5, 1.0]))
    elif kind == "MultiStepLR":
        cfg["milestones"] = sorted(draw(st.sets(st.integers(1, 10), min_size=1, max_size=3)))
        cfg["gamma"] = draw(st.sampled_from([0.1, 0.5]))
    elif kind == "StepLR":
        cfg["step_size"] = draw(st.integers(1, 4))
    elif kind == "ExponentialLR":
        cfg["gamma"] = draw(st.sampled_from([0.5, 0.9]))
    elif kind == "CosineAnnealingLR":
        if draw(st.booleans()):
            cfg["T_max"] = draw(st.integers(1, 8))
        choice = draw(st.sampled_from(["none", "min", "ratio"]))
        if choice == "min":
            cfg["eta_min"] = 1e-3
        elif choice == "ratio":
            cfg["eta_min_ratio"] = 0.05
    elif kind == "PolyLR":
        cfg["power"] = draw(st.sampled_from([0.9, 1.0, 2.0]))
        cfg["eta_min"] = draw(st.sampled_from([0.0, 1e-4]))
    elif kind == "OneCycleLR":
        cfg["eta_max"] = draw(st.sampled_from([0.1, 0.3]))
        cfg["pct_start"] = draw(st.sampled_from([0.25, 0.3]))
        cfg["three_phase"] = draw(st.booleans())
        cfg["anneal_strategy"] = draw(st.sampled_from(["cos", "linear"]))
        if draw(st.booleans()):
            cfg["total_steps"] = draw(st.integers(2, 30))
    elif kind == "CosineRestartLR":
        periods = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
        cfg["periods"] = periods
        cfg["restart_weights"] = [draw(st.sampled_from([1.0, 0.5])) for _ in periods]
        if draw(st.booleans()):
            cfg["eta_min"] = 1e-3
        else:
            cfg["eta_min_ratio"] = 0.1
    return cfg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(scheduler_dicts(), min_size=1, max_size=3),
    st.integers(1, 6),
    st.integers(1, 4),
)
def test_random_chains_match_mmengine(
    schedulers: list[dict[str, Any]], max_epochs: int, length: int
) -> None:
    theirs = stepped_by_hand(schedulers, max_epochs, length)
    specs = [SchedulerSpec.from_mapping(s) for s in schedulers]
    schedule, diagnostics = compute_lr_schedule(
        specs, [0.1, 0.05], loop="epoch", max_epochs=max_epochs, iters_per_epoch=length
    )
    if isinstance(theirs, Exception):
        event("mmengine raised")
        assert schedule is None, f"MMEngine raised {theirs!r}"
        assert "IC463" in [d.code for d in diagnostics]
        return
    assert schedule is not None, diagnostics
    assert schedule.iteration_table() == theirs


BEGINS_AT_THE_RUNNER_S_END: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("epoch scheduler at max_epochs", dict(type="ConstantLR", factor=0.5, begin=6), EPOCHS),
    ("converted scheduler after max_epochs",
     dict(type="CosineAnnealingLR", begin=7, convert_to_iter_based=True), EPOCHS),
    ("iteration scheduler at max_iters",
     dict(type="PolyLR", by_epoch=False, begin=9), dict(by_epoch=False, max_iters=9)),
    ("epoch scheduler after an iteration loop's one epoch",
     dict(type="StepLR", step_size=1, begin=1), dict(by_epoch=False, max_iters=9)),
]


@pytest.mark.parametrize(("case", "scheduler", "train_cfg"), BEGINS_AT_THE_RUNNER_S_END,
                         ids=[c[0] for c in BEGINS_AT_THE_RUNNER_S_END])
def test_validate_reports_a_scheduler_the_runner_cannot_build(
    case: str, scheduler: dict[str, Any], train_cfg: dict[str, Any]
) -> None:
    # No `end`: the Runner sets it to the run's length, which is not after `begin`.
    with pytest.raises(ValueError, match="end should be larger than begin"):
        mmengine_rows([scheduler], train_cfg, 2)
    import initcfg

    found = initcfg.validate(dict(
        train_cfg=train_cfg, optim_wrapper=dict(optimizer=dict(OPTIMIZER)),
        param_scheduler=[scheduler],
    ))
    assert [(d.code, d.severity, d.path) for d in found] == [
        ("IC302", "error", "param_scheduler[0].begin")
    ]


@pytest.mark.parametrize(
    ("total_steps", "begin", "end", "max_epochs"),
    [
        (50, 0, None, 100), (50, 0, 52, 100), (50, 0, 51, 100), (50, 0, None, 51),
        (50, 0, None, 50), (50, 3, None, 54), (50, 3, None, 53), (8, 2, 12, 12),
    ],
)
def test_validate_reports_a_one_cycle_whose_total_steps_run_out_as_mmengine_raises(
    total_steps: int, begin: int, end: int | None, max_epochs: int
) -> None:
    # MMEngine's own scheduler, stepped after each epoch as ParamSchedulerHook steps it;
    # the Runner gives an unset end max_epochs.
    from mmengine.optim.scheduler import OneCycleLR

    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = OneCycleLR(optimizer, eta_max=0.1, total_steps=total_steps, begin=begin,
                           end=max_epochs if end is None else end)
    raised_after = None
    for epoch in range(1, max_epochs + 1):
        optimizer.step()
        try:
            scheduler.step()
        except ValueError:
            raised_after = epoch
            break
    written = {"type": "OneCycleLR", "eta_max": 0.1, "total_steps": total_steps,
               "begin": begin, **({} if end is None else {"end": end})}
    found = [d for d in initcfg.validate({
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "param_scheduler": [written],
    }) if d.code == "IC302"]
    if raised_after is None:
        assert found == []
    else:
        [finding] = found
        assert finding.path == "param_scheduler[0].total_steps"
        assert f"run out after epoch {raised_after} " in finding.message


@pytest.mark.parametrize(
    ("total_steps", "begin", "end", "max_epochs"),
    [
        (9, 0, 10, 10), (10, 0, 10, 10), (9, 0, None, 10), (8, 2, 12, 12), (10, 2, 12, 12),
        (9, 1, None, 10), (8, 1, None, 10), (51, 0, 52, 100), (52, 0, 52, 100),
        (50, 0, None, 50),
    ],
)
def test_validate_reports_a_converted_one_cycle_whose_total_steps_run_out(
    total_steps: int, begin: int, end: int | None, max_epochs: int
) -> None:
    # convert_to_iter_based: MMEngine's own scheduler, built as the Runner builds it
    # (end, begin and total_steps times the epoch's length) and stepped after each
    # iteration. The step after total_steps * length comes within the run for every
    # length of two or more iterations as soon as total_steps < min(end, max_epochs) -
    # begin, one step earlier than without the conversion.
    from mmengine.optim.scheduler import OneCycleLR

    length = 4
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = OneCycleLR.build_iter_from_epoch(
        optimizer, eta_max=0.1, total_steps=total_steps, begin=begin,
        end=max_epochs if end is None else end, epoch_length=length)
    error = None
    for _ in range(max_epochs * length):
        optimizer.step()
        try:
            scheduler.step()
        except ValueError as raised:
            error = str(raised)
            break
    written = {"type": "OneCycleLR", "eta_max": 0.1, "total_steps": total_steps,
               "begin": begin, "convert_to_iter_based": True,
               **({} if end is None else {"end": end})}
    found = [d for d in initcfg.validate({
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "param_scheduler": [written],
    }) if d.code == "IC302"]
    if error is None:
        assert found == []
    else:
        [finding] = found
        assert finding.path == "param_scheduler[0].total_steps"
        # The numbers MMEngine's message gives are in iterations, which validate cannot
        # know; it must not give the epoch counts as if they were MMEngine's.
        assert f"total steps is {total_steps * length}" in error
        assert f"total steps is {total_steps}'" not in finding.message
        assert f"{total_steps} epochs of iterations" in finding.message
        needed = min(max_epochs if end is None else end, max_epochs) - begin
        assert finding.hint == (
            f"set total_steps to at least {needed}, or leave it out (it is then end - begin)"
        )


@pytest.mark.parametrize(
    ("t_max", "begin", "end", "max_epochs"),
    [
        (100, 0, None, 200), (30, 0, 100, 100), (9, 0, 10, 10), (8, 0, 10, 10),
        (10, 0, 10, 10), (5, 2, 8, 12), (5, 2, 7, 12), (12, 0, None, 12),
    ],
)
def test_validate_reports_a_cosine_that_climbs_back_within_the_run_as_mmengine_steps_it(
    t_max: int, begin: int, end: int | None, max_epochs: int
) -> None:
    # The lr of each epoch as MMEngine's own scheduler sets it, stepped after each
    # epoch; IC328 holds exactly when the lr used in training rises somewhere.
    from mmengine.optim.scheduler import CosineAnnealingLR

    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=t_max, begin=begin,
                                  end=max_epochs if end is None else end)
    used = []
    for _ in range(max_epochs):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    rises = any(later > earlier + 1e-12 for earlier, later in itertools.pairwise(used))
    written = {"type": "CosineAnnealingLR", "T_max": t_max, "begin": begin,
               **({} if end is None else {"end": end})}
    found = [d.code for d in initcfg.validate({
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "param_scheduler": [written],
    })]
    assert ("IC328" in found) is rises, (used, found)


@pytest.mark.parametrize("optimizer", ["Adagrad", "Rprop", "torch.optim.Adadelta", "ASGD"])
def test_a_momentum_scheduler_without_momentum_is_an_error_like_mmengine(optimizer: str) -> None:
    # The table leaves momentum schedulers out, but MMEngine refuses to build one for an
    # optimizer whose defaults hold neither `momentum` nor `betas`: the Runner raises.
    scheduler = dict(type="CosineAnnealingMomentum", eta_min=0.5, end=3)
    params = [torch.nn.Parameter(torch.zeros(1))]
    cls = getattr(torch.optim, optimizer.rpartition(".")[2])
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        PARAM_SCHEDULERS.build(dict(scheduler), default_args=dict(optimizer=cls(params)))
    import initcfg

    cfg = dict(train_cfg=EPOCHS, optim_wrapper=dict(optimizer=dict(type=optimizer, lr=0.1)),
               param_scheduler=[dict(type="LinearLR", start_factor=0.5, end=2), scheduler])
    found = initcfg.validate(cfg)
    assert [(d.code, d.severity, d.path) for d in found] == [
        ("IC302", "error", "param_scheduler[1].type")
    ]
    assert "has neither `momentum` nor `betas`" in found[0].message
    plan = initcfg.compile_train_plan(cfg, torch.nn.Linear(2, 2), iters_per_epoch=2)
    assert plan.lr is None and [d.code for d in plan.diagnostics] == ["IC302"]
    # An optimizer with betas is scheduled through its first beta: no problem there.
    cfg["optim_wrapper"] = dict(optimizer=dict(type="Adam", lr=0.1))
    assert initcfg.validate(cfg) == []


def test_whole_floats_as_step_counts_are_planned_like_mmengine() -> None:
    # A Python config computes them (`end=max_epochs * 0.5`): MMEngine compares and
    # multiplies a whole float as it would the int. initcfg refused each with IC302.
    schedulers = [
        dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0.0, end=4.0),
        dict(type="MultiStepLR", milestones=[2.0, 4], begin=1.0, convert_to_iter_based=True),
        dict(type="StepLR", step_size=2.0, gamma=0.5, end=6.0),
        dict(type="CosineAnnealingLR", T_max=4.0, begin=2, end=6, convert_to_iter_based=True),
        dict(type="CosineRestartLR", periods=[3.0, 3], restart_weights=[1.0, 0.5],
             eta_min=1e-3, by_epoch=False),
    ]
    theirs = mmengine_rows(schedulers, EPOCHS, 2)
    import initcfg
    from initcfg.plan.train_plan import compile_train_plan

    cfg = dict(train_cfg=EPOCHS, optim_wrapper=dict(optimizer=dict(OPTIMIZER)),
               param_scheduler=schedulers)
    assert [d.code for d in initcfg.validate(cfg)] == []
    plan = compile_train_plan(cfg, Toy(), iters_per_epoch=2)
    assert plan.diagnostics == [] and plan.lr is not None
    assert [row[0] for row in plan.lr.iteration_table()] == [row[0] for row in theirs]


MOMENTUM_AT_ITS_END: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("iteration momentum at max_iters",
     dict(type="CosineAnnealingMomentum", by_epoch=False, begin=4, eta_min=0.5),
     dict(by_epoch=False, max_iters=4)),
    ("epoch momentum at max_epochs", dict(type="LinearMomentum", begin=6), EPOCHS),
    ("an end not after begin", dict(type="mmengine.optim.StepMomentum", step_size=1, begin=2,
                                    end=2), EPOCHS),
    ("epoch momentum after an iteration loop's one epoch",
     dict(type="ConstantMomentum", factor=0.5, begin=1), dict(by_epoch=False, max_iters=4)),
]


@pytest.mark.parametrize(("case", "scheduler", "train_cfg"), MOMENTUM_AT_ITS_END,
                         ids=[c[0] for c in MOMENTUM_AT_ITS_END])
def test_a_momentum_scheduler_the_runner_cannot_build_is_an_error(
    case: str, scheduler: dict[str, Any], train_cfg: dict[str, Any]
) -> None:
    # The table leaves momentum schedulers out, but the Runner builds them, with the same
    # default end and the same check: the plan's table claimed a run that never starts.
    with pytest.raises(ValueError, match="end should be larger than begin"):
        mmengine_rows([scheduler], train_cfg, 2)
    from initcfg.plan.train_plan import compile_train_plan

    cfg = dict(train_cfg=train_cfg, optim_wrapper=dict(optimizer=dict(OPTIMIZER)),
               param_scheduler=[dict(type="LinearLR", start_factor=0.5, by_epoch=False, end=2),
                                scheduler])
    plan = compile_train_plan(cfg, Toy(), iters_per_epoch=2)
    assert plan.lr is None
    assert [(d.code, d.path) for d in plan.diagnostics] == [
        ("IC464", "param_scheduler[1]"), ("IC463", "param_scheduler[1]")
    ]
    # Where the Runner builds it, the table stands.
    scheduler = dict(scheduler, begin=0, end=3)
    cfg["param_scheduler"] = [scheduler]
    rows = mmengine_rows([scheduler], train_cfg, 2)
    plan = compile_train_plan(cfg, Toy(), iters_per_epoch=2)
    assert plan.lr is not None and len(plan.lr.iteration_table()) == len(rows)


def test_an_iteration_momentum_scheduler_is_not_checked_in_a_table_per_epoch() -> None:
    # Without the loader's length the run's iterations are unknown, so is the Runner's
    # default end of an iteration-based momentum scheduler: begin=2 may well be fine.
    from initcfg.plan.train_plan import compile_train_plan

    scheduler = dict(type="CosineAnnealingMomentum", by_epoch=False, begin=2, eta_min=0.5)
    cfg = dict(train_cfg=dict(EPOCHS, max_epochs=2),
               optim_wrapper=dict(optimizer=dict(OPTIMIZER)),
               param_scheduler=[dict(type="StepLR", step_size=1, gamma=0.5), scheduler])
    assert len(mmengine_rows(cfg["param_scheduler"], cfg["train_cfg"], 2)) == 4
    plan = compile_train_plan(cfg, Toy())
    assert [d.code for d in plan.diagnostics] == ["IC464"]
    assert plan.lr is not None and plan.lr.granularity == "epoch"


@pytest.mark.parametrize(
    ("t_max", "begin", "end", "max_epochs"),
    [(9, 0, 10, 10), (10, 0, 10, 10), (8, 0, 10, 10), (5, 2, 8, 12), (6, 2, 8, 12),
     (11, 0, None, 12), (12, 0, None, 12)],
)
def test_validate_reports_a_converted_cosine_that_climbs_back_as_mmengine_steps_it(
    t_max: int, begin: int, end: int | None, max_epochs: int
) -> None:
    # convert_to_iter_based: stepped after each iteration, the cosine passes its minimum
    # within the last epoch already when T_max = min(end, max_epochs) - begin - 1.
    from mmengine.optim.scheduler import CosineAnnealingLR

    length = 4
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = CosineAnnealingLR.build_iter_from_epoch(
        optimizer, T_max=t_max, begin=begin, end=max_epochs if end is None else end,
        epoch_length=length)
    used = []
    for _ in range(max_epochs * length):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    rises = any(later > earlier + 1e-12 for earlier, later in itertools.pairwise(used))
    written = {"type": "CosineAnnealingLR", "T_max": t_max, "begin": begin,
               "convert_to_iter_based": True, **({} if end is None else {"end": end})}
    found = [d.code for d in initcfg.validate({
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "param_scheduler": [written],
    })]
    assert ("IC328" in found) is rises, (used, found)
