"""Execute planned steps on real tensors, in order, with no scanning between them."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from initcfg.backend.torch._checkpoint import load_into
from initcfg.backend.torch._ops import run_op
from initcfg.plan.checkpoint import (
    LoadResult,
    StateDict,
    compare,
    expected_state,
    read_checkpoint,
    select_keys,
)
from initcfg.plan.steps import Step, StepHook

__all__ = ["StepHook", "execute", "mark_initialized"]


def mark_initialized(modules: dict[str, nn.Module], paths: Iterable[str]) -> None:
    """Set ``_is_init`` as MMEngine does, so a second ``init_weights`` does nothing."""
    for path in paths:
        module = modules.get(path)
        if module is not None:
            module._is_init = True  # type: ignore[assignment]


def execute(
    root: nn.Module,
    steps: Sequence[Step],
    marked: Iterable[str] = (),
    *,
    state_cache: dict[tuple[str, str | None], StateDict] | None = None,
    on_step: StepHook | None = None,
    skip: Mapping[int, frozenset[int]] | None = None,
) -> list[tuple[Step, LoadResult]]:
    """Run ``steps`` on ``root``; return what each checkpoint load did.

    Args:
        root: The model the steps were planned on (or one with the same structure).
        steps: The planned steps.
        marked: Module paths to flag as initialized afterwards.
        state_cache: Checkpoints already read while planning, by (checkpoint, map_location).
        on_step: Called with (index, step) before each step runs (for instrumentation).
        skip: Step index → indices of its writes to leave out (overwritten later anyway).
    """
    modules = dict(root.named_modules(remove_duplicate=False))
    cache = state_cache if state_cache is not None else {}
    loads: list[tuple[Step, LoadResult]] = []
    for index, step in enumerate(steps):
        if on_step is not None:
            on_step(index, step)
        if step.kind == "init":
            dead = skip.get(index) if skip else None
            with torch.no_grad():
                if dead:
                    for number, write in enumerate(step.writes):
                        if number not in dead:
                            run_op(write.op, getattr(modules[write.module], write.attr))
                else:
                    for write in step.writes:
                        run_op(write.op, getattr(modules[write.module], write.attr))
        elif step.kind == "load" and step.load is not None:
            spec = step.load
            key = (spec.checkpoint, spec.map_location)
            state = cache.get(key)
            if state is None:
                state = read_checkpoint(spec.checkpoint, spec.map_location)
                cache[key] = state
            selected = select_keys(state, spec.prefix, spec.checkpoint)
            target = modules[step.target]
            result = compare(expected_state(target), selected)
            load_into(target, selected)
            loads.append((step, result))
        elif step.kind == "call":
            module = modules[step.target]
            if step.sets_init_cfg:
                module.init_cfg = copy.deepcopy(step.init_cfg)
            module.init_weights()
    mark_initialized(modules, marked)
    return loads
