"""Old import path for checkpoint reading (use :mod:`initcfg.plan.checkpoint`); non-strict
loading into a model, which executes, stays here."""

from __future__ import annotations

import torch

from initcfg.plan.checkpoint import HISTORY_BUFFER as HISTORY_BUFFER
from initcfg.plan.checkpoint import Allowed as Allowed
from initcfg.plan.checkpoint import HistoryBufferState as HistoryBufferState
from initcfg.plan.checkpoint import LoadResult as LoadResult
from initcfg.plan.checkpoint import StateDict as StateDict
from initcfg.plan.checkpoint import checkpoint_available as checkpoint_available
from initcfg.plan.checkpoint import compare as compare
from initcfg.plan.checkpoint import expected_state as expected_state
from initcfg.plan.checkpoint import mmengine_checkpoint_globals as mmengine_checkpoint_globals
from initcfg.plan.checkpoint import mmengine_checkpoints_allowed as mmengine_checkpoints_allowed
from initcfg.plan.checkpoint import read_checkpoint as read_checkpoint
from initcfg.plan.checkpoint import resolve_checkpoint as resolve_checkpoint
from initcfg.plan.checkpoint import select_keys as select_keys


def load_into(module: torch.nn.Module, state: StateDict) -> None:
    """Load ``state`` non-strictly, module by module, through each module's own
    ``_load_from_state_dict`` (so version hooks such as BatchNorm's run as in MMEngine).
    Misfits are skipped; :func:`compare` reports them."""
    metadata = getattr(state, "_metadata", None)
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []

    def walk(node: torch.nn.Module, local: dict[str, torch.Tensor], prefix: str) -> None:
        meta = {} if metadata is None else metadata.get(prefix[:-1], {})
        node._load_from_state_dict(local, prefix, meta, True, missing, unexpected, errors)
        for name, child in node._modules.items():
            if child is None:
                continue
            child_prefix = f"{prefix}{name}."
            walk(
                child,
                {k: v for k, v in local.items() if k.startswith(child_prefix)},
                child_prefix,
            )

    walk(module, dict(state), "")
