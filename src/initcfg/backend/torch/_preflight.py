"""Before a plan writes anything: will every step run on this model?

``execute`` runs steps in order, so a step that fails part way (a module the plan names
missing, a checkpoint that cannot be read, an op this tensor's dtype refuses) would
leave the model half initialized. :func:`check_plan_fits` finds those failures first,
so :meth:`InitPlan.apply` either runs to the end or raises with the model untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from initcfg.backend.torch._ops import run_op
from initcfg.errors import CheckpointError, InitError
from initcfg.plan.checkpoint import StateDict, read_checkpoint, select_keys
from initcfg.plan.model_walk import join, written_tensor
from initcfg.plan.ops import TensorOp
from initcfg.plan.steps import Step

# The advice for a plan applied to a model: the usual misfit is a model other than the
# one the plan was compiled for. A plan compiled for the model in hand just now
# (initialize, init_weights) can only misfit by a dtype, and says so without it.
_OTHER_MODEL = "apply a plan to the model it was compiled for"


def _misfit(index: int, step: Step, what: str, advice: str | None) -> InitError:
    return InitError(
        f"step {index} ({step.kind} on {step.target or 'the root'!r}, from "
        f"{step.origin.where}) cannot run on this model: {what}; nothing was written"
        + (f" ({advice})" if advice else "")
    )


def _module(root: nn.Module, found: dict[str, nn.Module], path: str) -> nn.Module | None:
    module = found.get(path)
    if module is None and path:
        parent_path, _, name = path.rpartition(".")
        parent = _module(root, found, parent_path)
        module = None if parent is None else parent._modules.get(name)
        if module is not None:
            found[path] = module
    return module


def _try_op(op: TensorOp, dtype: torch.dtype, size: int) -> str | None:
    """Why torch refuses ``op`` on a tensor of ``dtype`` (None: it runs). Tried on the
    CPU on ``size`` elements (torch takes other paths for zero, one and more elements,
    with other checks; two stand for any more): the checks made on the model's tensor.
    On the CPU whatever the default device (``with torch.device("cuda")``): a CUDA probe
    would draw from a generator that is not put back, a meta one checks nothing."""
    probe = torch.empty(size, dtype=dtype, device="cpu")
    try:
        with torch.no_grad():
            run_op(op, probe)
    except (RuntimeError, TypeError, ValueError, OverflowError, NotImplementedError) as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def _step_tensors(
    root: nn.Module,
    found: dict[str, nn.Module],
    index: int,
    step: Step,
    tried: dict[tuple[TensorOp, torch.dtype, int], str | None],
    seen: set[tuple[int, int, torch.dtype]],
    advice: str | None,
) -> list[torch.Tensor]:
    """The tensors ``step`` writes, in order, found as the writes themselves would find
    them; raise unless each is there with the planned shape and a dtype its op runs on.

    ``tried`` holds every op tried, by value, dtype and size class, with torch's refusal
    or None; ``seen`` the op and shape objects, by identity, with a dtype that passed (a
    planner shares both), so a write like an earlier one costs one set lookup.
    """
    out: list[torch.Tensor] = []
    path: str | None = None
    module: nn.Module | None = None
    for write in step.writes:
        if write.module != path:  # a module's writes come one after another
            path = write.module
            module = found.get(path)
            if module is None:
                module = _module(root, found, path)
        tensor = None if module is None else written_tensor(module, write.attr)
        if not isinstance(tensor, torch.Tensor):
            name = join(write.module, write.attr)
            raise _misfit(index, step, f"the model has no tensor {name!r}", advice)
        shape = write.shape
        if tensor.shape != shape:  # a torch.Size is a tuple
            name = join(write.module, write.attr)
            raise _misfit(index, step, f"{name!r} has shape {list(tensor.shape)}, the plan's "
                          f"has {list(shape)}", advice)
        op, dtype = write.op, tensor.dtype
        key = (id(op), id(shape), dtype)
        if key not in seen:
            probe = (op, dtype, min(tensor.numel(), 2))
            if probe not in tried:
                tried[probe] = _try_op(*probe)
            refused = tried[probe]
            if refused is not None:
                name = join(write.module, write.attr)
                raise _misfit(index, step, f"torch refuses {op.kind}{tuple(op.args)} on "
                              f"{name!r} ({dtype}): {refused}", advice)
            seen.add(key)
        out.append(tensor)
    return out


def _located(step: Step, error: CheckpointError) -> CheckpointError:
    """``error`` at the config line that names the checkpoint: a read that planning left
    out (a download without ``--download``) or a file changed since fails here, and the
    message alone names neither the line nor the key."""
    origin = step.origin
    if origin.file is None:
        return error
    return CheckpointError(
        f"{origin.file}:{origin.line or 1}:1: {error} ({origin.key})", error.diagnostics
    )


def check_plan_fits(
    root: nn.Module,
    steps: Sequence[Step],
    cache: dict[tuple[str, str | None], StateDict],
    *,
    advice: str | None = _OTHER_MODEL,
) -> dict[int, list[torch.Tensor]]:
    """Raise before anything is written when a step cannot run on ``root``.

    Every step's module must exist, a ``call`` step's module must have ``init_weights``,
    every checkpoint must read and hold the keys its prefix selects (read once, into
    ``cache``, where the load finds it), and every tensor an ``init`` step writes must
    exist with the planned shape (an op's arguments, a fan-based std or bound, were
    computed from it) and a dtype its op runs on (tried once per op, dtype and size
    class). A compiled plan is checked as one read from a file is: it may be applied to
    a model other than the one it was compiled on. ``advice`` ends each refusal's
    message (None: nothing; for steps planned on ``root`` itself).

    Returns:
        Step index → the tensors its writes name, for each ``init`` step before the
        first step of another kind (a load or an ``init_weights`` call may replace a
        tensor; up to then the tensors found here are the ones to write).

    Raises:
        InitError: A step does not fit; CheckpointError for a checkpoint.
    """
    found: dict[str, nn.Module] = {"": root}
    resolved: dict[int, list[torch.Tensor]] = {}
    leading = True  # no step of another kind yet
    tried: dict[tuple[TensorOp, torch.dtype, int], str | None] = {}
    seen: set[tuple[int, int, torch.dtype]] = set()
    generator = torch.get_rng_state()  # the ops tried draw from it
    try:
        for index, step in enumerate(steps):
            target = _module(root, found, step.target)
            if target is None:
                raise _misfit(index, step, f"the model has no module {step.target!r}", advice)
            if step.kind != "init":
                leading = False
            if step.kind == "load" and step.load is not None:
                spec = step.load
                key = (spec.checkpoint, spec.map_location)
                try:
                    state = cache.get(key)
                    if state is None:
                        state = cache[key] = read_checkpoint(spec.checkpoint, spec.map_location)
                    select_keys(
                        state, spec.prefix, spec.checkpoint, into=target,
                        runner=step.origin.source == "load_from",
                    )
                except CheckpointError as error:
                    raise _located(step, error) from error
            elif step.kind == "call" and not callable(getattr(target, "init_weights", None)):
                raise _misfit(
                    index, step, f"{step.target or 'the root'!r} has no init_weights", advice
                )
            elif step.kind == "init":
                found_tensors = _step_tensors(root, found, index, step, tried, seen, advice)
                if leading:
                    resolved[index] = found_tensors
    finally:
        torch.set_rng_state(generator)
    return resolved
