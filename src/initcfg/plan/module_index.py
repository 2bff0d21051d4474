"""The model's index for one compile: every module, tensor and repeated subtree, in one walk.

A compile asks the same questions of the model many times (a module's children, a
tensor's canonical name and shape, which subtrees are alike). The index walks the model
once and answers them from tables. It reads each module's ``_parameters``, ``_buffers``
and ``_modules`` dicts directly: the walk is a large share of a compile on a model of many
small modules, so it keeps only what a compile asks for and makes few calls per module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from initcfg.plan.model_walk import _ABSENT, _KINDABLE, _kindable, children, postorder

Walk = Callable[[nn.Module, str, "Walk"], int]


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """A parameter or buffer of the planned model."""

    name: str
    shape: tuple[int, ...]
    kind: str  # "parameter" or "buffer"


# The walk builds one TensorInfo per tensor of the model: it sets the slots through their
# descriptors, which gives the same object as the frozen ``__init__`` (it only assigns) at
# about half the cost of its ``object.__setattr__`` calls.
_new = object.__new__
_T_NAME, _T_SHAPE, _T_KIND = (
    getattr(TensorInfo, name).__set__ for name in ("name", "shape", "kind")
)

# One table's tensors as the walk collects them: by id, the info of those with a shape;
# by id, the name of a lazy one; by name, every info; and the tensors in order.
_Side = tuple[dict[int, TensorInfo], dict[int, str], dict[str, TensorInfo], list[torch.Tensor], str]
# The same for a model that shares no tensor and has no lazy one: every info by name,
# the tensors in order.
_Table = tuple[dict[str, TensorInfo], list[torch.Tensor], str]


class _Unusual(Exception):
    """A model :meth:`ModuleIndex._build_plain` leaves to :meth:`ModuleIndex._build`."""


class ModuleIndex:
    """One walk over the model per compile, answering what the planner asks many times.

    The walk reads each module's tables once: its children, and (the first time it
    meets a module) its parameters and buffers with their names and shapes, which are
    what :attr:`tensors`, :meth:`known` and :meth:`names` give.

    Attributes:
        modules: Every registered path → module (``named_modules(remove_duplicate=False)``).
        tensors: Every parameter, then every buffer, by canonical name (the plan's
            ``InitPlan.tensors``; a lazy tensor, which has no shape, shows ``()``).
        tensor_list: The tensors themselves, in the same order.
        kinds: Module path → an integer equal for two subtrees exactly when everything
            the planner reads of them matches: classes, child names, tensor names and
            shapes, ``init_cfg`` values (compared through ``init_cfg_key``, which gives a
            hashable value or None), the flags of ``_is_init``. Only built with an
            ``init_cfg_key``; a subtree with a shared module or tensor, a lazy tensor, a
            buffer that is a parameter elsewhere, a non-None ``weight`` or ``bias`` kept
            as a plain attribute, or a class with its own attribute hooks has none.
    """

    def __init__(
        self, root: nn.Module, *, init_cfg_key: Callable[[Any], Any] | None = None
    ) -> None:
        self.root = root
        self.modules: dict[str, nn.Module] = {}
        self._children: dict[int, list[tuple[str, nn.Module]]] = {}
        self.tensors: dict[str, TensorInfo] = {}
        self.tensor_list: list[torch.Tensor] = []
        self.parameter_count = 0  # the first this many of :attr:`tensors` are parameters
        self._known: dict[int, TensorInfo] = {}
        self._lazy_names: dict[int, str] = {}
        self._names: dict[int, str] | None = None
        self._lazy = False
        self.kinds: dict[str, int] = {}
        self.kind_counts: list[int] = []  # kind → how many subtrees have it
        if not self._build_plain(root, init_cfg_key):
            self.modules, self.kinds, self.kind_counts = {}, {}, []
            self._build(root, init_cfg_key)

    def _kind_giver(
        self, init_cfg_key: Callable[[Any], Any] | None
    ) -> Callable[[nn.Module, str, dict[str, Any], list[Any]], int]:
        """The function both walks end a plain subtree with: from its module, path,
        ``__dict__`` and layout (see ``walk`` in :meth:`_build`), its kind, -1 for none."""
        kinds, counts = self.kinds, self.kind_counts
        interned: dict[Any, int] = {}
        frozen = init_cfg_key if init_cfg_key is not None else (lambda value: None)
        kindable = _KINDABLE

        def give(module: nn.Module, path: str, state: dict[str, Any], layout: list[Any]) -> int:
            cls = type(module)
            if not (kindable.get(cls) or _kindable(cls)):
                return -1
            if state.get("weight") is not None or state.get("bias") is not None:
                # a plain attribute the planner writes or reports (IC407) as the module's
                # weight or bias: its value is in no table, so the layout cannot show it
                return -1
            if "init_cfg" in state:
                value = frozen(state["init_cfg"])
                if value is None:
                    return -1
            else:
                value = _ABSENT
            is_init, init = state.get("_is_init"), state.get("is_init")
            found = (
                cls,
                value,
                "init_weights" in state,
                "weight" in state,
                "bias" in state,
                # a flag by value when None or a bool, else by identity
                is_init if is_init is None or type(is_init) is bool else ("object", id(is_init)),
                init if init is None or type(init) is bool else ("object", id(init)),
                *layout,  # one flat tuple: hashed once, with no tuple inside for it
            )
            kind = interned.setdefault(found, len(interned))
            kinds[path] = kind
            if kind == len(counts):
                counts.append(1)
            else:
                counts[kind] += 1
            return kind

        return give

    def _build_plain(self, root: nn.Module, init_cfg_key: Callable[[Any], Any] | None) -> bool:
        """:meth:`_build` for a model that shares no module or tensor, has no lazy tensor
        and keeps every module's tables in its ``__dict__`` (most models): the same tables
        at a lower cost per module and tensor, as nothing is looked for on the way (the
        sharing is checked once, at the end). False, the tables half built, for any other."""
        from torch.nn import parameter

        lazy_type = parameter.UninitializedTensorMixin  # type: ignore[attr-defined]  # is_lazy's test

        modules = self.modules
        give = self._kind_giver(init_cfg_key)
        keyed = init_cfg_key is not None
        known: dict[int, TensorInfo] = {}
        params_side: _Table = ({}, [], "parameter")
        buffers_side: _Table = ({}, [], "buffer")
        eager: set[type] = set()  # tensor classes met that are not lazy
        distinct: dict[tuple[int, ...], tuple[int, ...]] = {}
        new, set_name, set_shape, set_kind = _new, _T_NAME, _T_SHAPE, _T_KIND

        def table(items: dict[str, Any], dotted: str, side: _Table, layout: list[Any]) -> None:
            """As ``table`` in :meth:`_build`, for tensors met once; raises _Unusual."""
            infos, tensors, kind = side
            layout.append(tuple(items))
            for name, tensor in items.items():
                if tensor is None:
                    layout.append(None)
                    continue
                cls = type(tensor)
                if cls not in eager:
                    if isinstance(tensor, lazy_type):
                        raise _Unusual
                    eager.add(cls)
                size = tensor.shape
                shape = distinct.get(size)
                if shape is None:
                    shape = tuple(size)
                    distinct[shape] = shape
                full = dotted + name
                info = new(TensorInfo)
                set_name(info, full)
                set_shape(info, shape)
                set_kind(info, kind)
                known[id(tensor)] = info
                infos[full] = info
                tensors.append(tensor)
                layout.append(shape)

        def walk(module: nn.Module, path: str, again: Walk) -> int:
            """As ``walk`` in :meth:`_build`, for a subtree met once; raises _Unusual."""
            modules[path] = module
            state = module.__dict__
            params = state.get("_parameters")
            buffers = state.get("_buffers")
            registered = state.get("_modules")
            if params is None or buffers is None or registered is None:
                raise _Unusual  # tables kept elsewhere (rare)
            plain = keyed
            dotted = f"{path}." if path else ""
            layout: list[Any] = []
            if params:
                table(params, dotted, params_side, layout)
            layout.append(0)  # parameters end here
            if buffers:
                table(buffers, dotted, buffers_side, layout)
            if registered:
                layout.append(1)  # children begin here
                for name, child in registered.items():
                    if child is None:
                        plain = False
                        continue
                    kind = again(child, dotted + name, again)
                    if kind < 0:
                        plain = False
                    elif plain:
                        layout.append(name)
                        layout.append(kind)
            return give(module, path, state, layout) if plain else -1

        try:
            walk(root, "", walk)
        except (_Unusual, RecursionError):
            return False
        p_infos, p_tensors, _ = params_side
        b_infos, b_tensors, _ = buffers_side
        if len(known) != len(p_tensors) + len(b_tensors):
            return False  # a tensor registered twice
        if len({id(module) for module in modules.values()}) != len(modules):
            return False  # a module registered twice
        self.parameter_count = len(p_infos)
        p_infos.update(b_infos)
        self.tensors, self.tensor_list = p_infos, p_tensors + b_tensors
        self._known = known
        return True

    def _build(self, root: nn.Module, init_cfg_key: Callable[[Any], Any] | None) -> None:
        from torch.nn import parameter

        lazy_type = parameter.UninitializedTensorMixin  # type: ignore[attr-defined]  # is_lazy's test

        modules = self.modules
        give = self._kind_giver(init_cfg_key)
        keyed = init_cfg_key is not None
        seen: set[int] = set()
        # Parameters come before buffers in named_tensors(), each table deduplicated on
        # its own; the walk fills both sides at once and joins them at the end.
        params_side: _Side = ({}, {}, {}, [], "parameter")
        buffers_side: _Side = ({}, {}, {}, [], "buffer")
        eager: set[type] = set()  # tensor classes met that are not lazy
        distinct: dict[tuple[int, ...], tuple[int, ...]] = {}
        new, set_name, set_shape, set_kind = _new, _T_NAME, _T_SHAPE, _T_KIND
        lazy = False

        def table(items: dict[str, Any], dotted: str, side: _Side, layout: list[Any]) -> bool:
            """Index one table of a module met for the first time into ``side``, its names
            and shapes into ``layout``; False when that keeps its subtree from a kind."""
            nonlocal lazy
            known, lazy_names, infos, tensors, kind = side
            plain = True
            layout.append(tuple(items))
            for name, tensor in items.items():
                if tensor is None:
                    layout.append(None)
                    continue
                key = id(tensor)
                full = dotted + name
                cls = type(tensor)
                if cls not in eager:
                    if isinstance(tensor, lazy_type):
                        # no shape until a first forward (reading it raises)
                        lazy, plain = True, False
                        if key not in lazy_names:
                            lazy_names[key] = full
                            infos[full] = TensorInfo(full, (), kind)
                            tensors.append(tensor)
                        continue
                    eager.add(cls)
                # One tuple per distinct shape: blocks repeat a few, and each tuple the
                # plan keeps is one more object for the cyclic collector to traverse
                # (a torch.Size hashes and compares as the tuple of its sizes).
                size = tensor.shape
                shape = distinct.get(size)
                if shape is None:
                    shape = tuple(size)
                    distinct[shape] = shape
                info = new(TensorInfo)
                set_name(info, full)
                set_shape(info, shape)
                set_kind(info, kind)
                if known.setdefault(key, info) is not info:
                    plain = False  # named where it was first registered
                    continue
                infos[full] = info
                tensors.append(tensor)
                layout.append(shape)
            return plain

        def walk(module: nn.Module, path: str, again: Walk) -> int:
            """Index ``module``'s subtree; its kind (see :attr:`kinds`), -1 for none.
            (``again`` is this function: naming itself from its closure would make a
            reference cycle, holding the whole index until the collector finds it.)"""
            modules[path] = module
            state = module.__dict__
            plain = keyed  # whether this subtree gets a kind
            dotted = f"{path}." if path else ""
            # What the planner reads of the subtree, flattened: each table's names, then
            # the shape of each (None for an empty slot), the parameters' ended by a 0;
            # after a 1, the children's names and kinds.
            layout: list[Any] = []
            key = id(module)
            if key in seen:
                plain = False  # shared: its tensors' names belong to its first path
            else:
                seen.add(key)
                params = state.get("_parameters")
                buffers = state.get("_buffers")
                if params is None or buffers is None:  # tables kept elsewhere (rare)
                    params, buffers, plain = module._parameters, module._buffers, False
                if params and not table(params, dotted, params_side, layout):
                    plain = False
                layout.append(0)  # parameters end here
                if buffers and not table(buffers, dotted, buffers_side, layout):
                    plain = False
            registered = state.get("_modules")
            if registered is None:
                registered, plain = module._modules, False
            if registered:
                layout.append(1)  # children begin here
                for name, child in registered.items():
                    if child is None:
                        plain = False
                        continue
                    if id(child) in seen:
                        plain = False
                        again(child, dotted + name, again)
                        continue
                    kind = again(child, dotted + name, again)
                    if kind < 0:
                        plain = False
                    elif plain:
                        layout.append(name)
                        layout.append(kind)
            return give(module, path, state, layout) if plain else -1

        walk(root, "", walk)
        p_known, p_lazy, p_infos, p_tensors, _ = params_side
        b_known, b_lazy, b_infos, b_tensors, _ = buffers_side
        for key, info in b_known.items():
            if p_known.setdefault(key, info) is not info:
                # a buffer that is a parameter elsewhere goes by the parameter's name,
                # which its holder's kind did not see when it was given
                self._unkind(info.name.rpartition(".")[0])
        for key, name in b_lazy.items():
            p_lazy.setdefault(key, name)
        # A tensor registered as a parameter and as a buffer is listed in both tables
        # (as named_tensors() does), under each table's first name for it.
        self.parameter_count = len(p_infos)
        p_infos.update(b_infos)
        self.tensors, self.tensor_list = p_infos, p_tensors + b_tensors
        self._known, self._lazy_names, self._lazy = p_known, p_lazy, lazy

    def _unkind(self, path: str) -> None:
        """Take the kinds of the subtree at ``path`` and of the subtrees holding it."""
        parts = path.split(".") if path else []
        for end in range(len(parts) + 1):
            kind = self.kinds.pop(".".join(parts[:end]), None)
            if kind is not None:
                self.kind_counts[kind] -= 1

    @property
    def preorder(self) -> list[tuple[str, nn.Module]]:
        """``named_modules()`` order, each module once: the first path of each module in
        :attr:`modules` (only lazy-module diagnostics ask, so it is not kept)."""
        seen: set[int] = set()
        out: list[tuple[str, nn.Module]] = []
        for path, module in self.modules.items():
            if id(module) not in seen:
                seen.add(id(module))
                out.append((path, module))
        return out

    def children(self, module: nn.Module) -> list[tuple[str, nn.Module]]:
        """:func:`children`, computed once per module."""
        found = self._children.get(id(module))
        if found is None:
            found = self._children[id(module)] = children(module)
        return found

    def postorder(self, module: nn.Module, path: str) -> list[tuple[str, nn.Module]]:
        """:func:`postorder` of ``module`` at ``path`` (not kept: only a layer name that
        matches nothing, IC402, asks)."""
        return postorder(module, path)

    def has_lazy_tensors(self) -> bool:
        """Whether any parameter or buffer is uninitialized (a lazy module's)."""
        return self._lazy

    def known(self) -> dict[int, TensorInfo]:
        """``id(tensor)`` → the info (canonical name, shape) of each registered tensor that
        has a shape (not a lazy one)."""
        return self._known

    def names(self) -> dict[int, str]:
        """``id(tensor)`` → canonical name (its first name in :attr:`tensors`) of
        every registered tensor, lazy ones included (built on the first call: a compile
        that meets no lazy or unregistered tensor needs only :meth:`known`)."""
        if self._names is None:
            self._names = {key: info.name for key, info in self._known.items()}
            self._names.update(self._lazy_names)
        return self._names
