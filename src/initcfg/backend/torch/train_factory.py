"""Resolve ``type='module:callable'`` values to Python callables and call them.

The convention: the part before the colon is a dotted module path importable from
the current directory (``examples.shapes.model``) or a ``.py`` file path, relative to
the config file when not absolute; the part after it names a callable in that module
(a function or a class), looked up attribute by attribute (``Outer.build`` works).
The other keys of the dict are the callable's keyword arguments.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from initcfg.backend.torch.train_settings import Factory, TrainError
from initcfg.check.suggest import did_you_mean
from initcfg.config.source import KeyPath


def _import_file(path: Path, key: KeyPath) -> ModuleType:
    name = f"_initcfg_factory_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TrainError(f"cannot import {str(path)!r}", key)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _import_module(name: str, key: KeyPath) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        # Like `python -m`, let configs name modules of the project they sit in.
        cwd = os.getcwd()
        if cwd not in sys.path and missing.name and name.startswith(missing.name):
            sys.path.insert(0, cwd)
            try:
                return importlib.import_module(name)
            except ModuleNotFoundError:
                pass
        raise TrainError(
            f"cannot import module {name!r} ({missing})",
            key,
            hint="run from the directory that contains the package, or name a .py file",
        ) from None


def resolve(target: str, key: KeyPath = (), base_dir: str | None = None) -> Any:
    """The callable ``target`` (``module:callable``) names.

    Args:
        target: ``package.module:name`` or ``path/file.py:name``.
        key: The config key path of the ``type`` value, for error messages.
        base_dir: Directory a relative ``.py`` path is relative to (the config's).

    Raises:
        TrainError: the module cannot be imported or has no such callable.
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise TrainError(f"expected 'module:callable', got {target!r}", key)
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise TrainError(f"no such file {str(path)!r}", key)
        module = _import_file(path.resolve(), key)
    else:
        module = _import_module(module_name, key)
    value: Any = module
    for part in attr.split("."):
        if not hasattr(value, part):
            names = [n for n in dir(value) if not n.startswith("_")]
            raise TrainError(
                f"{module_name!r} has no attribute {part!r}", key, hint=did_you_mean(part, names)
            )
        value = getattr(value, part)
    if not callable(value):
        raise TrainError(f"{target!r} is not callable", key)
    return value


def build(factory: Factory, base_dir: str | None = None, **overrides: Any) -> Any:
    """Call the factory with its keyword arguments (``overrides`` win).

    Raises:
        TrainError: resolving failed, or the callable rejected its arguments.
    """
    func = resolve(factory.target, (*factory.path, "type"), base_dir)
    kwargs = {**factory.kwargs, **overrides}
    try:
        return func(**kwargs)
    except TypeError as error:
        message = f"{factory.target}({', '.join(kwargs)}) failed: {error}"
        raise TrainError(message, factory.path) from None
