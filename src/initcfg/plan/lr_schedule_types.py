"""The lr schedule's data types: :class:`SchedulerSpec` in, :class:`LrSchedule` out."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from initcfg.schema.fields import INF as _SCHEMA_INF
from initcfg.schema.schedulers import scheduler_types

# One INF (MMEngine's "no end") and one list of the lr schedulers: the schema's.
INF = _SCHEMA_INF

LR_SCHEDULER_TYPES = frozenset(scheduler_types())

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
