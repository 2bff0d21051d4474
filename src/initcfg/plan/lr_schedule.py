"""The learning rate of every iteration of a run, with MMEngine's scheduler semantics.

MMEngine's parameter schedulers are *chainable*: each one rewrites the optimizer
group's current value from that value, so the result depends on the order of every
``step()`` call. This module replays that order exactly instead of evaluating closed
forms:

1. each scheduler is built in list order, and building calls ``step()`` once;
2. after every training iteration the iteration-based schedulers step, in list order;
3. after every epoch the epoch-based schedulers step (``IterBasedTrainLoop`` calls the
   epoch hook only once, after the last iteration, so they never act there).

A scheduler with ``convert_to_iter_based`` is rebuilt in iterations first (``begin``,
``end``, milestones, periods, ``T_max``, ``total_steps`` multiplied by the iterations
per epoch), and an ``end`` left out defaults to the loop's ``max_epochs`` or
``max_iters`` before that conversion, as ``Runner.build_param_scheduler`` does.

Every distinct initial learning rate is a *track*: groups that start equal stay equal
under every scheduler (OneCycleLR resets them all to ``eta_max / div_factor``), so the
table holds one column per track, not per parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from initcfg.diagnostics import Diagnostic, diagnostic
from initcfg.plan.lr_runtime import _build as _build
from initcfg.plan.lr_runtime import _check_args as _check_args
from initcfg.plan.lr_runtime import _Runtime as _Runtime
from initcfg.plan.lr_schedule_types import INF as INF
from initcfg.plan.lr_schedule_types import LR_SCHEDULER_TYPES as LR_SCHEDULER_TYPES
from initcfg.plan.lr_schedule_types import Loop as Loop
from initcfg.plan.lr_schedule_types import LrSchedule as LrSchedule
from initcfg.plan.lr_schedule_types import ScheduledStep as ScheduledStep
from initcfg.plan.lr_schedule_types import SchedulerEntry as SchedulerEntry
from initcfg.plan.lr_schedule_types import SchedulerSpec as SchedulerSpec
from initcfg.plan.lr_schedule_types import _SchedulerError as _SchedulerError

__all__ = [
    "INF",
    "LR_SCHEDULER_TYPES",
    "LrSchedule",
    "ScheduledStep",
    "SchedulerEntry",
    "SchedulerSpec",
    "compute_lr_schedule",
]

def _needs_iters_per_epoch(specs: Sequence[SchedulerEntry], loop: Loop) -> bool:
    if loop == "iter":
        return any(s.args.convert_to_iter_based for s in specs)
    return any(s.args.convert_to_iter_based or not s.args.by_epoch for s in specs)


# Replaying a run costs time and memory per step; a longer run is not tabulated.
MAX_TABULATED_STEPS = 5_000_000


def compute_lr_schedule(
    specs: Sequence[SchedulerEntry],
    base_lrs: Sequence[float],
    *,
    loop: Loop = "epoch",
    max_epochs: int | None = None,
    max_iters: int | None = None,
    iters_per_epoch: int | None = None,
) -> tuple[LrSchedule | None, list[Diagnostic]]:
    """Replay the schedulers over a whole run.

    Args:
        specs: The ``param_scheduler`` entries, in config order.
        base_lrs: The initial rate of each track; the first is the optimizer's ``lr``.
            Duplicates are dropped.
        loop: ``epoch`` for EpochBasedTrainLoop, ``iter`` for IterBasedTrainLoop.
        max_epochs: Epochs of an epoch loop.
        max_iters: Iterations of an iteration loop.
        iters_per_epoch: Dataloader length; needed for iteration-based schedulers in an
            epoch loop and for ``convert_to_iter_based``.

    Returns:
        The table (None when it cannot be computed) and the diagnostics (IC46x).
    """
    diagnostics: list[Diagnostic] = []
    tracks: list[float] = []
    for value in base_lrs:
        if value not in tracks:
            tracks.append(value)
    tabulated: list[SchedulerEntry] = []
    for spec in specs:
        if spec.type in LR_SCHEDULER_TYPES:
            tabulated.append(spec)
        else:
            diagnostics.append(
                diagnostic(
                    "IC464",
                    f"{spec.type} is left out of the learning-rate table",
                    path=spec.path,
                )
            )
    if loop == "epoch" and not max_epochs:
        return None, diagnostics
    if loop == "iter" and not max_iters:
        return None, diagnostics
    if _needs_iters_per_epoch(tabulated, loop) and not iters_per_epoch:
        diagnostics.append(
            diagnostic(
                "IC460",
                "the learning-rate table needs the number of iterations per epoch",
                path="param_scheduler",
                hint="Pass iters_per_epoch (--iters-per-epoch N).",
            )
        )
        return None, diagnostics

    granularity: Literal["iter", "epoch"]
    if loop == "epoch":
        assert max_epochs is not None
        granularity = "iter" if iters_per_epoch else "epoch"
        per_epoch_len = iters_per_epoch or 1
        total = max_epochs * per_epoch_len
        default_by_epoch, default_by_iter = max_epochs, max_epochs * per_epoch_len
    else:
        assert max_iters is not None
        granularity = "iter"
        per_epoch_len = iters_per_epoch or max_iters
        total = max_iters
        # IterBasedTrainLoop reports max_epochs=1, the Runner's default end in epochs.
        default_by_epoch, default_by_iter = 1, max_iters

    if total > MAX_TABULATED_STEPS:
        diagnostics.append(
            diagnostic(
                "IC469",
                f"the run has {total:,} {granularity} steps, more than the "
                f"{MAX_TABULATED_STEPS:,} the learning-rate table replays",
                path="train_cfg",
            )
        )
        return None, diagnostics

    for spec in specs:
        if spec.type in LR_SCHEDULER_TYPES or spec.model is None:
            continue  # an lr scheduler (built below), or one not known at all
        if not iters_per_epoch and _needs_iters_per_epoch([spec], loop):
            continue  # its steps are iterations, which a table per epoch does not count
        default_end = default_by_epoch if spec.args.by_epoch else default_by_iter
        problem = _bounds_problem(spec, default_end, iters_per_epoch)
        if problem is not None:
            diagnostics.append(diagnostic("IC463", problem, path=spec.path))
            return None, diagnostics

    groups: list[dict[str, float]] = [{"lr": value} for value in tracks]
    runtimes: list[_Runtime] = []
    resolved: list[ScheduledStep] = []
    try:
        for spec in tabulated:
            default_end = default_by_epoch if spec.args.by_epoch else default_by_iter
            runtime = _build(spec, groups, default_end=default_end, iters_per_epoch=iters_per_epoch)
            runtimes.append(runtime)
            resolved.append(
                ScheduledStep(
                    type=spec.type,
                    path=spec.path,
                    by_epoch=runtime.by_epoch,
                    converted=spec.args.convert_to_iter_based,
                    begin=runtime.begin,
                    end=runtime.end,
                )
            )
        rows = _replay(runtimes, groups, loop, total, per_epoch_len)
    except _SchedulerError as error:
        path = error.path
        if path is None and len(runtimes) < len(tabulated):
            path = tabulated[len(runtimes)].path
        diagnostics.append(diagnostic("IC463", str(error), path=path or "param_scheduler"))
        return None, diagnostics

    diagnostics += _reach_diagnostics(
        resolved, runtimes, loop, max_epochs, total, iters_per_epoch or 1
    )
    one_cycle = next((s for s in tabulated if s.type == "OneCycleLR"), None)
    if one_cycle is not None and len(tracks) > 1:
        diagnostics.append(
            diagnostic(
                "IC468",
                f"OneCycleLR resets all {len(tracks)} starting rates to eta_max / div_factor:"
                " the per-group multipliers are lost",
                path=one_cycle.path,
            )
        )
    starts: list[int] = []
    values: list[list[float]] = []
    for index, row in enumerate(rows):
        if not values or values[-1] != row:
            starts.append(index)
            values.append(row)
    per_epoch: list[list[float]] = []
    if loop == "epoch" and max_epochs:
        step = per_epoch_len if granularity == "iter" else 1
        per_epoch = [list(rows[e * step]) for e in range(max_epochs)]
    schedule = LrSchedule(
        loop=loop,
        granularity=granularity,
        max_epochs=max_epochs if loop == "epoch" else None,
        iters_per_epoch=iters_per_epoch,
        total_steps=len(rows),
        base_lrs=tracks,
        schedulers=resolved,
        starts=starts,
        values=values,
        per_epoch=per_epoch,
    )
    return schedule, diagnostics


def _bounds_problem(
    spec: SchedulerEntry, default_end: int, iters_per_epoch: int | None
) -> str | None:
    """Why MMEngine cannot build a scheduler the table leaves out (a momentum one): it
    checks ``begin`` and ``end`` (the Runner's default when unset, converted to
    iterations) as it does for an lr scheduler."""
    args = spec.args
    written = spec.written("end")
    end = written if written is not None else default_end
    begin = args.begin
    if args.convert_to_iter_based and args.by_epoch and iters_per_epoch:
        begin = int(begin * iters_per_epoch)
        end = end if end == INF else int(end * iters_per_epoch)
    if end > begin:
        return None
    return (
        f"{spec.type}: end should be larger than begin, but got begin={begin}, end={end} "
        "(MMEngine raises ValueError building it)"
    )


def _replay(
    runtimes: list[_Runtime],
    groups: list[dict[str, float]],
    loop: Loop,
    total: int,
    per_epoch_len: int,
) -> list[list[float]]:
    by_iter = [r for r in runtimes if not r.by_epoch]
    by_epoch = [r for r in runtimes if r.by_epoch]
    rows: list[list[float]] = []
    for index in range(total):
        rows.append([group["lr"] for group in groups])
        # The steps after the last iteration change no rate that training uses, but they
        # still run in MMEngine, and one that raises (OneCycleLR past its total steps)
        # stops the run before its last checkpoint.
        for runtime in by_iter:
            runtime.step()
        epoch_end = (index + 1) % per_epoch_len == 0 if loop == "epoch" else index == total - 1
        if epoch_end:
            for runtime in by_epoch:
                runtime.step()
    return rows


def _reach_diagnostics(
    resolved: list[ScheduledStep],
    runtimes: list[_Runtime],
    loop: Loop,
    max_epochs: int | None,
    total_iters: int,
    iters_per_epoch: int,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for step, runtime in zip(resolved, runtimes, strict=True):
        if loop == "iter" and step.by_epoch:
            out.append(
                diagnostic(
                    "IC461",
                    f"{step.type} steps per epoch, but IterBasedTrainLoop steps epoch-based "
                    "schedulers only after the last iteration",
                    path=f"{step.path}.by_epoch",
                    hint="Set by_epoch=False (and give begin/end/milestones in iterations).",
                )
            )
            continue
        # The last step that still changes a rate used in training.
        last = (max_epochs or 0) - 1 if step.by_epoch else total_iters - 1
        if step.begin > last:
            out.append(
                diagnostic(
                    "IC462",
                    f"{step.type} begins at {'epoch' if step.by_epoch else 'iteration'} "
                    f"{step.begin}, after the last one of the run ({last})",
                    path=f"{step.path}.begin",
                )
            )
            continue
        if step.type == "MultiStepLR":
            # The same problem `initcfg validate` reports, under the same code (IC306),
            # one diagnostic per milestone, at the milestone.
            scale = iters_per_epoch if step.converted else 1
            unit = "epoch" if step.by_epoch else "iteration"
            for index, milestone in enumerate(runtime.spec.arg("milestones") or ()):
                fires = step.begin + milestone * scale
                if fires <= last:
                    continue
                converted = (
                    f" ({milestone} epochs x {scale} iterations, convert_to_iter_based)"
                    if step.converted
                    else ""
                )
                out.append(
                    diagnostic(
                        "IC306",
                        f"MultiStepLR milestone {milestone} is never reached: it would fire "
                        f"at {unit} {fires}{converted} but the run has {last + 1} {unit}s",
                        path=f"{step.path}.milestones[{index}]",
                        hint=f"use milestones below {(last + 1 - step.begin) // scale}",
                    )
                )
    return out
