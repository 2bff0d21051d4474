"""Build the model, dataset and metric a training config names (``type='module:callable'``).

Names are resolved by :mod:`initcfg.plan.factory`; the other keys of the dict are the
callable's keyword arguments.
"""

from __future__ import annotations

from typing import Any

from initcfg.backend.torch.train_settings import Factory
from initcfg.errors import FactoryError, TrainError
from initcfg.plan.factory import resolve


def build(
    factory: Factory, base_dir: str | None = None, *, trust: bool = False, **overrides: Any
) -> Any:
    """Call the factory with its keyword arguments (``overrides`` win).

    Only the project's own modules are imported unless ``trust`` is set (a config must
    not name ``os:system``; see :func:`initcfg.plan.factory.resolve`).

    Raises:
        TrainError: resolving failed, or the callable rejected its arguments.
    """
    try:
        func = resolve(
            factory.target, (*factory.path, "type"), base_dir, project_only=not trust
        )
    except FactoryError as error:
        raise TrainError(error.message, error.path, hint=error.hint, code=error.code) from None
    kwargs = {**factory.kwargs, **overrides}
    try:
        return func(**kwargs)
    except TypeError as error:
        message = f"{factory.target}({', '.join(kwargs)}) failed: {error}"
        raise TrainError(message, factory.path) from None
    except (Exception, SystemExit) as error:  # the project's code: reported with its place
        raise TrainError(
            f"{factory.target}({', '.join(kwargs)}) raised {type(error).__name__}: {error}",
            (*factory.path, "type"),
        ) from None


# What the loop calls on the object a val_evaluator factory returns.
EVALUATOR_METHODS = ("reset", "update", "compute")


def build_evaluator(factory: Factory, base_dir: str | None = None, *, trust: bool = False
                    ) -> Any:
    """:func:`build` for ``val_evaluator``, whose object must have the methods the loop
    calls (checked now, not at the end of the first epoch).

    Raises:
        TrainError: as :func:`build`, or the object lacks one of those methods.
    """
    evaluator = build(factory, base_dir, trust=trust)
    lacking = [name for name in EVALUATOR_METHODS if not callable(getattr(evaluator, name, None))]
    if lacking:
        raise TrainError(
            f"{factory.target} returned an object of type {type(evaluator).__name__} "
            "without " + ", ".join(f"{name}()" for name in lacking)
            + ": an evaluator needs reset(), update(outputs, targets) and compute()",
            (*factory.path, "type"),
        )
    return evaluator
