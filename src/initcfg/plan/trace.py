"""Trace a module's own ``init_weights`` on the meta model: who writes which tensor.

MMEngine calls a module's own ``init_weights`` instead of applying its ``init_cfg``, so a
plan that only reads configs sees nothing of what such code writes. Run on the meta
model under a torch function mode, the code does its real control flow while every
in-place write to a parameter or buffer is recorded: the op, its scalar arguments, the
module, and the line of model code that made it. Meta tensors hold no values, so code
that reads them (``.item()``, ``bool(t)``, ``.tolist()`` in model code) cannot be traced:
the trace stops there and is marked incomplete, and the plan keeps the call opaque.
MMEngine's own bookkeeping reads (the parameter means it logs) are answered with zeros;
they decide nothing that is written.

A complete trace is also **replayable** when every write it saw can be made again from
the record alone: a named torch function (``Tensor.uniform_``, ``nn.init.normal_``) on a
whole model tensor with scalar arguments, and nothing else in the call that computes with
tensors, draws random numbers, or changes the modules beyond their ``_is_init`` flags.
``apply`` then runs the recorded calls on the real tensors instead of ``init_weights``
(same ops, same order, same draws); otherwise, and whenever the record does not fit the
model, it calls ``init_weights``.
"""

from __future__ import annotations

import collections
import copy
import os
import random
import sys
import sysconfig
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from initcfg.plan.trace_guards import no_checkpoints, no_init_info_dump, refuse_as_torch

# Calls that hand a tensor's values to Python.
_VALUE_READS = frozenset({
    "item", "tolist", "__bool__", "__float__", "__int__", "__index__", "numpy", "__array__",
    "cpu", "__complex__", "__format__", "__repr__", "__str__",
})
# Calls whose result shares the first argument's storage.
_ALIASES = frozenset({
    "__get__", "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "t",
    "transpose", "permute", "squeeze", "unsqueeze", "expand", "narrow", "select",
    "__getitem__", "detach", "data", "unbind", "split", "chunk", "as_strided", "diagonal",
    "movedim", "swapaxes", "unfold", "view_as_real", "real", "contiguous",
})


@dataclass(frozen=True, slots=True)
class TracedWrite:
    """One in-place write a module's ``init_weights`` made to a model tensor.

    Attributes:
        tensor: Canonical name of the tensor written.
        op: The call that wrote it, with its scalar arguments (``trunc_normal_(std=0.02)``).
        where: ``file:line`` of the model code that made the call.
    """

    tensor: str
    op: str
    where: str


Scalar = bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class ReplayOp:
    """One recorded write, as the call that made it: ``func(tensor, *args, **kwargs)``
    with the tensor in its place (``slot``: a position or a keyword).

    Attributes:
        tensor: Canonical name of the tensor written.
        shape: Its shape when traced (replay refuses a tensor of another shape).
        func: ``Tensor.<method>``, ``nn.init.<function>`` or ``torch.<function>``.
        args: The other positional arguments, all scalars.
        kwargs: The keyword arguments, all scalars.
        slot: Position or keyword of the tensor among the arguments.
    """

    tensor: str
    shape: tuple[int, ...]
    func: str
    args: tuple[Scalar, ...]
    kwargs: dict[str, Scalar]
    slot: int | str = 0


@dataclass(slots=True)
class Trace:
    """What tracing one ``init_weights`` call found.

    ``complete`` is False when the code read tensor values, loaded a checkpoint, replaced
    a tensor or raised on the meta device; ``reason`` says which, and the writes seen
    before that point are kept for reference only.

    ``replay`` holds the writes as calls (see :class:`ReplayOp`) when the trace is
    replayable, else None with ``replay_reason`` saying why; ``flags`` are the module
    paths (relative to the traced module, ``""`` itself) whose ``_is_init`` the call sets.
    """

    writes: list[TracedWrite] = field(default_factory=list)
    complete: bool = True
    reason: str | None = None
    replay: list[ReplayOp] | None = None
    replay_reason: str | None = None
    flags: list[str] = field(default_factory=list)
    #: A parameter (relative name) the call added or replaced, if any: MMEngine's
    #: bookkeeping raises AssertionError after a child's init_weights that does so.
    new_parameter: str | None = None

    def written(self) -> list[str]:
        """Tensors written, each once, in first-write order."""
        return list(dict.fromkeys(w.tensor for w in self.writes))

    def final(self) -> dict[str, TracedWrite]:
        """Each tensor's last write."""
        return {w.tensor: w for w in self.writes}


class _Untraceable(Exception):
    """Raised inside the traced code to stop it; carries the reason."""


def _roots() -> tuple[str, ...]:
    """Folders of code that is not the model's: torch, MMEngine, mmcv, initcfg and the
    standard library."""
    found = []
    for name in ("torch", "mmengine", "mmcv", "initcfg"):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            found.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    paths = sysconfig.get_paths()
    installed = [os.path.abspath(paths[k]) for k in ("purelib", "platlib") if paths.get(k)]
    for key in ("stdlib", "platstdlib"):
        path = paths.get(key)
        # In a virtualenv platstdlib holds site-packages, where model code lives too.
        if path and not any(p.startswith(os.path.abspath(path)) for p in installed):
            found.append(os.path.abspath(path) + os.sep)
    return tuple(found)


def _in(file: str, roots: tuple[str, ...]) -> bool:
    return os.path.abspath(file).startswith(roots)


_MODEL, _LIBRARY, _OWN = 0, 1, 2


def _file_kind(file: str, roots: tuple[str, ...]) -> int:
    """Model code, library code, or this module."""
    if not _in(file, roots):
        return _MODEL
    return _OWN if os.path.abspath(file) == _THIS_FILE else _LIBRARY


def _scalars(values: Mapping[str, Any], limit: int = 4) -> str:
    parts = []
    for key, value in values.items():
        if key.startswith("_") or key in ("self", "tensor", "module", "m"):
            continue
        if isinstance(value, bool | int | float | str) or value is None:
            parts.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
        if len(parts) == limit:
            break
    return ", ".join(parts)


def _func_name(func: Callable[..., Any]) -> str | None:
    """The name replay resolves ``func`` by, if it is one of torch's in-place writes."""
    name = getattr(func, "__name__", "")
    for prefix, owner in _FUNC_OWNERS:
        if name and getattr(owner, name, None) is func:
            return prefix + name if resolve_func(prefix + name) is func else None
    return None


def resolve_func(name: str) -> Callable[..., Any] | None:
    """The torch function a :class:`ReplayOp` names; None for any other name. Only public
    in-place writes of values in ``torch.Tensor``, ``torch.nn.init`` and ``torch`` resolve, so a
    plan read from a file names nothing else to call."""
    prefix, _, attr = name.rpartition(".")
    if not attr.isidentifier() or attr in _NOT_VALUES or not (
        attr in _IN_PLACE_DUNDERS or (attr.endswith("_") and not attr.startswith("_"))
    ):
        return None
    for known, owner in _FUNC_OWNERS:
        if known == prefix + ".":
            found = getattr(owner, attr, None)
            return found if callable(found) else None
    return None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


class _Recorder(TorchFunctionMode):
    def __init__(
        self, names: Mapping[int, str], roots: tuple[str, ...], bases: Mapping[str, Any]
    ) -> None:
        super().__init__()
        self.names = dict(names)
        self.roots = roots
        self.bases = bases  # canonical name -> the model tensor itself
        self.real = False  # tracing a real copy: its ops run, its values can be read
        self.writes: list[TracedWrite] = []
        self.replay: list[ReplayOp] | None = []
        self.replay_reason: str | None = None
        self.keep: list[Any] = []  # outputs stay alive, so their ids stay unique
        # What each write must find (torch.manual_seed is no torch function): see _check_rng.
        self.rng = torch.get_rng_state()
        # The frame walks ask the same few files and functions thousands of times.
        self.files: dict[str, int] = {}
        self.bookkeeping: dict[types.CodeType, bool] = {}

    def _no_replay(self, why: str) -> None:
        if self.replay is not None:
            model, _ = self._frames()
            at = f" at {model.f_code.co_filename}:{model.f_lineno}" if model else ""
            self.replay, self.replay_reason = None, why + at

    def _check_rng(self) -> None:  # the caller's state, moved only by the writes themselves
        if self.replay is not None and not torch.equal(torch.get_rng_state(), self.rng):
            self._no_replay("sets the random generator's state")

    def _record_call(
        self, func: Callable[..., Any], name: str, target: str, first: Any,
        args: tuple[Any, ...], kwargs: dict[str, Any],
    ) -> None:
        """Keep a write as a call replay can make again, or say why it cannot."""
        if self.replay is None:
            return
        base = self.bases.get(target)
        func_name = _func_name(func)
        if func_name is None:
            return self._no_replay(f"writes {target} through {name}, not a torch function")
        if base is None or not isinstance(first, torch.Tensor) or (
            first.shape != base.shape or first.dtype != base.dtype
            or first.stride() != base.stride()
            or first.storage_offset() != base.storage_offset()
        ):
            return self._no_replay(f"writes part of {target} ({name} on a view)")
        # torch.nn.init's functions hold no_grad themselves; a bare in-place op on a
        # leaf that requires grad raises in MMEngine's call.
        if not func_name.startswith("nn.init.") and torch.is_grad_enabled() and (
            first.requires_grad
        ):
            return self._no_replay(f"writes {target} with gradients enabled")
        slot: int | str = 0
        rest = list(args)
        if args and args[0] is first:
            rest = rest[1:]
        else:
            slot = "tensor" if kwargs.get("tensor") is first else "input"
            kwargs = {k: v for k, v in kwargs.items() if k != slot}
        if not all(_scalar(v) for v in (*rest, *kwargs.values())):
            return self._no_replay(f"writes {target} with a non-scalar argument ({name})")
        self.replay.append(
            ReplayOp(target, tuple(base.shape), func_name, tuple(rest), dict(kwargs), slot)
        )
        return None

    def _frames(self) -> tuple[types.FrameType | None, list[types.FrameType]]:
        """The innermost frame of model code, and the library frames inside it
        (innermost first), this module's own left out. A library module's own
        ``init_weights`` (mmcv's ConvModule) is model code here: the walk stops at the
        tracer, and the outermost library frame is the code that was called."""
        frame: types.FrameType | None = sys._getframe(1)
        inside: list[types.FrameType] = []
        files = self.files
        while frame is not None and frame.f_code is not _TRACER_CODE:
            file = frame.f_code.co_filename
            kind = files.get(file)
            if kind is None:
                kind = files[file] = _file_kind(file, self.roots)
            if kind == _MODEL:
                return frame, inside
            if kind == _LIBRARY:
                inside.append(frame)
            frame = frame.f_back
        if inside:
            return inside[-1], inside[:-1]
        return None, inside

    def _bookkeeping(self) -> bool:
        """Whether the innermost library frame is MMEngine logging parameter means (and
        not the outermost one, which stands for the code that was called)."""
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename == _THIS_FILE:
            frame = frame.f_back
        if frame is None or frame.f_back is None or frame.f_back.f_code is _TRACER_CODE:
            return False
        code = frame.f_code
        known = self.bookkeeping.get(code)
        if known is None:
            known = self.bookkeeping[code] = (
                code.co_name in _BOOKKEEPING
                and _file_kind(code.co_filename, self.roots) == _LIBRARY
                and os.sep + os.path.join("mmengine", "model") + os.sep in code.co_filename
            )
        return known

    def _describe(self, name: str, kwargs: Mapping[str, Any]) -> tuple[str, str]:
        model, inside = self._frames()
        where = f"{model.f_code.co_filename}:{model.f_lineno}" if model else "?"
        if not inside:  # a tensor method called by the model code itself
            return f"{name}({_scalars(kwargs)})", where
        callee = inside[-1]
        if callee.f_code.co_name == "init_weights":  # super().init_weights(): its init_cfg
            for frame in reversed(inside):
                owner = frame.f_locals.get("self")
                if frame.f_code.co_name == "__call__" and type(owner).__name__.endswith("Init"):
                    return f"{type(owner).__name__}({_scalars(vars(owner))}) via init_cfg", where
        return f"{callee.f_code.co_name}({_scalars(callee.f_locals)})", where

    def _name_of(self, value: Any) -> str | None:
        return self.names.get(id(value)) if isinstance(value, torch.Tensor) else None

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        first = args[0] if args else kwargs.get("tensor", kwargs.get("input"))
        if name == "mean" and isinstance(first, torch.Tensor) and first.is_meta and (
            not args[1:] and not kwargs and self._bookkeeping()
        ):
            # MMEngine's record of a parameter's mean, before and after each initializer:
            # a meta mean runs torch's reference decomposition (most of a trace's time),
            # and the value decides nothing.
            return torch.zeros((), dtype=first.dtype)
        if name in _VALUE_READS and isinstance(first, torch.Tensor) and first.is_meta:
            if self._bookkeeping():  # MMEngine's record of parameter means: decides nothing
                return torch.zeros(first.shape, dtype=first.dtype)
            model, _ = self._frames()
            assert model is not None
            raise _Untraceable(
                f"reads tensor values ({name}) at {model.f_code.co_filename}:{model.f_lineno}"
            )
        target = self._name_of(first)
        if target is not None and name in ("__get__", "get_device"):
            owner = getattr(func, "__self__", None) if name == "__get__" else None
            attribute = getattr(owner, "__name__", name)
            if attribute in _DEVICE_CHECKS and (self.real or attribute == "device"):
                # Apply may run elsewhere; `.device` is mostly a `device=` argument (mmcv).
                self._no_replay(f"checks {attribute} of {target}")
            elif attribute in _DEVICE_CHECKS:
                # Code that asks whether a tensor is meta (also ``w.device.type``) differs here
                # (torch's own trunc_normal_ returns at once): what it does is unknown.
                model, _ = self._frames()
                at = f" at {model.f_code.co_filename}:{model.f_lineno}" if model else ""
                raise _Untraceable(f"checks {attribute} of {target}{at}")
        out_target = self._name_of(kwargs.get("out"))
        in_place = (name.endswith("_") and not name.endswith("__")) or name in _IN_PLACE_DUNDERS
        written = target if in_place else out_target
        if written is not None:
            op, where = self._describe(name, kwargs)
            self.writes.append(TracedWrite(written, op, where))
            if in_place:
                self._check_rng()
                self._record_call(func, name, written, first, args, kwargs)
            else:
                self._no_replay(f"writes {written} through out=")
            if in_place and isinstance(first, torch.Tensor) and first.is_meta:
                refuse_as_torch(func, first, args, kwargs)  # what the skipped op checks
                return None if name == "__setitem__" else first
        elif (
            self.replay is not None
            and name not in _PURE
            and name not in _ALIASES
            and not self._bookkeeping()
        ):
            # Anything else may draw random numbers or compute what a later write uses:
            # only the call itself does that faithfully.
            self._no_replay(f"computes with tensors ({name})")
        result = func(*args, **kwargs)
        if written is not None and self.real and self.replay is not None:
            self.rng = torch.get_rng_state()  # what this write drew, replay draws too
        if target is not None and (name in _ALIASES or name.endswith("__get__")):
            for item in result if isinstance(result, tuple | list) else (result,):
                if isinstance(item, torch.Tensor):
                    self.names.setdefault(id(item), target)
                    self.keep.append(item)
        return result


def _refuse_checkpoint(*_args: Any, **_kwargs: Any) -> Any:
    raise _Untraceable("loads a checkpoint")


def _tables(module: nn.Module) -> list[tuple[nn.Module, dict[str, Any], dict[str, Any]]]:
    return [(m, dict(m._parameters), dict(m._buffers)) for m in module.modules()]


def trace_real_copy(
    module: nn.Module, names: Mapping[int, str], init_cfg: Any = None, set_init_cfg: bool = False
) -> Trace:
    """Trace ``module.init_weights()`` on a deep copy of a module with real tensors.

    The copy's values are the module's own, so code that reads tensor values (which
    stops a trace on meta) runs as it would. What such code writes may depend on those
    values, and values change between planning and applying, so a trace that read any,
    or asked a tensor's device, is kept for provenance but not replayed. The module
    itself is not touched; the generator states are restored.
    """
    if any(t.is_meta for t in (*module.parameters(), *module.buffers())):
        return Trace(complete=False, reason="has meta tensors: a real copy needs a real build")
    rng = torch.get_rng_state()  # deepcopy draws nothing, but a module's __deepcopy__ may
    on_cuda = torch.cuda.is_available() and torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
    cuda_rng = torch.cuda.get_rng_state_all() if on_cuda else []
    copied = copy.deepcopy(module)
    torch.set_rng_state(rng)
    renamed: dict[int, str] = dict(names)
    for original, twin in zip(module.modules(), copied.modules(), strict=True):
        for table, twin_table in (
            (original._parameters, twin._parameters), (original._buffers, twin._buffers)
        ):
            for key, tensor in table.items():
                if tensor is not None and id(tensor) in names:
                    renamed[id(twin_table[key])] = names[id(tensor)]
    try:
        return trace_init_weights(copied, renamed, init_cfg, set_init_cfg, real=True)
    finally:
        if on_cuda:  # the copy's writes on a GPU draw from its generators
            torch.cuda.set_rng_state_all(cuda_rng)


def trace_init_weights(
    module: nn.Module,
    names: Mapping[int, str],
    init_cfg: Any = None,
    set_init_cfg: bool = False,
    *,
    real: bool = False,
) -> Trace:
    """Run ``module.init_weights()`` on its meta tensors and record what it writes.

    Nothing of the model changes: ``_is_init`` flags, ``init_cfg`` and the parameter
    tables are restored afterwards, and the global random generator's state too. With
    ``real`` the module's tensors are real and the writes really happen (the caller
    passes a copy: see :func:`trace_real_copy`).

    Args:
        module: A module whose parameters and buffers are on the meta device.
        names: ``id(tensor)`` → canonical name in the model, for every model tensor.
        init_cfg: With ``set_init_cfg``, set on the module first (as MMEngine's registry
            would have passed it to the constructor).
        set_init_cfg: Whether to set ``init_cfg``.
    """
    tensors = [*module.parameters(), *module.buffers()]
    if not real and not all(t.is_meta for t in tensors):
        return Trace(complete=False, reason="the module's tensors are not on the meta device")
    if "Pretrained" in repr([getattr(m, "init_cfg", None) for m in module.modules()]):
        return Trace(complete=False, reason="loads a checkpoint (Pretrained)")
    flags = [(m, m.__dict__.get("_is_init", _MISSING)) for m in module.modules()]
    saved_cfg = module.__dict__.get("init_cfg", _MISSING)
    tables = _tables(module)
    bases = {
        names[id(t)]: t
        for _, parameters, buffers in tables
        for t in (*parameters.values(), *buffers.values())
        if t is not None and id(t) in names
    }
    attributes = _attributes(module)
    rng = torch.get_rng_state()
    py_rng = random.getstate()
    np_rng = _numpy_state()
    recorder = _Recorder(names, _roots(), bases)
    recorder.real = real
    trace = Trace()
    set_flags: list[str] = []
    try:
        if set_init_cfg:
            module.init_cfg = init_cfg
        # No no_grad here: a write outside it that MMEngine would refuse (an in-place op
        # on a leaf that requires grad) must not be replayed under apply's no_grad.
        with no_checkpoints(_refuse_checkpoint), no_init_info_dump(), recorder:
            module.init_weights()  # type: ignore[operator]
    except _Untraceable as stop:
        trace.complete, trace.reason = False, str(stop)
    except Exception as error:  # model code that fails on meta tensors
        trace.complete = False
        device = "a real copy" if real else "the meta device"
        trace.reason = f"raised {type(error).__name__} on {device}: {error}"[:300]
    finally:
        recorder._check_rng()  # a reseed after the last write changes the caller's draws
        torch.set_rng_state(rng)
        if random.getstate() != py_rng:
            recorder.replay, recorder.replay_reason = None, "draws from Python's random"
            random.setstate(py_rng)
        if np_rng is not None and _numpy_state()[1] != np_rng[1]:  # type: ignore[index]
            recorder.replay, recorder.replay_reason = None, "draws from NumPy's random"
            sys.modules["numpy"].random.set_state(np_rng[0])
        changed = _attributes(module) != attributes
        paths = {id(m): p for p, m in module.named_modules(remove_duplicate=False)}
        set_flags = [
            paths[id(m)]
            for m, flag in flags
            if m.__dict__.get("_is_init", _MISSING) is True and flag is not True
        ]
        for m, flag in flags:
            if flag is _MISSING:
                m.__dict__.pop("_is_init", None)
            else:
                m.__dict__["_is_init"] = flag
        if set_init_cfg:
            if saved_cfg is _MISSING:
                module.__dict__.pop("init_cfg", None)
            else:
                module.__dict__["init_cfg"] = saved_cfg
        started = {
            id(t) for _, parameters, _ in tables for t in parameters.values() if t is not None
        }
        new_parameter = next(
            (name for name, t in module.named_parameters() if id(t) not in started), None
        )
        replaced = False
        for m, parameters, buffers in tables:
            replaced |= any(m._parameters.get(k) is not v for k, v in parameters.items())
            replaced |= any(m._buffers.get(k) is not v for k, v in buffers.items())
            m._parameters.clear()
            m._parameters.update(parameters)
            m._buffers.clear()
            m._buffers.update(buffers)
    trace.new_parameter = new_parameter
    if replaced and trace.complete:
        trace.complete, trace.reason = False, "replaces a parameter or buffer"
    trace.writes = recorder.writes
    if changed and recorder.replay is not None:
        recorder.replay, recorder.replay_reason = None, "sets module attributes"
    if any(flag is True for _, flag in flags) and recorder.replay is not None:
        # MMEngine skips an initialized module: the call's writes depend on the flags.
        recorder.replay = None
        recorder.replay_reason = "runs where some modules were already initialized"
    if trace.complete:
        trace.replay, trace.replay_reason = recorder.replay, recorder.replay_reason
        trace.flags = set_flags if trace.replay is not None else []
    else:
        trace.replay_reason = "the trace is incomplete"
    return trace


def _numpy_state() -> tuple[Any, bytes] | None:
    """NumPy's global generator state and its bytes, when model code has loaded NumPy (a
    value drawn while tracing would be replayed as a constant)."""
    numpy = sys.modules.get("numpy")
    state = numpy.random.get_state() if numpy is not None else None
    return None if state is None else (state, repr(state[2:]).encode() + state[1].tobytes())


def _attributes(module: nn.Module) -> list[dict[str, Any]]:
    """Each module's attributes (by identity), less what tracing restores itself and
    MMEngine's own bookkeeping: a change here is a side effect replay would miss. A
    container is also taken by its items' identities, one level down: code that
    registers a hook or appends to a list changes the module without setting anything."""
    return [
        {k: id(v) if type(v) not in _CONTAINERS or not v else _identity(v)
         for k, v in m.__dict__.items() if k not in _RESTORED}
        for m in module.modules()
    ]


def _identity(value: Any) -> Any:
    items = value.items() if isinstance(value, dict) else zip(value, value, strict=True)
    return id(value), [(id(k), id(v)) for k, v in items]


_MISSING = object()
_CONTAINERS = frozenset({dict, collections.OrderedDict, list, set})  # hooks, user lists
_THIS_FILE = os.path.abspath(__file__)
_TRACER_CODE = trace_init_weights.__code__
_DEVICE_CHECKS = frozenset({"is_meta", "is_cpu", "is_cuda", "device", "get_device"})
_BOOKKEEPING = frozenset({"init_weights", "update_init_info", "_dump_init_info"})
_RESTORED = frozenset({"_is_init", "init_cfg", "_parameters", "_buffers", "_params_init_info"})
# Calls that only read a tensor's metadata (or switch autograd): nothing to replay.
_PURE = frozenset({
    "dim", "size", "numel", "nelement", "ndimension", "stride", "storage_offset",
    "is_floating_point", "is_complex", "element_size", "__len__", "_set_grad_enabled",
    "is_contiguous", "_is_view",
})
_IN_PLACE_DUNDERS = frozenset({"__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__"})
_NOT_VALUES = frozenset({  # shape, storage or autograd, not values: not for a plan file
    "set_", "resize_", "resize_as_", "resize_as_sparse_", "sparse_resize_", "t_", "map_", "map2_",
    "sparse_resize_and_clear_", "share_memory_", "requires_grad_", "detach_", "as_strided_",
    "transpose_", "swapaxes_", "swapdims_", "squeeze_", "unsqueeze_", "apply_", "rename_"})
_FUNC_OWNERS: tuple[tuple[str, Any], ...] = (
    ("Tensor.", torch.Tensor), ("nn.init.", torch.nn.init), ("torch.", torch),
)
