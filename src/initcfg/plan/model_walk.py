"""The model as the planner walks it: module order, tensors, class names, own init_weights.

Helpers the init planner uses to visit a torch model the way MMEngine's ``init_weights``
does (registration order, post-order for ``module.apply``), on any device, meta included.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
from collections.abc import Iterator
from typing import Literal

import torch
from torch import nn

Reach = Literal["mmengine", "all"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: planning allocates many small objects and
    creates no cycles worth collecting, and collections made it up to twice as slow."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_NAMES: dict[type, frozenset[str]] = {}
_LOCATIONS: dict[type, tuple[str | None, int | None]] = {}


def _class_names(cls: type) -> frozenset[str]:
    found = _NAMES.get(cls)
    if found is None:
        # MMEngine compares the class name and the names of its *direct* bases only.
        found = frozenset([cls.__name__, *(base.__name__ for base in cls.__bases__)])
        _NAMES[cls] = found
    return found


def _class_location(cls: type) -> tuple[str | None, int | None]:
    found = _LOCATIONS.get(cls)
    if found is None:
        try:
            file = inspect.getsourcefile(cls)
            found = (file, inspect.getsourcelines(cls)[1] if file else None)
        except (OSError, TypeError):
            found = (None, None)
        _LOCATIONS[cls] = found
    return found


def is_mmengine_init_weights(function: object) -> bool:
    """Whether ``function`` is MMEngine's own ``BaseModule.init_weights`` (checked by name
    so that mmengine need not be importable)."""
    return (
        getattr(function, "__qualname__", "") == "BaseModule.init_weights"
        and getattr(function, "__module__", "") == "mmengine.model.base_module"
    )


_OWN_INIT: dict[type, bool] = {}


def has_own_init_weights(module: nn.Module) -> bool:
    """A user-defined ``init_weights`` that MMEngine would call instead of any cfg logic."""
    cls = type(module)
    own = _OWN_INIT.get(cls)
    if own is None:
        method = getattr(cls, "init_weights", None)
        own = method is not None and not is_mmengine_init_weights(method)
        _OWN_INIT[cls] = own
    # An instance attribute (rare) counts too, as MMEngine's hasattr sees it.
    return own or "init_weights" in module.__dict__


def is_initialized(module: nn.Module) -> bool:
    return bool(getattr(module, "is_init", False) or getattr(module, "_is_init", False))


def named_tensors(root: nn.Module) -> list[tuple[str, torch.Tensor, bool]]:
    """``(name, tensor, is_parameter)`` in ``named_parameters()`` then ``named_buffers()``
    order, each tensor once, in one walk over the modules."""
    modules = list(root.named_modules())
    out: list[tuple[str, torch.Tensor, bool]] = []
    for table in ("_parameters", "_buffers"):
        seen: set[int] = set()
        for prefix, module in modules:
            for name, tensor in getattr(module, table).items():
                if tensor is None or id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                out.append((f"{prefix}.{name}" if prefix else name, tensor, table == "_parameters"))
    return out


def children(module: nn.Module) -> list[tuple[str, nn.Module]]:
    """``named_children()`` without the generator: registration order, None skipped, a
    module registered twice under one parent listed once."""
    seen: set[int] = set()
    out: list[tuple[str, nn.Module]] = []
    for name, child in module._modules.items():
        if child is not None and id(child) not in seen:
            seen.add(id(child))
            out.append((name, child))
    return out


def postorder(module: nn.Module, path: str) -> list[tuple[str, nn.Module]]:
    """``module.apply`` order: each child's subtree in registration order, then the module
    (a module shared by two parents appears under both, as ``apply`` visits it twice)."""
    out: list[tuple[str, nn.Module]] = []

    def walk(node: nn.Module, node_path: str) -> None:
        for name, child in children(node):
            walk(child, f"{node_path}.{name}" if node_path else name)
        out.append((node_path, node))

    walk(module, path)
    return out
