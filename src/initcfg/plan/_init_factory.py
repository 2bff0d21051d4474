"""``MODULE:FACTORY`` model factories for ``initcfg plan``: import, call, check."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn


class FactoryError(ValueError):
    """The factory cannot be imported or called, or returns something that is not a model."""


def load_factory(spec: str) -> Any:
    """The callable named by ``module.path:name`` or ``path/to/file.py:name``.

    Raises:
        FactoryError: The spec is malformed, or the module or name cannot be found.
    """
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise FactoryError(f"--model must be MODULE:FACTORY (got {spec!r})")
    try:
        if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise FactoryError(f"model factory file {module_name} does not exist")
            loader = importlib.util.spec_from_file_location(f"_initcfg_factory_{path.stem}", path)
            if loader is None or loader.loader is None:
                raise FactoryError(f"cannot import {module_name}")
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except ImportError as error:
        raise FactoryError(f"cannot import {module_name}: {error}") from error
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise FactoryError(f"{module_name} has no callable {attr!r}")
    return factory


def accepts_argument(factory: Any) -> bool:
    """Whether ``factory`` can be called with one positional argument."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return False
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            return True
        if parameter.kind == parameter.VAR_POSITIONAL:
            return True
    return False


def build_model(spec: str, model_section: Mapping[str, Any] | None) -> nn.Module:
    """Import the factory and build the model, passing the config's ``model`` section
    when the factory accepts an argument.

    Raises:
        FactoryError: As :func:`load_factory`, or the result is not an ``nn.Module``.
    """
    factory = load_factory(spec)
    section = dict(model_section) if isinstance(model_section, Mapping) else {}
    try:
        model = factory(section) if accepts_argument(factory) else factory()
    except Exception as error:  # the user's code: any failure is reported, not raised
        raise FactoryError(f"{spec} raised {type(error).__name__}: {error}") from error
    if not isinstance(model, nn.Module):
        raise FactoryError(f"{spec} returned a {type(model).__name__}, not a torch.nn.Module")
    return model
