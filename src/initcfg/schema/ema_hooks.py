"""The ``EMAHook`` entries of ``custom_hooks``, as MMEngine 0.10.7 builds them.

``EMAHook(ema_type='ExponentialMovingAverage', begin_iter=0, begin_epoch=0, **kwargs)``
(MMEngine's, and MMPretrain's subclass of it) hands ``kwargs`` to the averaged model it
builds in ``before_run``. Each EMA type below mixes the model into its average as
``average = (1 - momentum) * average + momentum * current`` and asserts
``0 < momentum < 1``; a momentum above 0.5 it only logs a warning about.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

__all__ = ["EMA_ARGUMENTS", "HOOK_KEYS", "MOMENTUM_EMA_TYPES", "EmaHook", "ema_hooks"]

# The averaged models whose `momentum` is the weight of the current model: MMEngine's
# ExponentialMovingAverage and MomentumAnnealingEMA, MMDetection's ExpMomentumEMA and
# MMPretrain's CosineEMA (all subclasses of the first).
MOMENTUM_EMA_TYPES = frozenset(
    {"ExponentialMovingAverage", "MomentumAnnealingEMA", "ExpMomentumEMA", "CosineEMA"}
)

# The keyword arguments each averaged model takes after `model`, which EMAHook's
# **kwargs become (tests/parity/test_ema_hook.py compares them with the classes).
EMA_ARGUMENTS: dict[str, frozenset[str]] = {
    "ExponentialMovingAverage": frozenset({"momentum", "interval", "device", "update_buffers"}),
    "MomentumAnnealingEMA": frozenset(
        {"momentum", "gamma", "interval", "device", "update_buffers"}),
    "ExpMomentumEMA": frozenset({"momentum", "gamma", "interval", "device", "update_buffers"}),
    "CosineEMA": frozenset({"momentum", "end_momentum", "interval", "device", "update_buffers"}),
    "StochasticWeightAverage": frozenset({"interval", "device", "update_buffers"}),
}

# The keys of a custom_hooks entry that are not passed to the averaged model: the
# registry's type, the Runner's priority, EMAHook's own arguments and those of
# MMPretrain's subclass of it.
HOOK_KEYS = frozenset({
    "type", "_scope_", "priority", "ema_type", "strict_load", "begin_iter", "begin_epoch",
    "evaluate_on_ema", "evaluate_on_origin",
})

_HOOK = "EMAHook"
_DEFAULT_EMA = "ExponentialMovingAverage"


class EmaHook(NamedTuple):
    """One ``EMAHook`` entry of ``custom_hooks``.

    Attributes:
        position: Its index in ``custom_hooks``.
        ema_type: The averaged model's class name, without a scope or module prefix
            (``ExponentialMovingAverage`` when not written); None when it is no string.
        written: The entry's keys and values as written.
    """

    position: int
    ema_type: str | None
    written: Mapping[str, Any]

    def unknown_arguments(self) -> list[str]:
        """The keys the averaged model gets that it takes no argument for (empty for an
        EMA type initcfg does not know)."""
        accepted = EMA_ARGUMENTS.get(self.ema_type or "")
        if accepted is None:
            return []
        return [key for key in self.written if key not in HOOK_KEYS and key not in accepted]

    @property
    def momentum_weighs_current(self) -> bool:
        """The averaged model reads ``momentum`` as the current model's weight."""
        return self.ema_type in MOMENTUM_EMA_TYPES


def ema_hooks(data: Mapping[str, Any]) -> Iterator[EmaHook]:
    """Every ``EMAHook`` of ``data``'s ``custom_hooks`` (any scope prefix)."""
    hooks = data.get("custom_hooks")
    if not isinstance(hooks, list | tuple):
        return
    for index, hook in enumerate(hooks):
        if not isinstance(hook, Mapping):
            continue
        kind = hook.get("type")
        if not isinstance(kind, str) or kind.rpartition(".")[2] != _HOOK:
            continue
        ema = hook.get("ema_type", _DEFAULT_EMA)
        yield EmaHook(index, ema.rpartition(".")[2] if isinstance(ema, str) else None, hook)
