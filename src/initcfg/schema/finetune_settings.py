"""The other fine-tune settings (auto_scale_lr, randomness, the checkpoint hook) and
:class:`FinetuneSettings`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    field_validator,
    model_validator,
)

from initcfg.diagnostics import KeyPath
from initcfg.schema.fields import _FORBID, Bool, Int
from initcfg.schema.loops import TestLoop, TrainLoop, ValLoop
from initcfg.schema.optim_wrapper import OptimWrapperCfg
from initcfg.schema.schedulers import Scheduler

# ------------------------------------------------------------------- other settings


class AutoScaleLR(BaseModel):
    """``auto_scale_lr``: the Runner scales lr by ``real batch / base_batch_size``."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    enable: Bool = False
    base_batch_size: Int | None = Field(default=None, gt=0)

    @classmethod
    def ignored(cls, written: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(key, why)`` for each key of ``written`` that the Runner's ``scale_lr`` never
        reads: it asks for ``enable`` with ``.get`` and then for ``base_batch_size``."""
        off = "" if "enable" in written else ", and without enable the lr is never scaled"
        return [
            (key, f"auto_scale_lr key {key!r} is not read: MMEngine's Runner reads only "
                  f"enable and base_batch_size{off}")
            for key in written if key not in cls.model_fields
        ]

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
