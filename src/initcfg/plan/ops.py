"""Tensor operations one initializer performs on one tensor, computed ahead of time.

This module describes ops (what to write, decided from the typed initializer and the
shape); the code that runs them on real tensors is :func:`initcfg.backend.torch._ops.run_op`.

An op is decided from the typed initializer and the tensor's shape alone (so it can be
planned on the meta device) and performs exactly the random draws and arithmetic that
``torch.nn.init`` and MMEngine's truncated-normal routine perform, so results are
bit-identical with MMEngine for the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from initcfg.errors import InitError
from initcfg.schema.initializers import (
    BaseInit,
    Caffe2Xavier,
    Constant,
    Kaiming,
    Normal,
    TruncNormal,
    Uniform,
    WeightInit,
    Xavier,
)
from initcfg.schema.initializers import (
    bias_from_prob as bias_from_prob,
)

OpKind = Literal["fill", "normal", "uniform", "trunc_normal", "skip"]
Scalar = int | float | bool


@dataclass(frozen=True, slots=True)
class TensorOp:
    """One in-place write: ``fill(v)``, ``normal(mean, std)``, ``uniform(lo, hi)``,
    ``trunc_normal(lo_u, hi_u, scale, mean, a, b)`` or ``skip`` (a zero-element tensor,
    which torch's fan-based initializers leave alone without drawing)."""

    kind: OpKind
    args: tuple[Scalar, ...]

    @property
    def random(self) -> bool:
        """Whether the op draws from the global generator."""
        return self.kind in ("normal", "uniform", "trunc_normal")

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "args": list(self.args)}

    @classmethod
    def from_json(cls, value: dict[str, object]) -> TensorOp:
        kind = value["kind"]
        args = value["args"]
        if kind not in ("fill", "normal", "uniform", "trunc_normal", "skip"):
            raise ValueError(f"unknown tensor op {kind!r}")
        if not isinstance(args, list):
            raise ValueError("tensor op args must be a list")
        return cls(kind, tuple(args))


def _fans(shape: tuple[int, ...], what: str) -> tuple[int, int]:
    if len(shape) < 2:
        raise InitError(
            f"{what}: fan in and fan out can not be computed for a weight of shape "
            f"{list(shape)} (fewer than 2 dimensions); torch raises ValueError here"
        )
    receptive = 1
    for size in shape[2:]:
        receptive *= size
    return shape[1] * receptive, shape[0] * receptive


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _kaiming(init: Kaiming | Caffe2Xavier, shape: tuple[int, ...], what: str) -> TensorOp:
    if isinstance(init, Caffe2Xavier):
        a: Scalar | None = 1  # None: calculate_gain's own default slope
        mode, nonlinearity, distribution = "fan_in", "leaky_relu", "uniform"
    else:
        a, mode, nonlinearity, distribution = (
            init.a,
            init.mode,
            init.nonlinearity,
            init.distribution,
        )
    if 0 in shape:
        return TensorOp("skip", ())
    fan_in, fan_out = _fans(shape, what)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = torch.nn.init.calculate_gain(nonlinearity, a)  # type: ignore[arg-type]
    std = gain / math.sqrt(fan)
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return TensorOp("uniform", (-bound, bound))
    return TensorOp("normal", (0, std))


# The initializer models weight_op knows; a registered subclass of one runs as it does.
_WITH_TORCH_OP: tuple[type[WeightInit], ...] = (
    Constant,
    Normal,
    Uniform,
    Xavier,
    Kaiming,
    Caffe2Xavier,
    TruncNormal,
)


def has_torch_op(init: BaseInit) -> bool:
    """Whether :func:`weight_op` can run ``init``: False for a type registered for
    validation alone (``register_initializer`` on a plain ``WeightInit`` subclass)."""
    return isinstance(init, _WITH_TORCH_OP)


def weight_op(init: WeightInit, shape: tuple[int, ...], what: str) -> TensorOp:
    """The op ``init`` performs on a weight of ``shape``.

    Raises:
        InitError: The initializer cannot run on this weight (a fan-based type on a 1-D
            weight), or the type has no torch implementation (the planner reports
            that once per entry, see :func:`has_torch_op`, before any shape is met).
    """
    if isinstance(init, Constant):
        return TensorOp("fill", (init.val,))
    if isinstance(init, Normal):
        return TensorOp("normal", (init.mean, init.std))
    if isinstance(init, Uniform):
        return TensorOp("uniform", (init.a, init.b))
    if isinstance(init, Xavier):
        fan_in, fan_out = _fans(shape, what)
        if fan_in + fan_out == 0:
            # torch's xavier_* has no zero-element shortcut (kaiming_* has one): it
            # divides by the fan sum and raises ZeroDivisionError
            raise InitError(
                f"{what}: Xavier divides by fan_in + fan_out, which is 0 for a weight of "
                f"shape {list(shape)}; torch raises ZeroDivisionError here"
            )
        std = init.gain * math.sqrt(2.0 / float(fan_in + fan_out))
        if init.distribution == "uniform":
            bound = math.sqrt(3.0) * std
            return TensorOp("uniform", (-bound, bound))
        return TensorOp("normal", (0.0, std))
    if isinstance(init, Kaiming | Caffe2Xavier):
        return _kaiming(init, shape, what)
    if isinstance(init, TruncNormal):
        mean, std, a, b = init.mean, init.std, init.a, init.b
        lower = _norm_cdf((a - mean) / std)
        upper = _norm_cdf((b - mean) / std)
        return TensorOp(
            "trunc_normal",
            (2 * lower - 1, 2 * upper - 1, std * math.sqrt(2.0), mean, a, b),
        )
    raise InitError(f"{what}: initializer type {init.type!r} has no torch implementation")


def bias_op(init: WeightInit) -> TensorOp:
    """The op every weight initializer performs on a bias: a constant fill."""
    if init.bias_prob is None:
        return TensorOp("fill", (init.bias,))
    return TensorOp("fill", (bias_from_prob(init.bias_prob),))


def is_weight_init(init: BaseInit) -> bool:
    return isinstance(init, WeightInit)
