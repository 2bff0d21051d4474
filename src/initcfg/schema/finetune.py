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

The models live in :mod:`~initcfg.schema.fields`, :mod:`~initcfg.schema.loops`,
:mod:`~initcfg.schema.optim_wrapper`, :mod:`~initcfg.schema.schedulers`,
:mod:`~initcfg.schema.finetune_settings` and :mod:`~initcfg.schema.finetune_parser`;
this module re-exports them (the import path the docs give).
"""

from __future__ import annotations

from initcfg.schema.fields import _FORBID as _FORBID
from initcfg.schema.fields import _MMENGINE_SCOPE as _MMENGINE_SCOPE
from initcfg.schema.fields import INF as INF
from initcfg.schema.fields import Bool as Bool
from initcfg.schema.fields import Count as Count
from initcfg.schema.fields import Int as Int
from initcfg.schema.fields import Real as Real
from initcfg.schema.fields import _int_to_float as _int_to_float
from initcfg.schema.fields import _integral_float_to_int as _integral_float_to_int
from initcfg.schema.fields import _only_float as _only_float
from initcfg.schema.finetune_parser import SCOPE_KEY as SCOPE_KEY
from initcfg.schema.finetune_parser import _Parser as _Parser
from initcfg.schema.finetune_parser import _show as _show
from initcfg.schema.finetune_parser import parse_finetune as parse_finetune
from initcfg.schema.finetune_parser import registry_arguments as registry_arguments
from initcfg.schema.finetune_settings import AutoScaleLR as AutoScaleLR
from initcfg.schema.finetune_settings import CheckpointHookCfg as CheckpointHookCfg
from initcfg.schema.finetune_settings import FinetuneSettings as FinetuneSettings
from initcfg.schema.finetune_settings import Randomness as Randomness
from initcfg.schema.loops import EpochBasedTrainLoop as EpochBasedTrainLoop
from initcfg.schema.loops import IterBasedTrainLoop as IterBasedTrainLoop
from initcfg.schema.loops import TestLoop as TestLoop
from initcfg.schema.loops import TrainLoop as TrainLoop
from initcfg.schema.loops import ValLoop as ValLoop
from initcfg.schema.loops import normalize_train_loop as normalize_train_loop
from initcfg.schema.optim_wrapper import AmpOptimWrapperType as AmpOptimWrapperType
from initcfg.schema.optim_wrapper import ClipGrad as ClipGrad
from initcfg.schema.optim_wrapper import CustomKey as CustomKey
from initcfg.schema.optim_wrapper import OptimizerCfg as OptimizerCfg
from initcfg.schema.optim_wrapper import OptimWrapperCfg as OptimWrapperCfg
from initcfg.schema.optim_wrapper import ParamwiseCfg as ParamwiseCfg
from initcfg.schema.optim_wrapper import optimizer_types as optimizer_types
from initcfg.schema.schedulers import _SCHEDULERS as _SCHEDULERS
from initcfg.schema.schedulers import ConstantLR as ConstantLR
from initcfg.schema.schedulers import CosineAnnealingLR as CosineAnnealingLR
from initcfg.schema.schedulers import CosineRestartLR as CosineRestartLR
from initcfg.schema.schedulers import ExponentialLR as ExponentialLR
from initcfg.schema.schedulers import LinearLR as LinearLR
from initcfg.schema.schedulers import MultiStepLR as MultiStepLR
from initcfg.schema.schedulers import OneCycleLR as OneCycleLR
from initcfg.schema.schedulers import PolyLR as PolyLR
from initcfg.schema.schedulers import Scheduler as Scheduler
from initcfg.schema.schedulers import SchedulerBase as SchedulerBase
from initcfg.schema.schedulers import StepLR as StepLR
from initcfg.schema.schedulers import _factor as _factor
from initcfg.schema.schedulers import scheduler_types as scheduler_types

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


