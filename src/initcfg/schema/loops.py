"""Pydantic models of the loops: ``train_cfg``, ``val_cfg``, ``test_cfg``."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
)

from initcfg.schema.fields import _FORBID, Bool, Count, Int

# --------------------------------------------------------------------------- loops


def _interval_after(
    val_interval: int, dynamic_intervals: list[tuple[int, int]] | None, count: int
) -> int:
    """The validation interval once ``count`` epochs (iterations) are done.

    ``dynamic_intervals`` pairs ``(milestone, interval)``. MMEngine's loops bisect
    ``count + 1`` in ``[0, *milestones]`` as written and take the interval there: for
    milestones in increasing order that is the last one reached; for a list out of
    order it is what the bisection gives, so it is computed the same way.
    """
    pairs = dynamic_intervals or ()
    milestones = [0, *(milestone for milestone, _ in pairs)]
    intervals = [val_interval, *(interval for _, interval in pairs)]
    return intervals[bisect.bisect(milestones, count + 1) - 1]


class EpochBasedTrainLoop(BaseModel):
    """``train_cfg`` of an epoch-based run (``mmengine.runner.EpochBasedTrainLoop``)."""

    model_config = _FORBID

    type: Literal["EpochBasedTrainLoop"] = "EpochBasedTrainLoop"
    max_epochs: Count = Field(gt=0)
    # Any count: below 1 validates from the first epoch (iteration), as 1 does.
    val_begin: Count = 1
    val_interval: Count = Field(default=1, ge=1)
    dynamic_intervals: list[tuple[Int, Int]] | None = None

    @property
    def by_epoch(self) -> bool:
        return True

    @property
    def length(self) -> int:
        """The run's length in its own unit (epochs)."""
        return self.max_epochs

    def interval_after(self, count: int) -> int:
        """The validation interval once ``count`` epochs are done."""
        return _interval_after(self.val_interval, self.dynamic_intervals, count)


class IterBasedTrainLoop(BaseModel):
    """``train_cfg`` of an iteration-based run (``mmengine.runner.IterBasedTrainLoop``)."""

    model_config = _FORBID

    type: Literal["IterBasedTrainLoop"] = "IterBasedTrainLoop"
    max_iters: Count = Field(gt=0)
    # Any count: below 1 validates from the first epoch (iteration), as 1 does.
    val_begin: Count = 1
    val_interval: Count = Field(default=1000, ge=1)
    dynamic_intervals: list[tuple[Int, Int]] | None = None

    @property
    def by_epoch(self) -> bool:
        return False

    @property
    def length(self) -> int:
        """The run's length in its own unit (iterations)."""
        return self.max_iters

    def interval_after(self, count: int) -> int:
        """The validation interval once ``count`` iterations are done."""
        return _interval_after(self.val_interval, self.dynamic_intervals, count)


def normalize_train_loop(value: Any) -> Any:
    """The ``by_epoch`` shorthand rewritten as a typed loop, the way the Runner reads it:
    ``by_epoch=True`` builds an EpochBasedTrainLoop, ``False`` an IterBasedTrainLoop."""
    if isinstance(value, Mapping) and "type" not in value and "by_epoch" in value:
        rest = {key: item for key, item in value.items() if key != "by_epoch"}
        flag = value["by_epoch"]
        if flag is True:
            return {"type": "EpochBasedTrainLoop", **rest}
        if flag is False:
            return {"type": "IterBasedTrainLoop", **rest}
    return value


TrainLoopModel = EpochBasedTrainLoop | IterBasedTrainLoop
"""A typed ``train_cfg``: the one loop model the planners and the train loop read."""

# The discriminated union is wrapped so the shorthand is rewritten before the tag is read.
TrainLoop = Annotated[
    Annotated[EpochBasedTrainLoop | IterBasedTrainLoop, Field(discriminator="type")],
    BeforeValidator(normalize_train_loop),
]


class ValLoop(BaseModel):
    """``val_cfg`` (``mmengine.runner.ValLoop``; dataloader and evaluator come from the
    Runner)."""

    model_config = _FORBID

    type: Literal["ValLoop"] = "ValLoop"
    fp16: Bool = False


class TestLoop(BaseModel):
    """``test_cfg`` (``mmengine.runner.TestLoop``)."""

    model_config = _FORBID

    type: Literal["TestLoop"] = "TestLoop"
    fp16: Bool = False
