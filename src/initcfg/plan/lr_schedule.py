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

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from initcfg.check.diagnostics import Diagnostic
from initcfg.check.rules import diagnostic
from initcfg.schema.finetune import INF  # MMEngine's "no end": one definition

__all__ = [
    "INF",
    "LR_SCHEDULER_TYPES",
    "LrSchedule",
    "ScheduledStep",
    "SchedulerSpec",
    "compute_lr_schedule",
]

LR_SCHEDULER_TYPES = frozenset(
    {
        "ConstantLR",
        "CosineAnnealingLR",
        "CosineRestartLR",
        "ExponentialLR",
        "LinearLR",
        "MultiStepLR",
        "OneCycleLR",
        "PolyLR",
        "StepLR",
    }
)

Loop = Literal["epoch", "iter"]


@dataclass(frozen=True, slots=True)
class SchedulerSpec:
    """One ``param_scheduler`` entry, typed. ``None`` means "MMEngine's default".

    Attributes:
        type: Registry name such as ``MultiStepLR``.
        path: Config key path of the entry, for diagnostics (``param_scheduler[1]``).
    """

    type: str
    path: str = "param_scheduler"
    begin: int = 0
    end: int | None = None
    by_epoch: bool = True
    convert_to_iter_based: bool = False
    last_step: int = -1
    factor: float | None = None
    start_factor: float | None = None
    end_factor: float | None = None
    milestones: tuple[int, ...] | None = None
    gamma: float | None = None
    step_size: int | None = None
    T_max: int | None = None
    eta_min: float | None = None
    eta_min_ratio: float | None = None
    power: float | None = None
    eta_max: float | None = None
    total_steps: int | None = None
    pct_start: float | None = None
    anneal_strategy: str | None = None
    div_factor: float | None = None
    final_div_factor: float | None = None
    three_phase: bool | None = None
    periods: tuple[int, ...] | None = None
    restart_weights: tuple[float, ...] | None = None

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], path: str = "param_scheduler"
    ) -> SchedulerSpec:
        """A spec from the keys the user wrote (unknown keys are dropped)."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known or key == "path":
                continue
            if isinstance(value, list | tuple):
                value = tuple(value)
            kwargs[key] = value
        return cls(path=path, **kwargs)


class ScheduledStep(BaseModel):
    """A scheduler as it runs: in which unit, over which steps.

    Attributes:
        type: Scheduler type.
        path: Config key path of the entry.
        by_epoch: Whether it steps once per epoch (after conversion).
        converted: Whether ``convert_to_iter_based`` turned epochs into iterations.
        begin: First step it acts on, in its unit.
        end: Step it stops before, in its unit (``INF`` for none).
        tabulated: False for schedulers the table leaves out (ReduceOnPlateauLR…).
    """

    model_config = ConfigDict(extra="forbid")

    type: str
    path: str
    by_epoch: bool
    converted: bool = False
    begin: int
    end: int
    tabulated: bool = True


class LrSchedule(BaseModel):
    """The learning rate of every iteration, one column per initial rate (track).

    Attributes:
        loop: ``epoch`` (EpochBasedTrainLoop) or ``iter`` (IterBasedTrainLoop).
        granularity: ``iter`` when rows are iterations; ``epoch`` when the iterations per
            epoch are unknown and every scheduler steps per epoch (rows are epochs then).
        max_epochs: Epochs in the run (epoch loops).
        iters_per_epoch: Iterations per epoch, when known.
        total_steps: Number of rows (iterations, or epochs for ``granularity='epoch'``).
        base_lrs: The initial learning rate of each track; track 0 is the optimizer's.
        schedulers: The schedulers, resolved.
        starts: Run-length encoding of the rows: row ``i`` holds ``values[k]`` for the
            last ``k`` with ``starts[k] <= i``.
        values: The track rates of each run.
        per_epoch: The rates at the first iteration of each epoch (epoch loops).
    """

    model_config = ConfigDict(extra="forbid")

    loop: Loop
    granularity: Literal["iter", "epoch"]
    max_epochs: int | None
    iters_per_epoch: int | None
    total_steps: int
    base_lrs: list[float]
    schedulers: list[ScheduledStep]
    starts: list[int]
    values: list[list[float]]
    per_epoch: list[list[float]] = []

    def track_of(self, initial_lr: float) -> int:
        """The track (column) of a group that starts at ``initial_lr``.

        Raises:
            ValueError: No track starts at that rate.
        """
        return self.base_lrs.index(initial_lr)

    def lrs_at_step(self, step: int) -> list[float]:
        """Every track's rate at row ``step`` (a global iteration, or an epoch)."""
        if not 0 <= step < self.total_steps:
            raise IndexError(f"step {step} is outside the run (0..{self.total_steps - 1})")
        return list(self.values[bisect_right(self.starts, step) - 1])

    def lr_at(self, epoch: int, iteration: int = 0, track: int = 0) -> float:
        """The rate used by the optimizer step of ``iteration`` within ``epoch``.

        For an iteration-based loop pass ``epoch=0`` and the global iteration. With
        ``granularity='epoch'`` the iteration does not matter.
        """
        if self.granularity == "epoch":
            return self.lrs_at_step(epoch)[track]
        per_epoch = self.iters_per_epoch or 0
        return self.lrs_at_step(epoch * per_epoch + iteration)[track]

    def runs(self) -> list[tuple[int, int, list[float]]]:
        """The runs as ``(first row, row after the last, track rates)``."""
        stops = [*self.starts[1:], self.total_steps]
        return [
            (start, stop, list(values))
            for start, stop, values in zip(self.starts, stops, self.values, strict=True)
        ]

    def iteration_table(self) -> list[list[float]]:
        """Every row, expanded (one list of track rates per iteration or epoch)."""
        out: list[list[float]] = []
        for start, stop, values in self.runs():
            out.extend(list(values) for _ in range(start, stop))
        return out


class _SchedulerError(Exception):
    """MMEngine would raise while building or stepping the scheduler."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(slots=True)
class _Runtime:
    """One scheduler in motion over all tracks (the optimizer's param groups)."""

    spec: SchedulerSpec
    begin: int
    end: int
    by_epoch: bool
    groups: list[dict[str, float]]
    milestones: Counter[int]
    step_size: int
    t_max: int
    total_iters: int
    total_steps: int
    periods: tuple[int, ...]
    cumulative: list[int]
    base_values: list[float]
    last_step: int = -1
    global_step: int = -1

    def step(self) -> None:
        self.global_step += 1
        if self.begin <= self.global_step < self.end:
            self.last_step += 1
            try:
                values = self._values()
            except _SchedulerError as error:
                raise _SchedulerError(str(error), self.spec.path) from error
            for group, value in zip(self.groups, values, strict=True):
                group["lr"] = value

    def _eta_min(self, base: float) -> float:
        spec = self.spec
        if spec.eta_min_ratio is None:
            return 0.0 if spec.eta_min is None else spec.eta_min
        return base * spec.eta_min_ratio

    def _values(self) -> list[float]:
        spec, kind, ls = self.spec, self.spec.type, self.last_step
        cur = [group["lr"] for group in self.groups]
        try:
            if kind == "StepLR":
                gamma = 0.1 if spec.gamma is None else spec.gamma
                if ls == 0 or ls % self.step_size != 0:
                    return cur
                return [v * gamma for v in cur]
            if kind == "MultiStepLR":
                gamma = 0.1 if spec.gamma is None else spec.gamma
                if ls not in self.milestones:
                    return cur
                return [v * gamma ** self.milestones[ls] for v in cur]
            if kind == "ConstantLR":
                factor = 1.0 / 3 if spec.factor is None else spec.factor
                if ls == 0:
                    return [v * factor for v in cur]
                if ls != self.total_iters:
                    return cur
                return [v * (1.0 / factor) for v in cur]
            if kind == "ExponentialLR":
                if ls == 0:
                    return cur
                assert spec.gamma is not None
                return [v * spec.gamma for v in cur]
            if kind == "LinearLR":
                start = 1.0 / 3 if spec.start_factor is None else spec.start_factor
                stop = 1.0 if spec.end_factor is None else spec.end_factor
                if ls == 0:
                    return [v * start for v in cur]
                span = self.total_iters * start + (ls - 1) * (stop - start)
                ratio = 1.0 + (stop - start) / span
                return [v * ratio for v in cur]
            if kind == "PolyLR":
                eta_min = 0.0 if spec.eta_min is None else spec.eta_min
                power = 1.0 if spec.power is None else spec.power
                if ls == 0:
                    return cur
                decay = (1 - 1 / (self.total_iters - ls + 1)) ** power
                return [(v - eta_min) * decay + eta_min for v in cur]
            if kind == "CosineAnnealingLR":
                return self._cosine(cur)
            if kind == "OneCycleLR":
                return self._one_cycle()
            if kind == "CosineRestartLR":
                return self._cosine_restart(cur)
        except ZeroDivisionError as exc:
            raise _SchedulerError(
                f"{kind} divides by zero at its step {ls} (MMEngine raises ZeroDivisionError)"
            ) from exc
        except KeyError as exc:
            raise _SchedulerError(
                f"{kind} at its step {ls} reads {exc} from the param groups, which no "
                "scheduler set (MMEngine raises KeyError)"
            ) from exc
        raise _SchedulerError(f"{kind} is not an lr scheduler")  # pragma: no cover

    def _cosine(self, cur: list[float]) -> list[float]:
        ls, t_max = self.last_step, self.t_max
        if ls == 0:
            return cur
        if (ls - 1 - t_max) % (2 * t_max) == 0:
            return [
                v + (base - self._eta_min(base)) * (1 - math.cos(math.pi / t_max)) / 2
                for base, v in zip(self.base_values, cur, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * ls / t_max)) / (1 + math.cos(math.pi * (ls - 1) / t_max))
        return [
            ratio * (v - self._eta_min(base)) + self._eta_min(base)
            for base, v in zip(self.base_values, cur, strict=True)
        ]

    def _one_cycle(self) -> list[float]:
        spec, ls = self.spec, self.last_step
        if ls > self.total_steps:
            raise _SchedulerError(
                f"OneCycleLR is stepped {ls + 1} times but its total steps are "
                f"{self.total_steps} (MMEngine raises ValueError)"
            )
        pct_start = 0.3 if spec.pct_start is None else spec.pct_start
        total = self.total_steps
        if spec.three_phase:
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr"),
                (float(2 * pct_start * total) - 2, "max_lr", "initial_lr"),
                (total - 1, "initial_lr", "min_lr"),
            ]
        else:
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr"),
                (total - 1, "max_lr", "min_lr"),
            ]
        linear = spec.anneal_strategy == "linear"
        out: list[float] = []
        for group in self.groups:
            start_step: float = 0
            for index, (end_step, first, last) in enumerate(phases):
                if ls <= end_step or index == len(phases) - 1:
                    pct = (ls - start_step) / (end_step - start_step)
                    begin_value, end_value = group[first], group[last]
                    if linear:
                        out.append((end_value - begin_value) * pct + begin_value)
                    else:
                        cos_out = math.cos(math.pi * pct) + 1
                        out.append(end_value + (begin_value - end_value) / 2.0 * cos_out)
                    break
                start_step = end_step
        return out

    def _cosine_restart(self, cur: list[float]) -> list[float]:
        spec, ls = self.spec, self.last_step
        index = next((i for i, edge in enumerate(self.cumulative) if ls < edge), None)
        if index is None:
            return cur
        weights = spec.restart_weights or (1,)
        weight = weights[index]
        restart = 0 if index == 0 else self.cumulative[index - 1]
        period = self.periods[index]
        step = ls - restart
        out: list[float] = []
        for base, v in zip(self.base_values, cur, strict=True):
            eta_max = base * weight
            eta_min = base * spec.eta_min_ratio if spec.eta_min_ratio is not None else spec.eta_min
            assert eta_min is not None
            if step == 0:
                out.append(eta_max)
            else:
                out.append(
                    (1 + math.cos(math.pi * step / period))
                    / (1 + math.cos(math.pi * (step - 1) / period))
                    * (v - eta_min)
                    + eta_min
                )
        return out


def _build(
    spec: SchedulerSpec,
    groups: list[dict[str, float]],
    *,
    default_end: int | None,
    iters_per_epoch: int | None,
) -> _Runtime:
    """Build one scheduler as MMEngine's registry would (this also takes its first step)."""
    kind = spec.type
    end = spec.end if spec.end is not None else (default_end if default_end is not None else INF)
    begin = spec.begin
    by_epoch = spec.by_epoch
    milestones = list(spec.milestones or ())
    step_size = spec.step_size
    t_max = spec.T_max
    total_steps = spec.total_steps
    periods = tuple(spec.periods or ())
    if spec.convert_to_iter_based:
        if not by_epoch:
            raise _SchedulerError(
                "convert_to_iter_based needs by_epoch=True (MMEngine asserts it)"
            )
        if not iters_per_epoch:
            raise _SchedulerError("convert_to_iter_based needs the iterations per epoch")
        length = iters_per_epoch
        by_epoch = False
        begin = int(begin * length)
        if end != INF:
            end = int(end * length)
        if kind == "MultiStepLR":
            milestones = [m * length for m in milestones]
        if kind == "StepLR" and step_size is not None:
            step_size = step_size * length
        if kind == "CosineAnnealingLR" and t_max is not None:
            t_max = t_max * length
        if kind == "OneCycleLR" and total_steps is not None:
            total_steps = total_steps * length
        if kind == "CosineRestartLR":
            periods = tuple(p * length for p in periods)
    _check_args(spec, kind)
    if end <= begin:
        raise _SchedulerError(f"end should be larger than begin, but got begin={begin}, end={end}")

    if spec.last_step < -1:
        raise _SchedulerError(f"last_step must be -1 or more (got {spec.last_step})")
    if kind == "OneCycleLR":
        if total_steps is not None and total_steps <= 0:
            raise _SchedulerError(f"Expected positive integer total_steps, but got {total_steps}")
        eta_max = 0.0 if spec.eta_max is None else spec.eta_max
        div = 25.0 if spec.div_factor is None else spec.div_factor
        final_div = 1e4 if spec.final_div_factor is None else spec.final_div_factor
        if spec.last_step == -1:
            for group in groups:
                group["initial_lr"] = eta_max / div
                group["max_lr"] = eta_max
                group["min_lr"] = group["initial_lr"] / final_div
    if spec.last_step == -1:
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
    elif any("initial_lr" not in group for group in groups):
        # Resuming without a state dict needs a scheduler built before it.
        raise _SchedulerError(
            f"{kind} with last_step={spec.last_step} needs 'initial_lr' in the param groups "
            "(MMEngine raises KeyError)"
        )
    runtime = _Runtime(
        spec=spec,
        begin=begin,
        end=end,
        by_epoch=by_epoch,
        groups=groups,
        milestones=Counter(milestones),
        step_size=step_size or 1,
        t_max=t_max or (end - begin),
        total_iters=end - begin - 1,
        total_steps=total_steps if total_steps is not None else end - begin,
        periods=periods,
        cumulative=[sum(periods[: i + 1]) for i in range(len(periods))],
        base_values=[group["initial_lr"] for group in groups],
        last_step=spec.last_step,
    )
    runtime.step()
    return runtime


def _check_args(spec: SchedulerSpec, kind: str) -> None:
    # The checks MMEngine makes in the constructors, so the plan fails where it would.
    def in_unit(name: str, value: float | None) -> None:
        if value is not None and not 0 <= value <= 1:
            raise _SchedulerError(f"{kind} `{name}` must be between 0 and 1 (got {value})")

    if kind == "ConstantLR":
        in_unit("factor", spec.factor)
    elif kind == "LinearLR":
        in_unit("start_factor", spec.start_factor)
        in_unit("end_factor", spec.end_factor)
    elif kind == "MultiStepLR" and spec.milestones is None:
        raise _SchedulerError("MultiStepLR needs `milestones`")
    elif kind == "StepLR" and not spec.step_size:
        raise _SchedulerError("StepLR needs a positive `step_size`")
    elif kind == "ExponentialLR" and spec.gamma is None:
        raise _SchedulerError("ExponentialLR needs `gamma`")
    elif kind == "CosineAnnealingLR":
        if spec.eta_min is not None and spec.eta_min_ratio is not None:
            raise _SchedulerError("CosineAnnealingLR takes `eta_min` or `eta_min_ratio`, not both")
    elif kind == "CosineRestartLR":
        if (spec.eta_min is None) == (spec.eta_min_ratio is None):
            raise _SchedulerError("CosineRestartLR needs exactly one of `eta_min`, `eta_min_ratio`")
        if spec.periods is None:
            raise _SchedulerError("CosineRestartLR needs `periods`")
        if len(spec.periods) != len(spec.restart_weights or (1,)):
            raise _SchedulerError(
                "CosineRestartLR `periods` and `restart_weights` differ in length"
            )
    elif kind == "OneCycleLR":
        pct = 0.3 if spec.pct_start is None else spec.pct_start
        if not isinstance(pct, float) or not 0 <= pct <= 1:
            raise _SchedulerError(f"OneCycleLR `pct_start` must be a float in [0, 1] (got {pct})")
        if spec.anneal_strategy not in (None, "cos", "linear"):
            raise _SchedulerError(
                f"OneCycleLR `anneal_strategy` must be 'cos' or 'linear' "
                f"(got {spec.anneal_strategy!r})"
            )


def _needs_iters_per_epoch(specs: Sequence[SchedulerSpec], loop: Loop) -> bool:
    if loop == "iter":
        return any(s.convert_to_iter_based for s in specs)
    return any(s.convert_to_iter_based or not s.by_epoch for s in specs)


# Replaying a run costs time and memory per step; a longer run is not tabulated.
MAX_TABULATED_STEPS = 5_000_000


def compute_lr_schedule(
    specs: Sequence[SchedulerSpec],
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
    tabulated: list[SchedulerSpec] = []
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

    groups: list[dict[str, float]] = [{"lr": value} for value in tracks]
    runtimes: list[_Runtime] = []
    resolved: list[ScheduledStep] = []
    try:
        for spec in tabulated:
            default_end = default_by_epoch if spec.by_epoch else default_by_iter
            runtime = _build(spec, groups, default_end=default_end, iters_per_epoch=iters_per_epoch)
            runtimes.append(runtime)
            resolved.append(
                ScheduledStep(
                    type=spec.type,
                    path=spec.path,
                    by_epoch=runtime.by_epoch,
                    converted=spec.convert_to_iter_based,
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
            for index, milestone in enumerate(runtime.spec.milestones or ()):
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
