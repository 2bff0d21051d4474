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
"""

from __future__ import annotations

import os
import sys
import sysconfig
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

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


@dataclass(slots=True)
class Trace:
    """What tracing one ``init_weights`` call found.

    ``complete`` is False when the code read tensor values, loaded a checkpoint, replaced
    a tensor or raised on the meta device; ``reason`` says which, and the writes seen
    before that point are kept for reference only.
    """

    writes: list[TracedWrite] = field(default_factory=list)
    complete: bool = True
    reason: str | None = None

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


class _Recorder(TorchFunctionMode):
    def __init__(self, names: Mapping[int, str], roots: tuple[str, ...]) -> None:
        super().__init__()
        self.names = dict(names)
        self.roots = roots
        self.writes: list[TracedWrite] = []
        self.keep: list[Any] = []  # outputs stay alive, so their ids stay unique

    def _frames(self) -> tuple[types.FrameType | None, list[types.FrameType]]:
        """The innermost frame of model code, and the library frames inside it
        (innermost first), this module's own left out. A library module's own
        ``init_weights`` (mmcv's ConvModule) is model code here: the walk stops at the
        tracer, and the outermost library frame is the code that was called."""
        frame: types.FrameType | None = sys._getframe(1)
        inside: list[types.FrameType] = []
        while frame is not None and frame.f_code is not _TRACER_CODE:
            file = frame.f_code.co_filename
            if not _in(file, self.roots):
                return frame, inside
            if os.path.abspath(file) != _THIS_FILE:
                inside.append(frame)
            frame = frame.f_back
        if inside:
            return inside[-1], inside[:-1]
        return None, inside

    def _bookkeeping(self) -> bool:
        """Whether the innermost library frame is MMEngine logging parameter means."""
        _, inside = self._frames()
        if not inside:
            return False
        code = inside[0].f_code
        return code.co_name in _BOOKKEEPING and (
            os.sep + os.path.join("mmengine", "model") + os.sep in code.co_filename
        )

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
        if name in _VALUE_READS and isinstance(first, torch.Tensor) and first.is_meta:
            if self._bookkeeping():  # MMEngine's record of parameter means: decides nothing
                return torch.zeros(first.shape, dtype=first.dtype)
            model, _ = self._frames()
            assert model is not None
            raise _Untraceable(
                f"reads tensor values ({name}) at {model.f_code.co_filename}:{model.f_lineno}"
            )
        target = self._name_of(first)
        if target is not None and name == "__get__":
            attribute = getattr(getattr(func, "__self__", None), "__name__", "")
            if attribute in _DEVICE_CHECKS:
                # Code that asks whether a tensor is meta behaves differently on meta
                # (torch's own trunc_normal_ returns at once): what it does is unknown.
                model, _ = self._frames()
                at = f" at {model.f_code.co_filename}:{model.f_lineno}" if model else ""
                raise _Untraceable(f"checks {attribute} of {target}{at}")
        out_target = self._name_of(kwargs.get("out"))
        in_place = (name.endswith("_") and not name.endswith("__")) or name in (
            "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
        )
        written = target if in_place else out_target
        if written is not None:
            op, where = self._describe(name, kwargs)
            self.writes.append(TracedWrite(written, op, where))
            if in_place and isinstance(first, torch.Tensor) and first.is_meta:
                return None if name == "__setitem__" else first
        result = func(*args, **kwargs)
        if target is not None and (name in _ALIASES or name.endswith("__get__")):
            for item in result if isinstance(result, tuple | list) else (result,):
                if isinstance(item, torch.Tensor):
                    self.names.setdefault(id(item), target)
                    self.keep.append(item)
        return result


@contextmanager
def _no_checkpoints() -> Iterator[None]:
    """Loading a checkpoint while tracing on meta would read (or download) a file."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise _Untraceable("loads a checkpoint")

    saved = (torch.load, torch.hub.load_state_dict_from_url)
    torch.load = refuse
    torch.hub.load_state_dict_from_url = refuse
    try:
        yield
    finally:
        torch.load, torch.hub.load_state_dict_from_url = saved


def _tables(module: nn.Module) -> list[tuple[nn.Module, dict[str, Any], dict[str, Any]]]:
    return [(m, dict(m._parameters), dict(m._buffers)) for m in module.modules()]


def trace_init_weights(
    module: nn.Module, names: Mapping[int, str], init_cfg: Any = None, set_init_cfg: bool = False
) -> Trace:
    """Run ``module.init_weights()`` on its meta tensors and record what it writes.

    Nothing of the model changes: ``_is_init`` flags, ``init_cfg`` and the parameter
    tables are restored afterwards, and the global random generator's state too.

    Args:
        module: A module whose parameters and buffers are on the meta device.
        names: ``id(tensor)`` → canonical name in the model, for every model tensor.
        init_cfg: With ``set_init_cfg``, set on the module first (as MMEngine's registry
            would have passed it to the constructor).
        set_init_cfg: Whether to set ``init_cfg``.
    """
    tensors = [*module.parameters(), *module.buffers()]
    if not all(t.is_meta for t in tensors):
        return Trace(complete=False, reason="the module's tensors are not on the meta device")
    if "Pretrained" in repr([getattr(m, "init_cfg", None) for m in module.modules()]):
        return Trace(complete=False, reason="loads a checkpoint (Pretrained)")
    flags = [(m, m.__dict__.get("_is_init", _MISSING)) for m in module.modules()]
    saved_cfg = module.__dict__.get("init_cfg", _MISSING)
    tables = _tables(module)
    rng = torch.get_rng_state()
    recorder = _Recorder(names, _roots())
    trace = Trace()
    try:
        if set_init_cfg:
            module.init_cfg = init_cfg
        with _no_checkpoints(), recorder, torch.no_grad():
            module.init_weights()  # type: ignore[operator]
    except _Untraceable as stop:
        trace.complete, trace.reason = False, str(stop)
    except Exception as error:  # model code that fails on meta tensors
        trace.complete = False
        trace.reason = f"raised {type(error).__name__} on the meta device: {error}"[:300]
    finally:
        torch.set_rng_state(rng)
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
        replaced = False
        for m, parameters, buffers in tables:
            replaced |= any(m._parameters.get(k) is not v for k, v in parameters.items())
            replaced |= any(m._buffers.get(k) is not v for k, v in buffers.items())
            m._parameters.clear()
            m._parameters.update(parameters)
            m._buffers.clear()
            m._buffers.update(buffers)
    if replaced and trace.complete:
        trace.complete, trace.reason = False, "replaces a parameter or buffer"
    trace.writes = recorder.writes
    return trace


_MISSING = object()
_THIS_FILE = os.path.abspath(__file__)
_TRACER_CODE = trace_init_weights.__code__
_DEVICE_CHECKS = frozenset({"is_meta", "is_cpu", "is_cuda"})
_BOOKKEEPING = frozenset({"init_weights", "update_init_info", "_dump_init_info"})
