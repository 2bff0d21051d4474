"""What a trace of a module's ``init_weights`` must not do, though the call would: read
or download a checkpoint, or log the init info of an initialization that never was."""

from __future__ import annotations

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
