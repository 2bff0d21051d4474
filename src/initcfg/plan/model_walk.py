"""The model as the planner walks it: module order, tensors, class names, own init_weights.

Helpers the init planner uses to visit a torch model the way MMEngine's ``init_weights``
does (registration order, post-order for ``module.apply``), on any device, meta included.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
from collections.abc import Iterator
from typing import Any, Literal

import torch
from torch import nn

Reach = Literal["mmengine", "all"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: planning allocates many small objects and
    creates no cycles worth collecting, and collections made it up to twice as slow.

    What planning leaves (the plan: kept, or freed by reference counting when dropped)
    then goes straight to the oldest generation, where the collector's full passes see
    it as they see every long-lived object: turned back on with those objects young, the
    collector's next allocation would traverse all of them (a tenth of a large compile).
    The young generations are collected on the way in, so that nothing else skips them,
    and nothing is moved while objects are frozen (``gc.freeze`` is the caller's then).
    """
    was_enabled = gc.isenabled()
    promote = was_enabled and not gc.get_freeze_count()
    if promote:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if promote and not gc.get_freeze_count():
                gc.freeze()  # every tracked object into the permanent generation
                gc.unfreeze()  # and all of it into the oldest one, none traversed
            gc.enable()


def require_reach(value: object, caller: str) -> None:
    """Refuse a ``reach`` that is neither of the two: the walk only compares with
    ``"all"``, so ``"ALL"`` or a typo silently planned MMEngine's reach.

    Raises:
        ValueError: ``value`` is not ``"mmengine"`` or ``"all"``.
    """
    if value not in ("mmengine", "all") or not isinstance(value, str):
        raise ValueError(f"{caller}: reach must be 'mmengine' or 'all', not {value!r}")


def require_module(value: object, argument: str, caller: str) -> None:
    """Refuse a ``value`` that is not a torch module instance, naming the argument.

    The walks below read ``_parameters`` and ``named_modules`` of whatever they are
    given; anything else (None, a string, the class ``nn.Linear`` instead of an
    instance) would fail deep inside them with an AttributeError that says nothing of
    the caller's mistake.

    Raises:
        TypeError: ``value`` is not an ``nn.Module`` instance.
    """
    if isinstance(value, nn.Module):
        return
    if isinstance(value, type) and issubclass(value, nn.Module):
        got = f"the class {value.__name__} (pass an instance: {value.__name__}(...))"
    else:
        got = type(value).__name__
    raise TypeError(f"{caller}: {argument} must be a torch.nn.Module, not {got}")


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
    return bool(
        module_attr(module, "is_init", False) or module_attr(module, "_is_init", False)
    )


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


# -- fast attribute reads ----------------------------------------------------------------
# ``getattr(module, name)`` on an nn.Module looks in the class and the instance first and
# only then, through ``nn.Module.__getattr__``, in ``_parameters``, ``_buffers`` and
# ``_modules``; a miss raises AttributeError, which is slow. For a class that defines no
# attribute ``name`` and keeps torch's ``__getattr__``, the same answer comes from four
# dict look-ups.

_MISSING = object()
_CLASS_ATTRS: dict[tuple[type, str], bool] = {}


def _plain_lookup(cls: type, name: str) -> bool:
    """Whether ``getattr`` on an instance of ``cls`` resolves ``name`` as torch's tables do
    (the class defines no such attribute and keeps ``nn.Module.__getattr__``)."""
    key = (cls, name)
    found = _CLASS_ATTRS.get(key)
    if found is None:
        found = getattr(cls, "__getattr__", None) is nn.Module.__getattr__ and not any(
            name in klass.__dict__ for klass in cls.__mro__
        )
        _CLASS_ATTRS[key] = found
    return found


def module_attr(module: nn.Module, name: str, default: Any = None) -> Any:
    """``getattr(module, name, default)``, answered from the module's tables when that is
    what ``getattr`` would do."""
    cls = type(module)
    plain = _CLASS_ATTRS.get((cls, name))
    if plain is None:
        plain = _plain_lookup(cls, name)
    state = module.__dict__
    if not plain or "_modules" not in state:
        return getattr(module, name, default)
    if name in state:
        return state[name]
    for table in (state["_parameters"], state["_buffers"], state["_modules"]):
        if name in table:
            return table[name]
    return default


_NO_PARAMETERS: dict[str, Any] = {}


def written_tensor(module: nn.Module, name: str) -> Any:
    """:func:`module_attr` for a name a plan writes: straight from the parameter table
    where ``getattr`` would answer from there (the lookup of every write of an apply)."""
    tensor = module.__dict__.get("_parameters", _NO_PARAMETERS).get(name)
    if tensor is None or not _CLASS_ATTRS.get((type(module), name), False):
        tensor = module_attr(module, name)
    return tensor


def weight_and_bias(module: nn.Module) -> tuple[Any, Any]:
    """``module_attr(module, "weight")`` and ``module_attr(module, "bias")``, straight
    from the parameter table when both would answer from there (once per planned module)."""
    state = module.__dict__
    params = state.get("_parameters")
    cls = type(module)
    if (
        params is not None
        and "weight" in params
        and "bias" in params
        and "weight" not in state
        and "bias" not in state
        and _CLASS_ATTRS.get((cls, "weight"))
        and _CLASS_ATTRS.get((cls, "bias"))
    ):
        return params["weight"], params["bias"]
    return module_attr(module, "weight", None), module_attr(module, "bias", None)


def module_has(module: nn.Module, name: str) -> bool:
    """``hasattr(module, name)`` (see :func:`module_attr`)."""
    return module_attr(module, name, _MISSING) is not _MISSING


def module_has_either(module: nn.Module, first: str, second: str) -> bool:
    """``hasattr(module, first) or hasattr(module, second)``, as dict look-ups when
    ``getattr`` would answer both from the module's tables (the planner asks this of
    every child it meets)."""
    cls = type(module)
    state = module.__dict__
    if _CLASS_ATTRS.get((cls, first)) and _CLASS_ATTRS.get((cls, second)) and "_modules" in state:
        for table in (state, state["_parameters"], state["_buffers"], state["_modules"]):
            if first in table or second in table:
                return True
        return False
    return module_has(module, first) or module_has(module, second)


def set_module_flag(module: nn.Module, name: str, value: bool) -> None:
    """``setattr(module, name, value)`` for a plain flag such as ``_is_init``, skipping
    ``nn.Module.__setattr__``'s table checks when the name is in none of the tables."""
    if type(module).__setattr__ is nn.Module.__setattr__ and not (
        name in module._parameters or name in module._buffers or name in module._modules
    ):
        object.__setattr__(module, name, value)
    else:
        setattr(module, name, value)


# What the planner reads of a module besides its tables: a class that answers these
# through a descriptor (a property) or its own attribute hooks could answer differently
# for two instances alike in every table, so its subtrees get no kind.
_READ = ("init_cfg", "_is_init", "is_init", "weight", "bias")
_KINDABLE: dict[type, bool] = {}
_ABSENT = ("absent",)


def _kindable(cls: type) -> bool:
    found = _KINDABLE.get(cls)
    if found is None:
        found = (
            getattr(cls, "__getattr__", None) is nn.Module.__getattr__
            and getattr(cls, "__getattribute__", None) is object.__getattribute__
        )
        for name in _READ if found else ():
            for klass in cls.__mro__:
                if name in klass.__dict__:
                    found = found and not hasattr(type(klass.__dict__[name]), "__get__")
                    break
        _KINDABLE[cls] = found
    return found
