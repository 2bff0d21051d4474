"""The model as the planner walks it: module order, tensors, class names, own init_weights.

Helpers the init planner uses to visit a torch model the way MMEngine's ``init_weights``
does (registration order, post-order for ``module.apply``), on any device, meta included.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar

import torch
from torch import nn

Reach = Literal["mmengine", "all"]
T = TypeVar("T")


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


def tensor_table(
    cls: type[T],
    tensors: list[tuple[str, torch.Tensor, bool]],
    shapes: list[tuple[int, ...] | None],
) -> dict[str, T]:
    """Name → ``cls(name, shape, kind)`` for each of ``tensors`` (``kind``: ``parameter``
    or ``buffer``), shapes from ``shapes`` (:meth:`ModuleIndex.shapes`, in the same order)
    where known.

    ``cls`` is a frozen slots dataclass with exactly those three fields (the plan's
    ``TensorInfo``); its slots are set through their descriptors, which builds the same
    objects as its ``__init__`` (it only assigns) at about half the cost, and a compile
    builds one per tensor of the model.
    """
    new = object.__new__
    set_name, set_shape, set_kind = (
        getattr(cls, field).__set__ for field in ("name", "shape", "kind")
    )
    out: dict[str, T] = {}
    for (name, tensor, is_param), shape in zip(tensors, shapes, strict=True):
        made = new(cls)
        set_name(made, name)
        set_shape(made, shape if shape is not None else tuple(tensor.shape))
        set_kind(made, "parameter" if is_param else "buffer")
        out[name] = made
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


def _flag(value: Any) -> Any:
    """A flag's value as a kind records it (anything but None or a bool by identity)."""
    return value if value is None or type(value) is bool else ("object", id(value))


def _own_state(
    module: nn.Module, state: dict[str, Any], init_cfg_key: Callable[[Any], Any]
) -> tuple[Any, ...] | None:
    """What the planner reads of ``module`` itself, as a hashable value (None: too
    irregular to compare)."""
    cls = type(module)
    if not _kindable(cls):
        return None
    if "init_cfg" in state:
        value = init_cfg_key(state["init_cfg"])
        if value is None:
            return None
    else:
        value = _ABSENT
    return (
        cls,
        value,
        "init_weights" in state,
        "weight" in state,
        "bias" in state,
        _flag(state.get("_is_init")),
        _flag(state.get("is_init")),
    )


Walk = Callable[[nn.Module, str, bool, "Walk"], int]


class ModuleIndex:
    """One walk over the model per compile, answering what the planner asks many times.

    The walk reads each module's tables once: its children, and (the first time it
    meets a module) its parameters and buffers with their names and shapes, which are
    what :meth:`named_tensors`, :meth:`known`, :meth:`names` and :meth:`shapes` give.

    Attributes:
        modules: Every registered path → module (``named_modules(remove_duplicate=False)``).
        preorder: ``named_modules()`` order, each module once.
        order: ``module.apply`` order (see :func:`postorder`) from the root.
        kinds: Module path → an integer equal for two subtrees exactly when everything
            the planner reads of them matches: classes, child names, tensor names and
            shapes, ``init_cfg`` values (compared through ``init_cfg_key``, which gives a
            hashable value or None), the flags of ``_is_init``. Only built with an
            ``init_cfg_key``; a subtree with a shared module or tensor, a lazy tensor or
            a class with its own attribute hooks has none.
    """

    def __init__(
        self, root: nn.Module, *, init_cfg_key: Callable[[Any], Any] | None = None
    ) -> None:
        self.root = root
        self.modules: dict[str, nn.Module] = {}
        self.preorder: list[tuple[str, nn.Module]] = []
        self.order: list[tuple[str, nn.Module]] = []
        self._span: dict[str, tuple[int, int]] = {}  # path → its subtree's slice of ``order``
        self._children: dict[int, list[tuple[str, nn.Module]]] = {}
        self._tensors: list[tuple[str, torch.Tensor, bool]] = []
        self._known: dict[int, tuple[str, tuple[int, ...]]] = {}
        self._names: dict[int, str] = {}
        self._shapes: list[tuple[int, ...] | None] = []
        self._lazy = False
        self.kinds: dict[str, int] = {}
        self.kind_counts: list[int] = []  # kind → how many subtrees have it
        self._build(root, init_cfg_key)

    def _build(self, root: nn.Module, init_cfg_key: Callable[[Any], Any] | None) -> None:
        from torch.nn import parameter

        lazy_type = parameter.UninitializedTensorMixin  # type: ignore[attr-defined]  # is_lazy's test

        modules, preorder, order, span = self.modules, self.preorder, self.order, self._span
        kinds, counts = self.kinds, self.kind_counts
        interned: dict[Any, int] | None = {} if init_cfg_key is not None else None
        seen: set[int] = set()
        # Parameters come before buffers in named_tensors(), each table deduplicated on
        # its own; the walk fills both at once and joins them at the end.
        param_names: dict[int, str] = {}
        buffer_names: dict[int, str] = {}
        param_known: dict[int, tuple[str, tuple[int, ...]]] = {}
        buffer_known: dict[int, tuple[str, tuple[int, ...]]] = {}
        param_out: list[tuple[str, torch.Tensor, bool]] = []
        buffer_out: list[tuple[str, torch.Tensor, bool]] = []
        param_shapes: list[tuple[int, ...] | None] = []
        buffer_shapes: list[tuple[int, ...] | None] = []
        params_side = (param_names, param_known, param_out, param_shapes, True)
        buffers_side = (buffer_names, buffer_known, buffer_out, buffer_shapes, False)
        lazy = False

        def walk(module: nn.Module, path: str, in_order: bool, again: Walk) -> int:
            """Index ``module``'s subtree; its kind (see :attr:`kinds`), -1 for none.
            (``again`` is this function: naming itself from its closure would make a
            reference cycle, holding the whole index until the collector finds it.)"""
            nonlocal lazy
            pair = (path, module)
            modules[path] = module
            state = module.__dict__
            plain = interned is not None  # whether this subtree gets a kind
            layout: list[Any] = []
            if id(module) in seen:
                plain = False  # shared: its tensors' names belong to its first path
            else:
                seen.add(id(module))
                preorder.append(pair)
                params = state.get("_parameters")
                buffers = state.get("_buffers")
                if params is None or buffers is None:  # tables kept elsewhere (rare)
                    params, buffers, plain = module._parameters, module._buffers, False
                if params or buffers:
                    dotted = f"{path}." if path else ""
                    for table, side in ((params, params_side), (buffers, buffers_side)):
                        if not table:
                            continue
                        names, known, out, shapes, is_param = side
                        for name, tensor in table.items():
                            if tensor is None:
                                if plain:
                                    layout.append((is_param, name, None))
                                continue
                            key = id(tensor)
                            if key in names:
                                plain = False  # named where it was first registered
                                continue
                            full = dotted + name
                            names[key] = full
                            out.append((full, tensor, is_param))
                            if isinstance(tensor, lazy_type):
                                lazy, plain = True, False
                                shapes.append(None)
                                continue
                            shape = tuple(tensor.shape)
                            known[key] = (full, shape)
                            shapes.append(shape)
                            if plain:
                                layout.append((is_param, name, shape))
            start = len(order)
            registered = state.get("_modules")
            if registered is None:
                registered, plain = module._modules, False
            if registered:
                prefix = f"{path}." if path else ""
                regular = True  # no None, no module twice under it, none met before
                for child in registered.values():
                    if child is None or id(child) in seen:
                        regular = False
                        break
                if regular and len(registered) > 1:
                    regular = len({id(child) for child in registered.values()}) == len(registered)
                if regular:
                    for name, child in registered.items():
                        kind = again(child, prefix + name, in_order, again)  # type: ignore[arg-type]  # no None here
                        if kind < 0:
                            plain = False
                        elif plain:
                            layout.append((name, kind))
                else:
                    plain = False
                    kept = self.children(module)
                    if len(kept) == len(registered):
                        for name, child in kept:
                            again(child, prefix + name, in_order, again)
                    else:
                        kept_names = {name for name, _ in kept}
                        for name, sub in registered.items():
                            if sub is not None:
                                again(sub, prefix + name, in_order and name in kept_names, again)
            if in_order:
                order.append(pair)
                span[path] = (start, len(order))
            if not plain or interned is None or init_cfg_key is None:
                return -1
            own = _own_state(module, state, init_cfg_key)
            if own is None:
                return -1
            kind = interned.setdefault((own, tuple(layout)), len(interned))
            kinds[path] = kind
            if kind == len(counts):
                counts.append(1)
            else:
                counts[kind] += 1
            return kind

        walk(root, "", True, walk)
        for key, found in buffer_known.items():
            param_known.setdefault(key, found)
        for key, name in buffer_names.items():
            param_names.setdefault(key, name)
        # A tensor registered as a parameter and as a buffer is listed in both tables
        # (as named_tensors() does); its shape comes from the first listing.
        self._tensors = param_out + buffer_out
        self._shapes = param_shapes + buffer_shapes
        self._known, self._names, self._lazy = param_known, param_names, lazy

    def children(self, module: nn.Module) -> list[tuple[str, nn.Module]]:
        """:func:`children`, computed once per module."""
        found = self._children.get(id(module))
        if found is None:
            found = self._children[id(module)] = children(module)
        return found

    def postorder(self, module: nn.Module, path: str) -> list[tuple[str, nn.Module]]:
        """:func:`postorder` of ``module`` at ``path``: a slice of the root's order."""
        span = self._span.get(path)
        if span is None or self.modules.get(path) is not module:
            return postorder(module, path)
        return self.order[span[0] : span[1]]

    def named_tensors(self) -> list[tuple[str, torch.Tensor, bool]]:
        """:func:`named_tensors`, from the index's walk."""
        return self._tensors

    def has_lazy_tensors(self) -> bool:
        """Whether any parameter or buffer is uninitialized (a lazy module's)."""
        return self._lazy

    def known(self) -> dict[int, tuple[str, tuple[int, ...]]]:
        """``id(tensor)`` → (canonical name, shape) of each registered tensor that has a
        shape (not a lazy one)."""
        return self._known

    def names(self) -> dict[int, str]:
        """``id(tensor)`` → canonical name (its first name in :meth:`named_tensors`) of
        every registered tensor, lazy ones included."""
        return self._names

    def shapes(self) -> list[tuple[int, ...] | None]:
        """The shape of each of :meth:`named_tensors` (None for a lazy tensor), in order."""
        return self._shapes
