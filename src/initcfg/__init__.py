"""initcfg: MMEngine-style init_cfg and fine-tune settings, checked before they run.

Validation needs no torch; the names that do (``initialize``, ``init_weights``,
``compile_init_plan``, ``compile_train_plan`` and the plan types) import it on first use.

``load_config`` returns a complete config or raises
:class:`initcfg.config.load.ConfigLoadError` (a ``ValueError`` carrying the
diagnostics); ``validate`` reports the same problems as diagnostics and never raises.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from initcfg import schema
from initcfg.check.diagnostics import Diagnostic
from initcfg.check.validate import validate, validate_init_cfg
from initcfg.config.load import load_config
from initcfg.config.tree import ConfigTree

if TYPE_CHECKING:
    from initcfg.backend.torch import InitReport, init_weights, initialize
    from initcfg.plan import InitPlan, TrainPlan, compile_init_plan, compile_train_plan

__all__ = [
    "ConfigTree",
    "Diagnostic",
    "InitPlan",
    "InitReport",
    "TrainPlan",
    "compile_init_plan",
    "compile_train_plan",
    "init_weights",
    "initialize",
    "load_config",
    "schema",
    "validate",
    "validate_init_cfg",
]

_LAZY = {
    "initialize": "initcfg.backend.torch",
    "init_weights": "initcfg.backend.torch",
    "InitReport": "initcfg.backend.torch",
    "compile_init_plan": "initcfg.plan",
    "compile_train_plan": "initcfg.plan",
    "InitPlan": "initcfg.plan",
    "TrainPlan": "initcfg.plan",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'initcfg' has no attribute {name!r}")
    return getattr(import_module(module), name)
