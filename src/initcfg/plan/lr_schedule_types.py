"""The lr schedule's data types: :class:`SchedulerEntry` in, :class:`LrSchedule` out."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from initcfg.schema.fields import INF as _SCHEMA_INF
from initcfg.schema.schedulers import _SCHEDULERS, SchedulerBase, scheduler_types

# One INF (MMEngine's "no end") and one list of the lr schedulers: the schema's.
INF = _SCHEMA_INF

LR_SCHEDULER_TYPES = frozenset(scheduler_types())

Loop = Literal["epoch", "iter"]


@dataclass(frozen=True, slots=True)
class SchedulerEntry:
    """One ``param_scheduler`` entry: where it was written and the schema's model of it.

    The arguments are the schema's scheduler models (:mod:`initcfg.schema.schedulers`),
    not a copy of their fields. :meth:`arg` gives what the user wrote, ``None`` meaning
    "MMEngine's default".

    Attributes:
        type: Registry name such as ``MultiStepLR``.
        path: Config key path of the entry, for diagnostics (``param_scheduler[1]``).
        model: The schema model (``None`` for a type the schema does not model, such as
            a momentum scheduler: the table leaves those out).
    """

    type: str
    path: str = "param_scheduler"
    model: SchedulerBase | None = None

    @classmethod
    def from_model(cls, model: SchedulerBase, path: str = "param_scheduler") -> SchedulerEntry:
        """The entry of a validated schema model."""
        kind = str(type(model).model_fields["type"].default)
        return cls(type=kind, path=path, model=model)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], path: str = "param_scheduler"
    ) -> SchedulerEntry:
        """An entry from the keys the user wrote, not validated (unknown keys are dropped).

        The values reach the replay as written, so what MMEngine refuses while building
        a scheduler is refused there, as MMEngine would.
        """
        kind = str(values["type"])
        model_class = _SCHEDULERS.get(kind)
        if model_class is None:
            return cls(type=kind, path=path)
        known = {key: value for key, value in values.items() if key in model_class.model_fields}
        return cls(type=kind, path=path, model=model_class.model_construct(**known))

    @property
    def args(self) -> SchedulerBase:
        """The schema model (the entry must be of a modelled type)."""
        if self.model is None:
            raise TypeError(f"{self.type} is not a modelled lr scheduler")
        return self.model

    def arg(self, name: str) -> Any:
        """The value of ``name``: what the user wrote, else the schema's default (MMEngine's);
        ``None`` for a required argument left out or one this scheduler does not take."""
        model = self.args
        value = getattr(model, name, None)
        field = type(model).model_fields.get(name)
        if value is None and field is not None and not field.is_required():
            value = field.get_default(call_default_factory=True)
        return value

    def written(self, name: str) -> Any:
        """The value the user wrote for ``name``, or ``None`` when it was left out."""
        model = self.args
        return getattr(model, name) if name in model.model_fields_set else None


SchedulerSpec = SchedulerEntry
"""Deprecated name of :class:`SchedulerEntry` (kept for old imports)."""


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
