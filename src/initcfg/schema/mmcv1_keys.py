"""The top-level keys of MMCV 1.x (MMDetection 2.x) configs that MMEngine 0.10.7 reads
nowhere, and where MMEngine reads what each of them set (IC326)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from initcfg.diagnostics import KeyPath
from initcfg.schema.lookup import value_at

__all__ = ["MMCV1_REPLACEMENTS", "mmcv1_keys"]

# MMEngine's Runner takes param_scheduler, optim_wrapper, train_cfg, default_hooks,
# env_cfg, ... instead; the names outside _SHAPED_MMCV1 mean nothing else in its era.
MMCV1_REPLACEMENTS: dict[str, str] = {
    "lr_config": "param_scheduler (policy='step' is a MultiStepLR with milestones=step; "
    "the warmup a LinearLR with by_epoch=False before it)",
    "momentum_config": "param_scheduler (momentum schedulers such as CosineAnnealingMomentum)",
    "optimizer_config": "optim_wrapper (grad_clip is optim_wrapper.clip_grad; fp16 is "
    "type='AmpOptimWrapper')",
    "checkpoint_config": "default_hooks.checkpoint = dict(type='CheckpointHook', ...)",
    "log_config": "default_hooks.logger = dict(type='LoggerHook', ...)",
    "resume_from": "load_from, with resume=True",
    "auto_resume": "resume=True (with no load_from: the latest checkpoint in work_dir)",
    "total_epochs": "train_cfg.max_epochs",
    "workflow": "train_cfg.val_interval, with val_cfg, val_dataloader and val_evaluator",
    "dist_params": "env_cfg.dist_cfg",
    "cudnn_benchmark": "env_cfg.cudnn_benchmark",
    "opencv_num_threads": "env_cfg.mp_cfg.opencv_num_threads",
    "mp_start_method": "env_cfg.mp_cfg.mp_start_method",
    "data": "train_dataloader, val_dataloader and test_dataloader (samples_per_gpu is "
    "batch_size, workers_per_gpu num_workers)",
    "evaluation": "train_cfg.val_interval, and val_evaluator for the metric",
    "runner": "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=...)",
    "fp16": "optim_wrapper = dict(type='AmpOptimWrapper', loss_scale=...)",
    "optimizer": "optim_wrapper = dict(optimizer=...)",
}
"""Each MMCV 1.x top-level key that MMEngine 0.10.7 reads nowhere, and where MMEngine
reads what it set (the hint IC326 gives)."""
# Names that MMEngine-era Python configs also use as plain variables (`optimizer =
# dict(...)` then `optim_wrapper = dict(optimizer=optimizer)`): MMCV 1.x settings only
# when written in that era's shape (see _mmcv1_shaped).
_SHAPED_MMCV1 = frozenset({"data", "evaluation", "runner", "fp16", "optimizer"})
_MMCV1_ONLY = frozenset(MMCV1_REPLACEMENTS) - _SHAPED_MMCV1
_DATA_KEYS = frozenset({"samples_per_gpu", "workers_per_gpu", "train", "val", "test"})
_EVALUATION_KEYS = frozenset({"interval", "metric", "save_best", "start"})


# Where MMEngine reads what an MMCV 1.x scalar set: a Python config that keeps the old
# name as a variable and passes it on there (`total_epochs = 15` then
# `train_cfg = dict(max_epochs=total_epochs)`) loses nothing.
_PASSED_ON: dict[str, KeyPath] = {
    "total_epochs": ("train_cfg", "max_epochs"),
    "resume_from": ("load_from",),
    "dist_params": ("env_cfg", "dist_cfg"),
    "cudnn_benchmark": ("env_cfg", "cudnn_benchmark"),
    "opencv_num_threads": ("env_cfg", "mp_cfg", "opencv_num_threads"),
    "mp_start_method": ("env_cfg", "mp_cfg", "mp_start_method"),
}


def _mmcv1_shaped(key: str, value: Any, data: Mapping[str, Any]) -> bool:
    if key in _PASSED_ON:
        read = value_at(data, _PASSED_ON[key])
        return not (type(read) is type(value) and read == value)
    if key in _MMCV1_ONLY:
        return True
    if not isinstance(value, Mapping):
        return False
    if key == "data":
        return not _DATA_KEYS.isdisjoint(value)
    if key == "evaluation":
        return not _EVALUATION_KEYS.isdisjoint(value)
    if key == "runner":
        kind = value.get("type")
        return (isinstance(kind, str) and kind.endswith("Runner")) or (
            "max_epochs" in value or "max_iters" in value
        )
    if key == "fp16":
        return "loss_scale" in value
    if key == "optimizer":
        return "type" in value and data.get("optim_wrapper") is None
    return False


def mmcv1_keys(data: Mapping[str, Any]) -> Iterator[str]:
    """The top-level keys of ``data`` that are MMCV 1.x settings MMEngine ignores: the
    names only that era used (``lr_config``, ``checkpoint_config``, ``resume_from``, ...)
    with any value but None, and ``data``, ``evaluation``, ``runner``, ``fp16`` and
    ``optimizer`` when written in that era's shape (``optimizer`` only where no
    ``optim_wrapper`` is set)."""
    for key, value in data.items():
        if isinstance(key, str) and value is not None and _mmcv1_shaped(key, value, data):
            yield key
