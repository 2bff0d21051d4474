"""Build a model on the meta device without running its parameter initialization.

Planning needs shapes, never values. A meta tensor has none, so the
``reset_parameters`` draws a module makes while it is built do nothing but cost: torch
loads its decomposition machinery for the first random fill on the meta device (about
70 MB and seconds of start-up). Inside :func:`meta_model_building` those fills are
skipped, so planning a billion-parameter model stays small and fast.

Some constructors compute with real values while they build (drop-path rates as
``[x.item() for x in torch.linspace(0, rate, depth)]`` in MMPretrain's backbones), which
a meta tensor cannot answer. :func:`meta_parameters_building` sends only parameters and
buffers to the meta device, at the moment they are registered, and leaves every other
tensor real; :func:`build_on_meta` tries the fast way first and falls back to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import torch
from torch import nn
from torch.nn import init

Built = TypeVar("Built")

# The in-place fills torch.nn modules call from reset_parameters.
_FILLS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_",
)


def _skipping(original: Callable[..., Any]) -> Callable[..., Any]:
    def fill(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if isinstance(tensor, torch.Tensor) and tensor.is_meta:
            return tensor
        return original(tensor, *args, **kwargs)

    return fill


@contextmanager
def _fills_of_meta_skipped() -> Iterator[None]:
    saved = {name: getattr(init, name) for name in _FILLS if hasattr(init, name)}
    try:
        for name, original in saved.items():
            setattr(init, name, _skipping(original))
        yield
    finally:
        for name, original in saved.items():
            setattr(init, name, original)


@contextmanager
def meta_model_building() -> Iterator[None]:
    """Tensors created inside are on the meta device, and ``torch.nn.init`` fills of
    meta tensors are skipped (fills of real tensors still run)."""
    with _fills_of_meta_skipped(), torch.device("meta"):
        yield


class _Moved:
    """Meta copies by the id of the real tensor, so that a tensor registered twice (tied
    weights) stays one tensor. The originals are kept so that their ids stay unique."""

    def __init__(self) -> None:
        self.copies: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def parameter(self, param: nn.Parameter) -> nn.Parameter:
        if param.is_meta or isinstance(param, nn.parameter.UninitializedParameter):
            return param
        found = self.copies.get(id(param))
        if found is None:
            moved = param.detach().to("meta")
            try:
                # A Parameter subclass keeps its class (and what its constructor takes).
                copy: torch.Tensor = type(param)(moved, requires_grad=param.requires_grad)
            except TypeError:
                copy = nn.Parameter(moved, requires_grad=param.requires_grad)
            found = self.copies[id(param)] = (param, copy)
        return found[1]  # type: ignore[return-value]

    def buffer(self, tensor: torch.Tensor) -> torch.Tensor:
        if tensor.is_meta:
            return tensor
        found = self.copies.get(id(tensor))
        if found is None:
            found = self.copies[id(tensor)] = (tensor, tensor.to("meta"))
        return found[1]

    def module(self, module: nn.Module) -> None:
        for name, param in module._parameters.items():
            if param is not None:
                module._parameters[name] = self.parameter(param)
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = self.buffer(buffer)


@contextmanager
def meta_parameters_building() -> Iterator[_Moved]:
    """Parameters and buffers go to the meta device as they are registered; every other
    tensor a constructor makes stays real, so code such as ``torch.linspace(...).item()``
    works. ``torch.nn.init`` fills of meta tensors are skipped.

    A parameter is created real and moved on registration, before ``reset_parameters``
    fills it, so no parameter memory is ever written; what the constructor registers
    without ``register_parameter``/``register_buffer`` (an existing buffer reassigned)
    is moved by :func:`build_on_meta` when the model is complete.
    """
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer
    moved = _Moved()

    def parameter_on_meta(
        self: nn.Module, name: str, param: nn.Parameter | None
    ) -> None:
        register_parameter(self, name, param)
        stored = self._parameters.get(name)
        if stored is not None:
            self._parameters[name] = moved.parameter(stored)

    def buffer_on_meta(
        self: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True
    ) -> None:
        register_buffer(self, name, tensor, persistent)
        stored = self._buffers.get(name)
        if stored is not None:
            self._buffers[name] = moved.buffer(stored)

    with _registration(parameter_on_meta, buffer_on_meta), _fills_of_meta_skipped():
        yield moved


@contextmanager
def _stray_parameters_to_meta() -> Iterator[_Moved]:
    """Inside :func:`meta_model_building`: the rare parameter or buffer made off the
    default device moves to meta when it is registered (tensors already on meta pass
    straight through, which keeps the fast path fast)."""
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer
    moved = _Moved()

    def parameter_on_meta(
        self: nn.Module, name: str, param: nn.Parameter | None
    ) -> None:
        if param is not None and not param.is_meta:
            param = moved.parameter(param)
        register_parameter(self, name, param)

    def buffer_on_meta(
        self: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True
    ) -> None:
        if tensor is not None and not tensor.is_meta:
            tensor = moved.buffer(tensor)
        register_buffer(self, name, tensor, persistent)

    with _registration(parameter_on_meta, buffer_on_meta):
        yield moved


@contextmanager
def _registration(
    parameter: Callable[..., None], buffer: Callable[..., None]
) -> Iterator[None]:
    """``nn.Module.register_parameter``/``register_buffer`` replaced while inside."""
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer
    try:
        nn.Module.register_parameter = parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = buffer  # type: ignore[method-assign]
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


def _is_meta_refusal(error: BaseException) -> bool:
    """An error raised because a constructor asked a meta tensor for a value."""
    return isinstance(error, RuntimeError | NotImplementedError) and "meta" in str(error)


def build_on_meta(build: Callable[[], Built]) -> Built:
    """``build()`` with parameters and buffers on the meta device.

    First with everything on the meta device (:func:`meta_model_building`, the fast
    way); if the constructor fails because it read a value from a meta tensor, built
    again with only parameters and buffers on meta (:func:`meta_parameters_building`).
    Any other error propagates.
    """
    try:
        # Registration moves strays too: the legacy constructor ``torch.Tensor(*shape)``
        # ignores the default device (mmcv's DeformConv2d makes its weight so), and its
        # ``reset_parameters`` would then draw real random numbers from the global
        # generator into a real tensor while only shapes are wanted.
        with meta_model_building(), _stray_parameters_to_meta():
            return build()
    except (RuntimeError, NotImplementedError) as error:
        if not _is_meta_refusal(error):
            raise
    with meta_parameters_building() as moved:
        return _all_on_meta(build(), moved)


def _all_on_meta(built: Built, moved: _Moved) -> Built:
    """Move what a constructor assigned without registering it (an existing buffer
    reassigned) once the model is complete."""
    if isinstance(built, nn.Module):
        for module in built.modules():
            moved.module(module)
    return built
