"""The ``EMAHook`` rules: an argument the averaged model does not take (IC301), a
momentum MMEngine refuses or one that keeps almost none of the average (IC302, IC336),
and a start the run never reaches (IC302).

MMEngine's EMA momentum is the weight of the current model in each update,
``average = (1 - momentum) * average + momentum * current``: the opposite of the decay
timm and YOLOv5 write (0.9998), which written here makes the EMA model the current one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from initcfg.check.finetune_places import fmt, place
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, did_you_mean
from initcfg.schema.config_facts import ConfigFacts
from initcfg.schema.ema_hooks import EMA_ARGUMENTS

if TYPE_CHECKING:
    from initcfg.schema.ema_hooks import EmaHook
    from initcfg.schema.finetune import FinetuneSettings

__all__ = ["check_ema_hooks"]


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_ema_hooks(
    tree: ConfigTree, settings: FinetuneSettings | None, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    for hook in facts.ema_hooks:
        yield from _arguments(tree, hook)
        yield from _momentum(tree, hook)
        yield from _begin(tree, settings, hook)


def _arguments(tree: ConfigTree, hook: EmaHook) -> Iterator[Diagnostic]:
    accepted = sorted(EMA_ARGUMENTS.get(hook.ema_type or "", ()))
    for key in hook.unknown_arguments():
        value = _number(hook.written[key]) if key == "decay" else None
        decay = f" (decay={fmt(value)} is momentum={fmt(round(1 - value, 12))})" if (
            value is not None) else ""
        yield place(
            tree, "IC301",
            f"EMAHook passes {key!r} to {hook.ema_type}, which takes no argument {key!r}: "
            "it raises TypeError when the Runner starts training (EMAHook.before_run "
            "builds it)",
            ("custom_hooks", hook.position, key),
            f"MMEngine's EMA takes momentum = 1 - decay{decay}" if key == "decay"
            else did_you_mean(key, accepted) or f"it takes: {', '.join(accepted)}",
        )


def _momentum(tree: ConfigTree, hook: EmaHook) -> Iterator[Diagnostic]:
    if not hook.momentum_weighs_current or "momentum" not in hook.written:
        return
    written = hook.written["momentum"]
    path: KeyPath = ("custom_hooks", hook.position, "momentum")
    momentum = _number(written)
    if momentum is None or not 0 < momentum < 1:
        yield place(
            tree, "IC302",
            f"EMAHook momentum must be in (0, 1) (got {written!r}): {hook.ema_type} "
            "asserts it when the Runner starts training (EMAHook.before_run builds it)",
            path,
        )
    elif momentum > 0.5:
        yield place(
            tree, "IC336",
            f"EMAHook momentum {fmt(momentum)} is the weight {hook.ema_type} gives the "
            f"current model at each update (average = (1 - momentum) * average + "
            f"momentum * current): the average keeps {fmt(1 - momentum)} of itself per "
            "update, so the EMA model is the current model; MMEngine only logs a warning",
            path,
            f"MMEngine's momentum is 1 - decay: momentum={fmt(round(1 - momentum, 12))} "
            f"for a decay of {fmt(momentum)}",
        )


def _begin(
    tree: ConfigTree, settings: FinetuneSettings | None, hook: EmaHook
) -> Iterator[Diagnostic]:
    begin_iter = _count(hook.written.get("begin_iter", 0))
    begin_epoch = _count(hook.written.get("begin_epoch", 0))
    if begin_iter is None or begin_epoch is None:
        return
    root: KeyPath = ("custom_hooks", hook.position)
    for key, value in (("begin_iter", begin_iter), ("begin_epoch", begin_epoch)):
        if value < 0:
            yield place(
                tree, "IC302",
                f"EMAHook {key} must be >= 0 (got {value}): it asserts so when the Runner "
                "builds it",
                (*root, key),
            )
            return
    if begin_iter and begin_epoch:
        yield place(
            tree, "IC302",
            "EMAHook sets both begin_iter and begin_epoch: it asserts that at most one is "
            "set when the Runner builds it",
            (*root, "begin_iter"),
            "keep one of them",
        )
        return
    loop = settings.train_cfg if settings is not None else None
    if loop is None:
        return
    if begin_epoch:
        # An IterBasedTrainLoop counts one epoch (max_epochs is 1).
        limit, unit, key = (loop.length, "epochs", "begin_epoch") if loop.by_epoch else (
            1, "epoch (an IterBasedTrainLoop's max_epochs)", "begin_epoch")
        value = begin_epoch
    elif begin_iter and not loop.by_epoch:
        limit, unit, key, value = loop.length, "iterations", "begin_iter", begin_iter
    else:
        return  # begin_iter in an epoch run: max_iters depends on the dataset's length
    if value > limit:
        yield place(
            tree, "IC302",
            f"EMAHook {key}={value} is past the run's {limit} {unit}: it asserts "
            f"{key} <= {'max_epochs' if key == 'begin_epoch' else 'max_iters'} when "
            "training starts, after the model and the data are built",
            (*root, key),
            f"use a {key} of at most {limit}",
        )
