"""Pydantic models of MMEngine 0.10.7's lr schedulers (``param_scheduler`` entries)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from initcfg.schema.fields import _FORBID, INF, Bool, Count, Int, Real, _only_float

# ------------------------------------------------------------------------ schedulers

# MMEngine 0.10.7's momentum schedulers (mmengine.optim.scheduler.momentum_scheduler):
# not modelled (the lr table leaves them out), but built, and checked, as lr ones are.
MOMENTUM_SCHEDULERS = frozenset({
    "ConstantMomentum", "CosineAnnealingMomentum", "ExponentialMomentum", "LinearMomentum",
    "MultiStepMomentum", "StepMomentum", "PolyMomentum", "CosineRestartMomentum",
    "ReduceOnPlateauMomentum",
})


class SchedulerBase(BaseModel):
    """Arguments shared by every MMEngine parameter scheduler."""

    model_config = _FORBID

    # A step count may be a whole float (`end=max_epochs * 1.0`, computed in a Python
    # config): MMEngine compares and multiplies it as it would the int. last_step is
    # asserted to be an int, and OneCycleLR's total_steps is checked to be one.
    begin: Count = Field(default=0, ge=0)
    end: Count = INF
    by_epoch: Bool = True
    convert_to_iter_based: Bool = False
    last_step: Int = Field(default=-1, ge=-1)
    verbose: Bool = False

    @field_validator("end")
    @classmethod
    def _end_after_begin(cls, value: int, info: ValidationInfo) -> int:
        begin = info.data.get("begin", 0)
        if value <= begin:
            raise ValueError(f"end must be larger than begin (begin={begin}, end={value})")
        return value

    @model_validator(mode="after")
    def _convert_needs_epochs(self) -> SchedulerBase:
        if self.convert_to_iter_based and not self.by_epoch:
            raise ValueError("convert_to_iter_based=True needs by_epoch=True")
        return self

    @property
    def bounded(self) -> bool:
        """Whether ``end`` was set (not MMEngine's "until the run stops")."""
        return self.end != INF


def _factor(name: str) -> Any:
    return Field(default=1.0 / 3.0, ge=0, le=1, description=f"{name} in [0, 1]")


class LinearLR(SchedulerBase):
    type: Literal["LinearLR"] = "LinearLR"
    start_factor: Real = _factor("start_factor")
    end_factor: Real = Field(default=1.0, ge=0, le=1)


class ConstantLR(SchedulerBase):
    type: Literal["ConstantLR"] = "ConstantLR"
    factor: Real = _factor("factor")


class MultiStepLR(SchedulerBase):
    type: Literal["MultiStepLR"] = "MultiStepLR"
    # MMEngine counts milestones (a Counter): their order does not matter, and one
    # written twice drops the lr by gamma twice there (IC325 warns).
    milestones: list[Count]
    gamma: Real = Field(default=0.1, gt=0)


class StepLR(SchedulerBase):
    type: Literal["StepLR"] = "StepLR"
    step_size: Count = Field(gt=0)
    gamma: Real = Field(default=0.1, gt=0)


class ExponentialLR(SchedulerBase):
    type: Literal["ExponentialLR"] = "ExponentialLR"
    gamma: Real = Field(gt=0)


class CosineAnnealingLR(SchedulerBase):
    """With neither ``eta_min`` nor ``eta_min_ratio`` MMEngine uses ``eta_min=0``."""

    type: Literal["CosineAnnealingLR"] = "CosineAnnealingLR"
    # MMEngine reads T_max=0 as unset (`T_max or end - begin`).
    T_max: Count | None = Field(default=None, ge=0)
    eta_min: Real | None = None
    eta_min_ratio: Real | None = None

    @model_validator(mode="after")
    def _one_minimum(self) -> CosineAnnealingLR:
        if self.eta_min is not None and self.eta_min_ratio is not None:
            raise ValueError("give either eta_min or eta_min_ratio, not both")
        return self


class PolyLR(SchedulerBase):
    type: Literal["PolyLR"] = "PolyLR"
    eta_min: Real = 0.0
    power: Real = 1.0


class OneCycleLR(SchedulerBase):
    type: Literal["OneCycleLR"] = "OneCycleLR"
    eta_max: Real = 0.0
    total_steps: Int | None = Field(default=None, gt=0)
    # MMEngine checks isinstance(pct_start, float): an int such as 1 is refused.
    pct_start: Annotated[float, BeforeValidator(_only_float)] = Field(default=0.3, ge=0, le=1)
    anneal_strategy: Literal["cos", "linear"] = "cos"
    div_factor: Real = 25.0
    final_div_factor: Real = 1e4
    three_phase: Bool = False


class CosineRestartLR(SchedulerBase):
    type: Literal["CosineRestartLR"] = "CosineRestartLR"
    periods: list[Count]
    restart_weights: list[Real] = Field(default_factory=lambda: [1.0])
    eta_min: Real | None = None
    eta_min_ratio: Real | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CosineRestartLR:
        if (self.eta_min is None) == (self.eta_min_ratio is None):
            raise ValueError("give exactly one of eta_min and eta_min_ratio")
        if len(self.periods) != len(self.restart_weights):
            raise ValueError(
                f"periods ({len(self.periods)}) and restart_weights "
                f"({len(self.restart_weights)}) must have the same length"
            )
        return self


Scheduler = Annotated[
    LinearLR
    | ConstantLR
    | MultiStepLR
    | StepLR
    | ExponentialLR
    | CosineAnnealingLR
    | PolyLR
    | OneCycleLR
    | CosineRestartLR,
    Field(discriminator="type"),
]

_SCHEDULERS: dict[str, type[SchedulerBase]] = {
    model.model_fields["type"].default: model
    for model in (
        LinearLR,
        ConstantLR,
        MultiStepLR,
        StepLR,
        ExponentialLR,
        CosineAnnealingLR,
        PolyLR,
        OneCycleLR,
        CosineRestartLR,
    )
}


def scheduler_types() -> list[str]:
    """The learning-rate scheduler names the schema models."""
    return list(_SCHEDULERS)
