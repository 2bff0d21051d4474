"""Pydantic models of ``optim_wrapper``: the wrapper, its optimizer, ``paramwise_cfg``
and ``clip_grad``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from initcfg.diagnostics import KeyPath, did_you_mean
from initcfg.schema.fields import _FORBID, Bool, Int, Real
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS, OPTIMIZER_REQUIRED
from initcfg.schema.pydantic_errors import CodedValueError

# ------------------------------------------------------------------------- optimizer


def optimizer_types() -> list[str]:
    """Every ``torch.optim`` optimizer name the table knows."""
    return sorted(OPTIMIZER_ARGS)


class OptimizerCfg(BaseModel):
    """``optim_wrapper.optimizer``: a ``torch.optim`` optimizer and its arguments.

    The commonly constrained arguments are typed fields (None = not given, torch's
    default applies); any other argument is kept as an extra field. For an optimizer in
    the torch table, every argument must be one the class accepts. Optimizers registered
    by projects (not in the table) keep whatever arguments they are given.
    """

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: StrictStr
    lr: Real = Field(gt=0)
    momentum: Real | None = Field(default=None, ge=0, lt=1)
    dampening: Real | None = None
    weight_decay: Real | None = Field(default=None, ge=0)
    nesterov: Bool | None = None
    betas: tuple[Real, Real] | None = None
    eps: Real | tuple[Real | None, Real] | None = None
    amsgrad: Bool | None = None

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not all(0 <= beta < 1 for beta in value):
            raise ValueError(f"each beta must be in [0, 1) (got {list(value)})")
        return value

    @field_validator("eps")
    @classmethod
    def _eps_positive(cls, value: Any) -> Any:
        if isinstance(value, float) and value <= 0:
            raise ValueError(f"eps must be > 0 (got {value})")
        return value

    @field_validator("nesterov")
    @classmethod
    def _nesterov_needs_momentum(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if not value:
            return value
        defaults = OPTIMIZER_ARGS.get(info.data.get("type", ""), {})
        momentum = info.data.get("momentum")
        if momentum is None:
            momentum = defaults.get("momentum", 0)
        if not momentum or momentum <= 0:
            raise ValueError("nesterov=True needs momentum > 0 (torch raises otherwise)")
        dampening = info.data.get("dampening")
        if "dampening" in defaults and dampening:
            raise ValueError("nesterov=True needs dampening=0 (torch raises otherwise)")
        return value

    @model_validator(mode="after")
    def _arguments_exist(self) -> OptimizerCfg:
        accepted = OPTIMIZER_ARGS.get(self.type)
        if accepted is None:
            return self
        for name in self.model_fields_set | set(self.model_extra or {}):
            if name != "type" and name not in accepted:
                raise ValueError(f"{self.type} takes no argument {name!r}")
        given = self.kwargs()
        missing = [name for name in OPTIMIZER_REQUIRED.get(self.type, ()) if name not in given]
        if missing:
            raise ValueError(f"{self.type} needs {', '.join(map(repr, missing))}")
        return self

    @property
    def known(self) -> bool:
        """Whether the type is a ``torch.optim`` optimizer (in the generated table)."""
        return self.type in OPTIMIZER_ARGS

    def kwargs(self) -> dict[str, Any]:
        """Every argument given, except ``type``: ``torch.optim.<type>(params, **kwargs)``."""
        given = self.model_dump(exclude={"type"}, exclude_unset=True)
        given.update({key: item for key, item in (self.model_extra or {}).items()})
        given["lr"] = self.lr
        return given

    def argument(self, name: str) -> Any:
        """The value torch will use for ``name``: given, else the table's default."""
        given = self.kwargs()
        if name in given:
            return given[name]
        return OPTIMIZER_ARGS.get(self.type, {}).get(name)


class CustomKey(BaseModel):
    """One ``paramwise_cfg.custom_keys`` entry. Other keys are copied into the matched
    parameter group as they are (MMEngine does so), hence ``extra="allow"``."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    lr_mult: Real = Field(default=1.0, ge=0)
    decay_mult: Real = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _group_options(self) -> CustomKey:
        for key, value in (self.model_extra or {}).items():
            if key == "params":
                # MMEngine copies it over the group's own parameter list.
                raise ValueError(
                    "'params' replaces the matched parameters in their optimizer group, "
                    "so they are never trained"
                )
            if not _group_option(value):
                raise ValueError(
                    f"{key!r} is copied into the optimizer group as it is; a "
                    f"{type(value).__name__} is no optimizer option (a number, string, "
                    "bool, None or a list of those, such as betas)"
                )
        return self


def _group_option(value: Any) -> bool:
    """Whether ``value`` can be an option of a torch optimizer's parameter group."""
    scalar = (bool, int, float, str)
    if value is None or isinstance(value, scalar):
        return True
    return isinstance(value, list | tuple) and all(isinstance(item, scalar) for item in value)


# The multipliers whose mere presence makes MMEngine's constructor require
# ``optimizer.weight_decay`` (``flat_decay_mult`` is not among them).
DECAY_MULT_KEYS = frozenset({"bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult"})


class ParamwiseCfg(BaseModel):
    """``optim_wrapper.paramwise_cfg`` read by ``DefaultOptimWrapperConstructor``.

    None means "not set", which MMEngine treats differently from 1.0 (the rule is not
    applied at all). Unknown keys are ignored by MMEngine; the parser warns about them.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    custom_keys: dict[str, CustomKey] = Field(default_factory=dict)
    bias_lr_mult: Real | None = Field(default=None, ge=0)
    bias_decay_mult: Real | None = Field(default=None, ge=0)
    norm_decay_mult: Real | None = Field(default=None, ge=0)
    dwconv_decay_mult: Real | None = Field(default=None, ge=0)
    flat_decay_mult: Real | None = Field(default=None, ge=0)
    dcn_offset_lr_mult: Real | None = Field(default=None, ge=0)
    bypass_duplicate: Bool = False

    def needs_weight_decay(self) -> bool:
        """Whether MMEngine requires ``optimizer.weight_decay`` for these settings.

        MMEngine asks whether the key is written, not what it holds: a multiplier
        written as None needs a weight decay too.
        """
        return bool(self.model_fields_set & DECAY_MULT_KEYS) or any(
            "decay_mult" in key.model_fields_set for key in self.custom_keys.values()
        )


class ClipGrad(BaseModel):
    """``optim_wrapper.clip_grad``: arguments of ``torch.nn.utils.clip_grad_norm_``
    (``type='norm'``, the default) or ``clip_grad_value_`` (``type='value'``)."""

    model_config = _FORBID

    type: Literal["norm", "value"] = "norm"
    max_norm: Real | None = Field(default=None, gt=0)
    norm_type: Real | Literal["inf"] = 2.0
    error_if_nonfinite: Bool = False
    foreach: Bool | None = None
    clip_value: Real | None = Field(default=None, gt=0)

    @field_validator("norm_type", mode="before")
    @classmethod
    def _infinity_norm(cls, value: Any) -> Any:
        # torch's clip_grad_norm_ reads float(norm_type): a number, or a string float()
        # reads ('2', 'inf'). Its infinity norm, written float('inf') (YAML .inf,
        # math.inf) as often as 'inf', is the one setting where an infinite float is
        # meaningful: kept as 'inf'. Anything else is one message, not one per member
        # of the field's union.
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(
                    f"norm_type must be a number or 'inf' (got {value!r}): torch calls "
                    "float(norm_type)"
                ) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"norm_type must be a number or 'inf' (got {value!r})")
        if value == float("inf"):
            return "inf"
        if value != value or value == float("-inf"):
            raise ValueError(f"norm_type must be a finite number or 'inf' (got {value!r})")
        return value

    @model_validator(mode="after")
    def _arguments_match_type(self) -> ClipGrad:
        if self.type == "norm":
            if self.max_norm is None:
                raise ValueError("clip_grad of type 'norm' needs 'max_norm'")
            if self.clip_value is not None:
                raise ValueError("clip_grad of type 'norm' takes no 'clip_value'")
        else:
            if self.clip_value is None:
                raise ValueError("clip_grad of type 'value' needs 'clip_value'")
            extra = self.model_fields_set & {"max_norm", "norm_type", "error_if_nonfinite"}
            if extra:
                raise ValueError(f"clip_grad of type 'value' takes no {sorted(extra)}")
        return self


# The keyword arguments of torch.cuda.amp.GradScaler, to which AmpOptimWrapper passes a
# dict loss_scale (ShardedGradScaler's, with use_fsdp, add device and process_group);
# tests/parity/test_amp_loss_scale.py compares them with torch's signatures.
GRAD_SCALER_ARGS = ("init_scale", "growth_factor", "backoff_factor", "growth_interval",
                    "enabled")
SHARDED_GRAD_SCALER_ARGS = (*GRAD_SCALER_ARGS, "device", "process_group")


def loss_scale_problems(
    value: Any, use_fsdp: Any = False
) -> Iterator[tuple[str, str, KeyPath, str | None]]:
    """``(code, message, path under loss_scale, hint)`` for each reason MMEngine 0.10.7's
    AmpOptimWrapper raises TypeError on ``loss_scale=value`` when the Runner builds it:
    it takes exactly ``'dynamic'``, a ``float`` (an int such as 512 is refused) or a dict
    of GradScaler keyword arguments. A float's range is the model's to check."""
    if isinstance(value, float) or (isinstance(value, str) and value == "dynamic"):
        return
    if isinstance(value, Mapping):
        scaler = "ShardedGradScaler" if use_fsdp is True else "GradScaler"
        accepted = SHARDED_GRAD_SCALER_ARGS if use_fsdp is True else GRAD_SCALER_ARGS
        for key in value:
            if key not in accepted:
                yield (
                    "IC301",
                    f"loss_scale is passed to torch's {scaler} as keyword arguments; it "
                    f"takes no argument {key!r} and raises TypeError",
                    (key,),
                    did_you_mean(str(key), accepted) or f"{scaler} takes: {', '.join(accepted)}",
                )
        return
    if isinstance(value, int) and not isinstance(value, bool):
        yield (
            "IC302",
            f"loss_scale {value} is an int: AmpOptimWrapper takes 'dynamic', a float or a "
            "dict and raises TypeError for anything else",
            (),
            f"write {value}.0",
        )
        return
    text = value if isinstance(value, str) else None
    yield (
        "IC302",
        f"loss_scale must be 'dynamic', a float or a dict of GradScaler arguments (got "
        f"{value!r}): AmpOptimWrapper raises TypeError",
        (),
        did_you_mean(text, ["dynamic"]) if text is not None else None,
    )


AmpOptimWrapperType = Literal["OptimWrapper", "AmpOptimWrapper"]


class OptimWrapperCfg(BaseModel):
    """``optim_wrapper`` built by MMEngine's default constructor."""

    model_config = _FORBID

    type: AmpOptimWrapperType = "OptimWrapper"
    optimizer: OptimizerCfg
    paramwise_cfg: ParamwiseCfg | None = None
    clip_grad: ClipGrad | None = None
    accumulative_counts: Int = Field(default=1, ge=1)
    constructor: StrictStr = "DefaultOptimWrapperConstructor"
    # AmpOptimWrapper only; None means its default ('dynamic').
    loss_scale: Literal["dynamic"] | Real | dict[str, Any] | None = None
    dtype: Literal["float16", "bfloat16", "float32", "float64", "half", "float"] | None = None
    use_fsdp: Bool | None = None

    @field_validator("loss_scale", "dtype", "use_fsdp")
    @classmethod
    def _amp_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("type", "OptimWrapper") == "OptimWrapper":
            raise ValueError(
                f"{info.field_name!r} is an AmpOptimWrapper argument; OptimWrapper takes "
                "none (use type='AmpOptimWrapper')"
            )
        if info.field_name == "loss_scale" and isinstance(value, float) and value <= 0:
            raise ValueError(f"loss_scale must be > 0 (got {value})")
        return value

    @model_validator(mode="after")
    def _decay_mult_needs_weight_decay(self) -> OptimWrapperCfg:
        if (
            self.paramwise_cfg is not None
            and self.paramwise_cfg.needs_weight_decay()
            and self.optimizer.weight_decay is None
        ):
            # The planner's own check of this problem is IC451: one problem, one code.
            raise CodedValueError(
                "IC451",
                "paramwise_cfg sets a decay_mult but optimizer has no weight_decay "
                "(MMEngine raises 'base_wd should not be None')",
            )
        return self

    @property
    def lr(self) -> float:
        return self.optimizer.lr
