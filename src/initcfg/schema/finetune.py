"""Pydantic models for the fine-tune settings of an MMEngine 0.10.7 config.

Covers ``train_cfg``/``val_cfg``/``test_cfg`` loops, ``optim_wrapper`` (wrapper,
optimizer, ``paramwise_cfg``, ``clip_grad``), ``param_scheduler``, ``load_from``,
``resume``, ``auto_scale_lr``, ``randomness`` and ``default_hooks.checkpoint``.
Defaults are MMEngine's (read from ``mmengine/runner/loops.py``,
``mmengine/optim/optimizer/*`` and ``mmengine/optim/scheduler/*``). Models are
``extra="forbid"`` where MMEngine passes every key to a constructor (so an unknown key
raises ``TypeError`` there). Optimizer arguments are checked against a table generated
from torch (:mod:`initcfg.schema.optimizers_table`), so nothing here imports torch.

:func:`parse_finetune` turns a :class:`~initcfg.config.tree.ConfigTree` into
:class:`FinetuneSettings` plus located diagnostics, and never raises.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, did_you_mean, format_path
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS, OPTIMIZER_REQUIRED
from initcfg.schema.pydantic_errors import BOUND_TYPES, field_errors

__all__ = [
    "INF",
    "SCOPE_KEY",
    "AmpOptimWrapperType",
    "AutoScaleLR",
    "CheckpointHookCfg",
    "ClipGrad",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineRestartLR",
    "CustomKey",
    "EpochBasedTrainLoop",
    "ExponentialLR",
    "FinetuneSettings",
    "IterBasedTrainLoop",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "OptimWrapperCfg",
    "OptimizerCfg",
    "ParamwiseCfg",
    "PolyLR",
    "Randomness",
    "Scheduler",
    "SchedulerBase",
    "StepLR",
    "TestLoop",
    "TrainLoop",
    "ValLoop",
    "optimizer_types",
    "parse_finetune",
    "registry_arguments",
    "scheduler_types",
]

# MMEngine's default `end` of a parameter scheduler ("until the run stops").
INF = 1_000_000_000

_MMENGINE_SCOPE = "mmengine."


def _int_to_float(value: Any) -> Any:
    # Configs write `lr=1` or `gamma=1`; torch takes both, but a bool or a string is a
    # mistake, so only a real int is widened.
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _integral_float_to_int(value: Any) -> Any:
    # Loop lengths and intervals are often computed (`57300.0`); MMEngine accepts a
    # float whose value is whole (it asserts int(max_epochs) == max_epochs).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _only_float(value: Any) -> Any:
    if not isinstance(value, float):
        raise ValueError(f"must be a float, as MMEngine checks (got {value!r})")
    return value


Real = Annotated[StrictFloat, BeforeValidator(_int_to_float)]
Int = StrictInt
Count = Annotated[StrictInt, BeforeValidator(_integral_float_to_int)]
Bool = StrictBool

# defer_build on every model here: a validator is built when a config first uses its
# section, not at import (most configs set a few of these sections; `--help` none).
_FORBID = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --------------------------------------------------------------------------- loops


class EpochBasedTrainLoop(BaseModel):
    """``train_cfg`` of an epoch-based run (``mmengine.runner.EpochBasedTrainLoop``)."""

    model_config = _FORBID

    type: Literal["EpochBasedTrainLoop"] = "EpochBasedTrainLoop"
    max_epochs: Count = Field(gt=0)
    val_begin: Count = Field(default=1, ge=1)
    val_interval: Count = Field(default=1, ge=1)
    dynamic_intervals: list[tuple[Int, Int]] | None = None

    @property
    def by_epoch(self) -> bool:
        return True

    @property
    def length(self) -> int:
        """The run's length in its own unit (epochs)."""
        return self.max_epochs


class IterBasedTrainLoop(BaseModel):
    """``train_cfg`` of an iteration-based run (``mmengine.runner.IterBasedTrainLoop``)."""

    model_config = _FORBID

    type: Literal["IterBasedTrainLoop"] = "IterBasedTrainLoop"
    max_iters: Count = Field(gt=0)
    val_begin: Count = Field(default=1, ge=1)
    val_interval: Count = Field(default=1000, ge=1)
    dynamic_intervals: list[tuple[Int, Int]] | None = None

    @property
    def by_epoch(self) -> bool:
        return False

    @property
    def length(self) -> int:
        """The run's length in its own unit (iterations)."""
        return self.max_iters


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
        """Whether MMEngine requires ``optimizer.weight_decay`` for these settings."""
        return (
            self.bias_decay_mult is not None
            or self.norm_decay_mult is not None
            or self.dwconv_decay_mult is not None
            or any("decay_mult" in key.model_fields_set for key in self.custom_keys.values())
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
            raise ValueError(
                "paramwise_cfg sets a decay_mult but optimizer has no weight_decay "
                "(MMEngine raises 'base_wd should not be None')"
            )
        return self

    @property
    def lr(self) -> float:
        return self.optimizer.lr


# ------------------------------------------------------------------------ schedulers


class SchedulerBase(BaseModel):
    """Arguments shared by every MMEngine parameter scheduler."""

    model_config = _FORBID

    begin: Int = Field(default=0, ge=0)
    end: Int = INF
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
    milestones: list[Int]
    gamma: Real = Field(default=0.1, gt=0)

    @field_validator("milestones")
    @classmethod
    def _strictly_increasing(cls, value: list[int]) -> list[int]:
        if any(later <= earlier for earlier, later in itertools.pairwise(value)):
            raise ValueError(f"milestones must be strictly increasing (got {value})")
        return value


class StepLR(SchedulerBase):
    type: Literal["StepLR"] = "StepLR"
    step_size: Int = Field(gt=0)
    gamma: Real = Field(default=0.1, gt=0)


class ExponentialLR(SchedulerBase):
    type: Literal["ExponentialLR"] = "ExponentialLR"
    gamma: Real = Field(gt=0)


class CosineAnnealingLR(SchedulerBase):
    """With neither ``eta_min`` nor ``eta_min_ratio`` MMEngine uses ``eta_min=0``."""

    type: Literal["CosineAnnealingLR"] = "CosineAnnealingLR"
    T_max: Int | None = Field(default=None, gt=0)
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
    periods: list[Int]
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


# ------------------------------------------------------------------- other settings


class AutoScaleLR(BaseModel):
    """``auto_scale_lr``: the Runner scales lr by ``real batch / base_batch_size``."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    enable: Bool = False
    base_batch_size: Int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _base_needed(self) -> AutoScaleLR:
        if self.enable and self.base_batch_size is None:
            raise ValueError("auto_scale_lr.enable=True needs base_batch_size")
        return self


class Randomness(BaseModel):
    """``randomness``: keyword arguments of ``mmengine.runner.set_random_seed``."""

    model_config = _FORBID

    seed: Int | None = None
    deterministic: Bool = False
    diff_rank_seed: Bool = False


class CheckpointHookCfg(BaseModel):
    """``default_hooks.checkpoint`` (``CheckpointHook`` takes ``**kwargs``, so other keys
    are kept)."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: StrictStr = "CheckpointHook"
    interval: Int = -1
    by_epoch: Bool = True
    max_keep_ckpts: Int = -1
    save_last: Bool = True
    save_optimizer: Bool = True
    save_param_scheduler: Bool = True
    save_best: StrictStr | list[StrictStr] | None = None
    save_begin: Int = Field(default=0, ge=0)
    out_dir: StrictStr | None = None

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError(f"interval must be -1 (never) or > 0 (got {value})")
        return value

    @field_validator("max_keep_ckpts")
    @classmethod
    def _keep(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError(f"max_keep_ckpts must be -1 (keep all) or > 0 (got {value})")
        return value


class FinetuneSettings(BaseModel):
    """The fine-tune settings of one config, typed.

    A section is None when the config does not set it, when it uses a type the schema
    does not model (a project's own loop or wrapper), or when it has errors (reported
    as diagnostics by :func:`parse_finetune`). ``param_scheduler`` holds the schedulers
    the schema models, in config order; ``scheduler_paths`` gives each one's key path.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)

    train_cfg: TrainLoop | None = None
    val_cfg: ValLoop | None = None
    test_cfg: TestLoop | None = None
    optim_wrapper: OptimWrapperCfg | None = None
    param_scheduler: list[Scheduler] = Field(default_factory=list)
    scheduler_paths: list[KeyPath] = Field(default_factory=list)
    load_from: StrictStr | None = None
    resume: Bool = False
    auto_scale_lr: AutoScaleLR | None = None
    randomness: Randomness | None = None
    checkpoint: CheckpointHookCfg | None = None


# -------------------------------------------------------------------------- parsing


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _strip_scope(name: str) -> str:
    return name[len(_MMENGINE_SCOPE) :] if name.startswith(_MMENGINE_SCOPE) else name


SCOPE_KEY = "_scope_"


def registry_arguments(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a dict that MMEngine builds through a registry, as its constructor
    sees them: ``build_from_cfg`` pops ``_scope_`` (it only picks the registry to look
    ``type`` up in; ``pkg::`` bases add it to every inherited dict with a ``type``).

    Dicts the Runner builds by calling a class itself (the ``by_epoch`` shorthand of
    ``train_cfg``, a ``val_cfg`` without ``type``) keep it, and there a ``_scope_`` is
    the ``TypeError`` MMEngine raises.
    """
    return {key: value for key, value in cfg.items() if key != SCOPE_KEY}


class _Parser:
    def __init__(
        self,
        tree: ConfigTree,
        extra_optimizers: frozenset[str] = frozenset(),
        extra_schedulers: frozenset[str] = frozenset(),
    ) -> None:
        self.tree = tree
        self.diagnostics: list[Diagnostic] = []
        self.extra_optimizers = extra_optimizers
        self.extra_schedulers = extra_schedulers

    def report(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        found = diagnostic(code, message, format_path(path), hint)
        self.diagnostics.append(found.at(self.tree.location(path), self.tree.path))

    def validation_errors(
        self, error: ValidationError, model: type[BaseModel], path: KeyPath, what: str
    ) -> None:
        for item in field_errors(error):
            where = path + item.loc
            field = str(item.loc[-1]) if item.loc else what
            kind = item.type
            got = item.got
            if kind == "extra_forbidden":
                fields = sorted(set(model.model_fields) - {"type"})
                self.report(
                    "IC301",
                    f"{what} takes no argument {field!r}",
                    where,
                    did_you_mean(field, fields) or f"accepted: {', '.join(fields)}",
                )
            elif kind == "missing":
                self.report("IC303", f"{what} needs {field!r}", where)
            elif kind == "value_error":
                self.report("IC302", f"{what}: {item.reason}", where)
            elif kind == "literal_error":
                self.report(
                    "IC302",
                    f"{field!r} must be {item.expected} (got {_show(got)})",
                    where,
                    item.literal_hint(),
                )
            elif kind in BOUND_TYPES:
                bounds = " and ".join(item.bounds)
                self.report("IC302", f"{field!r} must be {bounds} (got {_show(got)})", where)
            else:
                message = item.msg
                message = message[0].lower() + message[1:] if message else message
                self.report("IC302", f"{field!r}: {message} (got {_show(got)})", where)

    def build(
        self, model: type[BaseModel], value: Mapping[str, Any], path: KeyPath, what: str
    ) -> Any:
        try:
            return model.model_validate(dict(value))
        except ValidationError as error:
            self.validation_errors(error, model, path, what)
            return None

    def mapping(self, value: Any, path: KeyPath, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
            return value
        self.report("IC302", f"{what} must be a dict (got {_show(value)})", path)
        return None

    # -- sections --------------------------------------------------------------

    def train_cfg(self, value: Any) -> EpochBasedTrainLoop | IterBasedTrainLoop | None:
        path: KeyPath = ("train_cfg",)
        cfg = self.mapping(value, path, "train_cfg")
        if cfg is None:
            return None
        if "type" in cfg and "by_epoch" in cfg:
            self.report(
                "IC302",
                "train_cfg gives both 'type' and 'by_epoch'; MMEngine raises "
                "'Only one of `type` or `by_epoch` can exist'",
                (*path, "by_epoch"),
                "remove 'by_epoch'",
            )
            return None
        if "type" not in cfg and "by_epoch" not in cfg:
            self.report(
                "IC303",
                "train_cfg needs 'type' (or the 'by_epoch' shorthand); MMEngine raises KeyError",
                path,
                "add type='EpochBasedTrainLoop'",
            )
            return None
        normal = normalize_train_loop(registry_arguments(cfg) if "type" in cfg else cfg)
        if "by_epoch" in cfg and "type" not in normal:
            self.report(
                "IC302", f"'by_epoch' must be a bool (got {_show(cfg['by_epoch'])})",
                (*path, "by_epoch"),
            )
            return None
        loops: dict[str, type[BaseModel]] = {
            "EpochBasedTrainLoop": EpochBasedTrainLoop,
            "IterBasedTrainLoop": IterBasedTrainLoop,
        }
        name = normal["type"]
        model = loops.get(_strip_scope(name)) if isinstance(name, str) else None
        if model is None:
            return None  # a project's own loop: nothing the schema can check
        built = self.build(model, {**normal, "type": _strip_scope(name)}, path, model.__name__)
        return built if isinstance(built, EpochBasedTrainLoop | IterBasedTrainLoop) else None

    def simple_loop(self, key: str, model: type[ValLoop] | type[TestLoop]) -> Any:
        value = self.tree.data.get(key)
        if value is None:
            return None
        path: KeyPath = (key,)
        cfg = self.mapping(value, path, key)
        if cfg is None:
            return None
        name = cfg.get("type", model.model_fields["type"].default)
        if not isinstance(name, str) or _strip_scope(name) != model.model_fields["type"].default:
            return None
        if "type" in cfg:  # built by LOOPS.build; without a type the Runner calls the class
            cfg = registry_arguments(cfg)
        return self.build(model, {**cfg, "type": _strip_scope(name)}, path, model.__name__)

    def optimizer(self, value: Any, path: KeyPath) -> OptimizerCfg | None:
        cfg = self.mapping(value, path, "optimizer")
        if cfg is None:
            return None
        cfg = registry_arguments(cfg)  # OPTIMIZERS.build
        name = cfg.get("type")
        if not isinstance(name, str):
            self.report("IC303", "optimizer needs 'type' naming a torch.optim class", path)
            return None
        accepted = OPTIMIZER_ARGS.get(name)
        if accepted is None and not _registered(name, self.extra_optimizers):
            self.report(
                "IC304",
                f"optimizer type {name!r} is not in torch.optim; it must be registered by "
                "your project",
                (*path, "type"),
                did_you_mean(name, OPTIMIZER_ARGS),
            )
        clean = dict(cfg)
        ok = True
        if accepted is not None:
            for key in cfg:
                if key != "type" and key not in accepted:
                    self.stray_argument(name, key, accepted, path)
                    del clean[key]
                    ok = False
            if "lr" not in clean:
                clean["lr"] = accepted.get("lr")
        elif "lr" not in clean:
            return None  # a project's optimizer may default its lr; nothing to type here
        built = self.build(OptimizerCfg, clean, path, name)
        return built if ok and isinstance(built, OptimizerCfg) else None

    def stray_argument(
        self, name: str, key: str, accepted: Mapping[str, Any], path: KeyPath
    ) -> None:
        where = (*path, key)
        location = self.tree.location(where)
        base = self.tree.base
        base_type = base.get((*path, "type")) if base is not None else None
        from_base = (
            base is not None
            and base.get(where) is not None
            and location is not None
            and location.file != self.tree.path
            and isinstance(base_type, str)
            and base_type != name
        )
        if from_base and location is not None:
            self.report(
                "IC316",
                f"{key!r} comes from the base optimizer {base_type!r} "
                f"({location.file}:{location.line}); {name} takes no argument {key!r} and "
                "torch raises TypeError (unexpected keyword argument)",
                where,
                "add `_delete_=True` to this config's optimizer dict to drop the base's keys",
            )
            return
        self.report(
            "IC301",
            f"{name} takes no argument {key!r}; torch raises TypeError "
            "(unexpected keyword argument)",
            where,
            did_you_mean(key, accepted) or f"{name} takes: {', '.join(accepted)}",
        )

    def paramwise_cfg(self, value: Any, path: KeyPath, default: bool) -> ParamwiseCfg | None:
        cfg = self.mapping(value, path, "paramwise_cfg")
        if cfg is None:
            return None
        if default:
            known = sorted(ParamwiseCfg.model_fields)
            for key in cfg:
                if key not in ParamwiseCfg.model_fields:
                    self.report(
                        "IC305",
                        f"paramwise_cfg key {key!r} is not read by MMEngine's default "
                        "constructor and does nothing",
                        (*path, key),
                        did_you_mean(key, known),
                    )
        keys = cfg.get("custom_keys")
        if keys is not None and not isinstance(keys, Mapping):
            self.report(
                "IC302", f"custom_keys must be a dict (got {_show(keys)})", (*path, "custom_keys")
            )
            return None
        built = self.build(ParamwiseCfg, cfg, path, "paramwise_cfg")
        return built if isinstance(built, ParamwiseCfg) else None

    def optim_wrapper(self, value: Any) -> OptimWrapperCfg | None:
        path: KeyPath = ("optim_wrapper",)
        cfg = self.mapping(value, path, "optim_wrapper")
        if cfg is None:
            return None
        constructor = cfg.get("constructor", "DefaultOptimWrapperConstructor")
        default = _strip_scope(str(constructor)) == "DefaultOptimWrapperConstructor"
        wrapper = cfg.get("type", "OptimWrapper")
        wrapper = _strip_scope(wrapper) if isinstance(wrapper, str) else wrapper
        if "optimizer" not in cfg:
            if default:
                self.report(
                    "IC303",
                    "optim_wrapper needs 'optimizer'; MMEngine's default constructor raises",
                    path,
                )
            return None
        optimizer = self.optimizer(cfg["optimizer"], (*path, "optimizer"))
        paramwise = None
        if cfg.get("paramwise_cfg") is not None:
            paramwise = self.paramwise_cfg(cfg["paramwise_cfg"], (*path, "paramwise_cfg"), default)
        clip = None
        if cfg.get("clip_grad") is not None:
            clip_cfg = self.mapping(cfg["clip_grad"], (*path, "clip_grad"), "clip_grad")
            if clip_cfg is not None:
                clip = self.build(ClipGrad, clip_cfg, (*path, "clip_grad"), "clip_grad")
        if wrapper not in ("OptimWrapper", "AmpOptimWrapper"):
            return None  # a project's own wrapper: its arguments are unknown here
        if optimizer is None:
            return None
        rest = {  # OPTIM_WRAPPERS.build pops _scope_
            key: item
            for key, item in registry_arguments(cfg).items()
            if key not in ("optimizer", "paramwise_cfg", "clip_grad")
        }
        rest["type"] = wrapper
        try:
            built = OptimWrapperCfg.model_validate(
                {**rest, "optimizer": optimizer, "paramwise_cfg": paramwise, "clip_grad": clip}
            )
        except ValidationError as error:
            self.validation_errors(error, OptimWrapperCfg, path, str(wrapper))
            return None
        if cfg.get("paramwise_cfg") is not None and paramwise is None:
            return None
        if cfg.get("clip_grad") is not None and clip is None:
            return None
        return built

    def schedulers(self, value: Any) -> tuple[list[Any], list[KeyPath]]:
        root: KeyPath = ("param_scheduler",)
        items: list[tuple[KeyPath, Any]]
        if isinstance(value, Mapping):
            if "type" not in value:
                return [], []  # one scheduler list per optimizer (multi-optimizer runs)
            items = [(root, value)]
        elif isinstance(value, list | tuple):
            items = [((*root, index), item) for index, item in enumerate(value)]
        else:
            self.report(
                "IC302",
                f"param_scheduler must be a dict or a list of dicts (got {_show(value)})",
                root,
            )
            return [], []
        built: list[Any] = []
        paths: list[KeyPath] = []
        for path, item in items:
            cfg = self.mapping(item, path, "a param_scheduler entry")
            if cfg is None:
                continue
            name = cfg.get("type")
            if not isinstance(name, str):
                self.report("IC303", "a param_scheduler entry needs 'type'", path)
                continue
            model = _SCHEDULERS.get(_strip_scope(name))
            if model is None and _registered(name, self.extra_schedulers):
                continue  # the project's own scheduler: its arguments are unknown here
            if model is None:
                # Momentum schedulers and projects' own schedulers are not modelled; a
                # near-miss of an lr scheduler name is most likely a typo.
                hint = did_you_mean(name, _SCHEDULERS, cutoff=0.85)
                if hint is not None and not name.endswith("Momentum"):
                    self.report(
                        "IC304",
                        f"scheduler type {name!r} is not an MMEngine lr scheduler",
                        (*path, "type"),
                        hint,
                    )
                continue
            scheduler = self.build(
                model, {**registry_arguments(cfg), "type": _strip_scope(name)}, path, name
            )
            if scheduler is not None:
                built.append(scheduler)
                paths.append(path)
        return built, paths

    def settings(self) -> FinetuneSettings:
        data = self.tree.data
        fields: dict[str, Any] = {}
        if data.get("train_cfg") is not None:
            fields["train_cfg"] = self.train_cfg(data["train_cfg"])
        fields["val_cfg"] = self.simple_loop("val_cfg", ValLoop)
        fields["test_cfg"] = self.simple_loop("test_cfg", TestLoop)
        if data.get("optim_wrapper") is not None:
            fields["optim_wrapper"] = self.optim_wrapper(data["optim_wrapper"])
        if data.get("param_scheduler") is not None:
            schedulers, paths = self.schedulers(data["param_scheduler"])
            fields["param_scheduler"] = schedulers
            fields["scheduler_paths"] = paths
        load_from = data.get("load_from")
        if load_from is not None:
            if isinstance(load_from, str):
                fields["load_from"] = load_from
            else:
                self.report(
                    "IC302",
                    f"load_from must be a path, a URL or None (got {_show(load_from)})",
                    ("load_from",),
                )
        resume = data.get("resume", False)
        if isinstance(resume, bool):
            fields["resume"] = resume
        elif resume is not None:
            self.report("IC302", f"resume must be a bool (got {_show(resume)})", ("resume",))
        for key, model in (("auto_scale_lr", AutoScaleLR), ("randomness", Randomness)):
            if data.get(key) is not None:
                cfg = self.mapping(data[key], (key,), key)
                if cfg is not None:
                    fields[key] = self.build(model, cfg, (key,), key)
        hooks = data.get("default_hooks")
        if isinstance(hooks, Mapping) and hooks.get("checkpoint") is not None:
            path: KeyPath = ("default_hooks", "checkpoint")
            cfg = self.mapping(hooks["checkpoint"], path, "default_hooks.checkpoint")
            name = cfg.get("type", "CheckpointHook") if cfg is not None else None
            if cfg is not None and isinstance(name, str) and _strip_scope(name) == "CheckpointHook":
                fields["checkpoint"] = self.build(  # HOOKS.build pops _scope_
                    CheckpointHookCfg,
                    {**registry_arguments(cfg), "type": "CheckpointHook"},
                    path,
                    "CheckpointHook",
                )
        # Each field was validated by its own model above: the whole needs no validator.
        return FinetuneSettings.model_construct(**fields)


def _registered(name: str, names: frozenset[str]) -> bool:
    # `mmpretrain.LARS` names LARS in mmpretrain's registry.
    return name in names or name.rsplit(".", 1)[-1] in names


def parse_finetune(
    tree: ConfigTree,
    *,
    extra_optimizers: frozenset[str] = frozenset(),
    extra_schedulers: frozenset[str] = frozenset(),
) -> tuple[FinetuneSettings | None, list[Diagnostic]]:
    """Parse the fine-tune settings of a loaded config.

    Args:
        tree: The loaded, merged config.
        extra_optimizers: Optimizer types the project (or a scope package) registers;
            they are not reported as unknown (IC304).
        extra_schedulers: Scheduler types registered the same way.

    Returns:
        The typed settings (None only when the config is not a mapping) and the
        diagnostics found, placed at their source locations. Never raises for bad input.
    """
    if not isinstance(tree.data, Mapping):
        return None, []
    parser = _Parser(tree, extra_optimizers, extra_schedulers)
    return parser.settings(), parser.diagnostics
