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
