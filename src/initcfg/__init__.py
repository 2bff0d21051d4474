"""initcfg: MMEngine-style init_cfg and fine-tune settings, checked before they run.

Every public name is imported on first use, so ``import initcfg`` (and with it every
``initcfg`` command, whose ``--help`` needs none of them) costs almost nothing.
Validation needs no torch; the names that do (``initialize``, ``init_weights``,
``compile_init_plan``, ``compile_train_plan`` and the plan types) import it when used.

``load_config`` returns a complete config or raises
:class:`initcfg.errors.ConfigLoadError` (a ``ValueError`` carrying the
diagnostics); ``validate`` reports the same problems as diagnostics and never raises
for a bad config (only for a caller's mistake: an argument that is no path or mapping,
an unknown code in ``select``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from initcfg import schema
    from initcfg.backend.torch import InitReport, init_weights, initialize
    from initcfg.check.validate import validate, validate_init_cfg
    from initcfg.config.load import load_config
    from initcfg.config.tree import ConfigTree
    from initcfg.diagnostics import Diagnostic
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

# Where each public name lives; `schema` is the subpackage itself.
_LAZY = {
    "ConfigTree": "initcfg.config.tree",
    "Diagnostic": "initcfg.diagnostics",
    "validate": "initcfg.check.validate",
    "validate_init_cfg": "initcfg.check.validate",
    "load_config": "initcfg.config.load",
    "initialize": "initcfg.backend.torch",
    "init_weights": "initcfg.backend.torch",
    "InitReport": "initcfg.backend.torch",
    "compile_init_plan": "initcfg.plan",
    "compile_train_plan": "initcfg.plan",
    "InitPlan": "initcfg.plan",
    "TrainPlan": "initcfg.plan",
}


def __getattr__(name: str) -> Any:
    if name == "schema":
        return import_module("initcfg.schema")
    if name == "__version__":
        from importlib.metadata import version

        return version("initcfg")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'initcfg' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
