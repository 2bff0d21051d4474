"""What a trace of a module's ``init_weights`` must not do, though the call would: read
or download a checkpoint, or log the init info of an initialization that never was; and
what it must do though it skips the write: refuse the arguments torch would refuse."""

from __future__ import annotations

import inspect
import numbers
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def no_checkpoints(refuse: Callable[..., Any]) -> Iterator[None]:
    """Loading a checkpoint while tracing on meta would read (or download) a file:
    ``refuse`` stands in for ``torch.load`` and the hub download (it raises)."""
    saved = (torch.load, torch.hub.load_state_dict_from_url)
    torch.load = refuse
    torch.hub.load_state_dict_from_url = refuse
    try:
        yield
    finally:
        torch.load, torch.hub.load_state_dict_from_url = saved


@contextmanager
def no_init_info_dump() -> Iterator[None]:
    """MMEngine's top-level ``init_weights`` logs each parameter's init info when it ends
    (into the Runner's log file when it has one, else to stdout, ahead of a plan's JSON);
    a trace initializes nothing, so it logs nothing. Only where MMEngine is imported: no
    other module has this method."""
    base_module = sys.modules.get("mmengine.model.base_module")
    owner = getattr(base_module, "BaseModule", None)
    if owner is None or "_dump_init_info" not in vars(owner):
        yield
        return
    saved = vars(owner)["_dump_init_info"]
    owner._dump_init_info = _dump_nothing
    try:
        yield
    finally:
        owner._dump_init_info = saved


def _dump_nothing(_module: nn.Module) -> None:
    """What a traced ``init_weights`` logs of its parameters: nothing."""


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def refuse_as_torch(
    func: Callable[..., Any], tensor: torch.Tensor, args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """Raise what the real call raises before it writes, for a write the trace records on
    a meta tensor without running it: ``kaiming_uniform_`` on a tensor of fewer than two
    dimensions (or with a mode or nonlinearity torch does not know), ``uniform_`` with
    ``from > to``, ``normal_`` with a negative std. Without this the trace completes where
    the call raises (MMEngine's Caffe2Xavier on a BatchNorm), and apply meets the error.
    Functions that compute in Python before they write (``xavier_*_``,
    ``kaiming_normal_``) raise on their own."""
    name = getattr(func, "__name__", "")
    low: Any
    high: Any
    std: Any
    if getattr(func, "__module__", None) == "torch.nn.init":
        try:
            bound = inspect.signature(func).bind(*args, **kwargs)
        except TypeError:
            return  # the call raises the same when it runs
        bound.apply_defaults()
        given = bound.arguments
        if name == "kaiming_uniform_" and 0 not in tensor.shape:
            nn.init._calculate_correct_fan(tensor, given["mode"])
            nn.init.calculate_gain(given["nonlinearity"], given["a"])
        low, high = (given.get("a"), given.get("b")) if name == "uniform_" else (0, 1)
        std = given.get("std") if name == "normal_" else 1
    else:
        rest = list(args[1:])
        low = rest[0] if rest else kwargs.get("from", 0)
        high = rest[1] if len(rest) > 1 else kwargs.get("to", 1)
        std = rest[1] if len(rest) > 1 else kwargs.get("std", 1)
    if name == "uniform_" and _number(low) and _number(high) and low > high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}"
        )
    if name == "normal_" and _number(std) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
