"""IC339: ``paramwise_cfg.flat_decay_mult`` without ``optimizer.weight_decay``.

MMEngine's DefaultOptimWrapperConstructor applies every decay multiplier only when the
optimizer config writes ``weight_decay`` (``base_wd``),
and refuse the bias, norm and depthwise ones without it (IC451) but not
``flat_decay_mult``, which is then dropped: the optimizer decays the one-dimensional
parameters with its own default, which for AdamW is 0.01, not zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from initcfg.check.finetune_places import fmt, place
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic
from initcfg.schema.layer_decay import layer_decay_constructor

if TYPE_CHECKING:
    from initcfg.schema.finetune import FinetuneSettings

__all__ = ["check_flat_decay_without_weight_decay"]


def check_flat_decay_without_weight_decay(
    tree: ConfigTree, settings: FinetuneSettings
) -> Iterator[Diagnostic]:
    wrapper = settings.optim_wrapper
    if wrapper is None or wrapper.paramwise_cfg is None:
        return
    flat = wrapper.paramwise_cfg.flat_decay_mult
    if flat is None or layer_decay_constructor(wrapper.constructor) is not None:
        # MMDetection's layer-decay constructor zeroes the decay of 1-D parameters
        # itself; MMPretrain's raises without weight_decay (IC303).
        return
    optimizer = wrapper.optimizer
    default = optimizer.argument("weight_decay")
    if optimizer.weight_decay is not None or not isinstance(default, int | float):
        return
    if default == flat * default:
        return  # what it asks for is what the default gives (0 for SGD and Adam)
    yield place(
        tree, "IC339",
        f"paramwise_cfg.flat_decay_mult={fmt(flat)} does nothing: MMEngine applies decay "
        "multipliers only when optim_wrapper.optimizer writes weight_decay, so "
        f"{optimizer.type} decays the one-dimensional parameters (norms, biases) with its "
        f"default weight_decay {fmt(default)}",
        ("optim_wrapper", "paramwise_cfg", "flat_decay_mult"),
        f"write optimizer.weight_decay (the default is {fmt(default)})",
    )
