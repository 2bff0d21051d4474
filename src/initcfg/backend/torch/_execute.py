"""Execute planned steps on real tensors, in order, with no scanning between them."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from initcfg.backend.torch._checkpoint import load_into
from initcfg.backend.torch._ops import run_op
from initcfg.errors import InitError
from initcfg.plan.checkpoint import (
    LoadResult,
    StateDict,
    compare,
    expected_state,
    read_checkpoint,
    select_keys,
)
from initcfg.plan.model_walk import join, set_module_flag, written_tensor
from initcfg.plan.steps import Step, StepHook
from initcfg.plan.trace import resolve_func

__all__ = ["StepHook", "execute", "mark_initialized"]


def mark_initialized(modules: Mapping[str, nn.Module] | _Modules, paths: Iterable[str]) -> None:
    """Set ``_is_init`` as MMEngine does, so a second ``init_weights`` does nothing."""
    for path in paths:
        module = modules.get(path)
        if module is not None:
            set_module_flag(module, "_is_init", True)


class _Modules:
    """Module path → module, resolved on demand from the root (parents cached): an apply
    looks up only the modules its steps name, with no walk over the whole model."""

    def __init__(self, root: nn.Module) -> None:
        self.found: dict[str, nn.Module] = {"": root}

    def __getitem__(self, path: str) -> nn.Module:
        found = self.found.get(path)
        if found is None:
            parent, _, name = path.rpartition(".")
            found = self[parent]._modules.get(name)
            if found is None:
                raise KeyError(path)
            self.found[path] = found
        return found

    def get(self, path: str) -> nn.Module | None:
        try:
            return self[path]
        except KeyError:
            return None


def _writes(
    modules: _Modules,
    step: Step,
    dead: frozenset[int] | None,
    tensors: Sequence[torch.Tensor] | None = None,
) -> None:
    """Run an ``init`` step's writes (the caller holds ``torch.no_grad()``) on
    ``tensors`` (one per write, found before the first step) or on the tensors the
    writes name, looked up now."""
    found = modules.found
    for number, write in enumerate(step.writes):
        if dead and number in dead:
            continue
        if tensors is not None:
            tensor = tensors[number]
        else:
            module = found.get(write.module)
            if module is None:
                module = modules[write.module]
            tensor = written_tensor(module, write.attr)
            if not isinstance(tensor, torch.Tensor):
                # there when the plan was checked, gone since: an earlier step's
                # init_weights (or a load) took it away
                name = join(write.module, write.attr)
                raise InitError(
                    f"the model has no tensor {name!r} that the plan writes to any more "
                    "(an earlier step removed it); the steps before this one were written"
                )
        op = write.op
        kind = op.kind
        if kind == "normal":
            tensor.normal_(op.args[0], op.args[1])
        elif kind == "fill":
            tensor.fill_(op.args[0])
        else:
            run_op(op, tensor)


def _replay(modules: _Modules, step: Step) -> bool:
    """Run a call step's traced writes instead of its ``init_weights``; False (nothing
    written) when the step has no replayable trace or the record does not fit the model:
    a tensor missing or of another shape, or a module the call would flag missing or
    flagged already (a second apply: MMEngine's call skips initialized modules)."""
    trace = step.trace
    if trace is None or not trace.complete or trace.replay is None:
        return False
    calls = []
    for op in trace.replay:
        path, _, attr = op.tensor.rpartition(".")
        module = modules.get(path)
        tensor: torch.Tensor | None = None
        if module is not None:
            tensor = module._parameters.get(attr)
            if tensor is None:
                tensor = module._buffers.get(attr)
        func = resolve_func(op.func)
        if tensor is None or func is None or tuple(tensor.shape) != op.shape:
            return False
        # A plan read from a file holds what tracing records and nothing else.
        if op.slot not in (0, "tensor", "input") or not all(
            value is None or isinstance(value, bool | int | float | str)
            for value in (*op.args, *op.kwargs.values())
        ) or op.slot in op.kwargs or not all(
            isinstance(key, str) and key.isidentifier() for key in op.kwargs
        ):
            return False
        calls.append((func, tensor, op))
    flagged = []
    for relative in trace.flags:
        module = modules.get(f"{step.target}.{relative}" if step.target and relative
                             else step.target or relative)
        if module is None or module.__dict__.get("_is_init") is True:
            return False  # an initialized module the call would skip: let it decide
        flagged.append(module)
    target = modules[step.target]
    if step.sets_init_cfg:  # left on the module, as the call would leave it
        target.init_cfg = copy.deepcopy(step.init_cfg)
    generators = _generator_states({tensor.device for _, tensor, _ in calls})
    try:
        with torch.no_grad():
            for func, tensor, op in calls:
                if op.slot == 0:
                    func(tensor, *op.args, **op.kwargs)
                else:
                    func(*op.args, **{str(op.slot): tensor}, **op.kwargs)
    except Exception:  # any refusal of arguments a plan file holds: torch raises many kinds
        # The record does not fit after all: put the generators back where the call
        # found them, so init_weights draws what it would have drawn and writes every
        # tensor the records touched (its trace is complete) with MMEngine's values.
        _restore_generators(generators)
        return False
    for module in flagged:
        set_module_flag(module, "_is_init", True)
    return True


def _generator_states(devices: Iterable[torch.device]) -> list[tuple[str, torch.Tensor]]:
    """The states of the generators writes on ``devices`` draw from (the CPU's always)."""
    states = [("cpu", torch.get_rng_state())]
    for device in devices:
        if device.type == "cuda":
            states.append((str(device), torch.cuda.get_rng_state(device)))
    return states


def _restore_generators(states: list[tuple[str, torch.Tensor]]) -> None:
    for device, state in states:
        if device == "cpu":
            torch.set_rng_state(state)
        else:
            torch.cuda.set_rng_state(state, device)


def _require_original_parameters(module: nn.Module, step: Step, original: set[int]) -> None:
    """Raise where MMEngine's ``init_weights`` asserts, after a child's own
    ``init_weights``, that every parameter under it is one the model started with."""
    for name, parameter in module.named_parameters():
        if id(parameter) not in original:
            raise InitError(
                f"{step.target} ({type(module).__name__}).init_weights added or replaced "
                f"the parameter {join(step.target, name)!r}; MMEngine's init_weights "
                "raises AssertionError here ('Find a new Parameter ... Please do not add "
                "or replace parameters during executing the init_weights'); the steps "
                "before this one were written"
            )


def execute(
    root: nn.Module,
    steps: Sequence[Step],
    marked: Iterable[str] = (),
    *,
    state_cache: dict[tuple[str, str | None], StateDict] | None = None,
    on_step: StepHook | None = None,
    skip: Mapping[int, frozenset[int]] | None = None,
    resolved: Mapping[int, Sequence[torch.Tensor]] | None = None,
) -> list[tuple[Step, LoadResult]]:
    """Run ``steps`` on ``root``; return what each checkpoint load did.

    Args:
        root: The model the steps were planned on (or one with the same structure).
        steps: The planned steps.
        marked: Module paths to flag as initialized afterwards.
        state_cache: Checkpoints already read while planning, by (checkpoint, map_location).
        on_step: Called with (index, step) before each step runs (for instrumentation).
        skip: Step index → indices of its writes to leave out (overwritten later anyway).
        resolved: Step index → the tensors its writes name, found already (see
            :func:`~initcfg.backend.torch._preflight.check_plan_fits`).
    """
    modules = _Modules(root)
    cache = state_cache if state_cache is not None else {}
    loads: list[tuple[Step, LoadResult]] = []
    original: set[int] | None = None  # ids of the model's parameters, at the first call
    index, count = 0, len(steps)
    while index < count:
        step = steps[index]
        if step.kind == "init":
            # Consecutive init steps share one no_grad: nothing else runs between them.
            with torch.no_grad():
                while index < count and steps[index].kind == "init":
                    if on_step is not None:
                        on_step(index, steps[index])
                    _writes(
                        modules,
                        steps[index],
                        skip.get(index) if skip else None,
                        resolved.get(index) if resolved else None,
                    )
                    index += 1
            continue
        if on_step is not None:
            on_step(index, step)
        if step.kind == "load" and step.load is not None:
            spec = step.load
            key = (spec.checkpoint, spec.map_location)
            state = cache.get(key)
            if state is None:
                state = read_checkpoint(spec.checkpoint, spec.map_location)
                cache[key] = state
            target = modules[step.target]
            selected = select_keys(
                state, spec.prefix, spec.checkpoint, into=target,
                runner=step.origin.source == "load_from",
            )
            result = compare(expected_state(target), selected)
            load_into(target, selected)
            loads.append((step, result))
        elif step.kind == "call" and not _replay(modules, step):
            module = modules[step.target]
            if step.sets_init_cfg:
                module.init_cfg = copy.deepcopy(step.init_cfg)
            if step.target and original is None:
                # MMEngine's bookkeeping holds the parameters the model started with
                original = {id(p) for p in root.parameters()}
            module.init_weights()  # type: ignore[operator]  # checked when planned
            if step.target and original is not None:
                _require_original_parameters(module, step, original)
        index += 1
    mark_initialized(modules, marked)
    return loads
