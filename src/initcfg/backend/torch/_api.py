"""``initialize`` and ``init_weights``: MMEngine's semantics, planned first, then executed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from torch import nn

from initcfg.backend.torch._execute import execute
from initcfg.backend.torch._preflight import check_plan_fits
from initcfg.config.mapping import plain_value
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic
from initcfg.errors import (
    InitCfgError,
    InitCfgKeyError,
    InitError,
    error_for,
)
from initcfg.plan.checkpoint import LoadResult
from initcfg.plan.model_walk import Reach, gc_paused, require_module, require_reach
from initcfg.plan.planner import Planner
from initcfg.plan.steps import Step, StepHook, StepRecorder, Unreached

if TYPE_CHECKING:
    from initcfg.plan.init_plan import InitPlan

_ACTIVE: set[int] = set()


@dataclass(slots=True)
class InitReport:
    """What :func:`init_weights` or :func:`initialize` did.

    Attributes:
        steps: The steps that ran, in order.
        loads: For each checkpoint load, the keys loaded, missing, unexpected and skipped
            for shape.
        unreached: ``init_cfg`` values that were never applied, with the module in the way.
        diagnostics: Warnings and notes found while planning (errors raise instead).
        skipped: True when the model was already initialized and nothing ran.
    """

    steps: list[Step] = field(default_factory=list)
    loads: list[tuple[Step, LoadResult]] = field(default_factory=list)
    unreached: list[Unreached] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: bool = False

    def summary(self) -> str:
        """One line: steps run, tensors written, loads, and unapplied init_cfgs."""
        writes = sum(len(step.writes) for step in self.steps)
        return (
            f"{len(self.steps)} steps, {writes} tensor writes, {len(self.loads)} checkpoint "
            f"loads, {len(self.unreached)} init_cfg never applied"
        )


def raise_for_errors(diagnostics: Sequence[Diagnostic], what: str) -> None:
    """Raise the error the first error diagnostic stands for (before any tensor is written)."""
    error = error_for(diagnostics, what)
    if error is not None:
        raise error


def execute_plan(
    plan: InitPlan, model: nn.Module, *, exact: bool = True, on_step: StepHook | None = None
) -> list[tuple[Step, LoadResult]]:
    """Run a compiled plan on ``model``: what :meth:`InitPlan.apply` does (see there)."""
    require_module(model, "model", "InitPlan.apply")
    raise_for_errors(plan.diagnostics, "the config")
    # Every step checked against the model first: a plan stops before its first write or
    # not at all.
    resolved = check_plan_fits(model, plan.steps, plan._state_cache)
    try:
        return execute(
            model,
            plan.steps,
            plan.marked,
            state_cache=plan._state_cache,
            on_step=on_step,
            skip=None if exact else plan.dead_writes(),
            # a hook runs before each step and may replace a tensor: with one, each write
            # looks its tensor up when it runs, as MMEngine's getattr would (a recorder
            # promises not to)
            resolved=resolved if on_step is None or isinstance(on_step, StepRecorder) else None,
        )
    except KeyError as missing:
        raise InitError(
            f"the model has no module {missing.args[0]!r} that the plan writes to; "
            "apply a plan to the model it was compiled for"
        ) from None


def initialize(module: nn.Module, init_cfg: Any) -> InitReport:
    """Apply ``init_cfg`` to ``module``, as ``mmengine.model.initialize`` does.

    Entries run in list order (Pretrained is not deferred here), each followed by its
    overrides; random draws happen in MMEngine's order, so a fixed seed gives the same
    tensors.

    Args:
        module: The module to initialize.
        init_cfg: A dict or list of dicts (parsed with the init_cfg grammar), or typed
            initializer models from :mod:`initcfg.schema`.

    Returns:
        What ran.

    Raises:
        InitCfgError: ``init_cfg`` breaks the grammar; ``.diagnostics`` says where. An
            entry without ``type`` (``{}`` included) raises its subclass
            ``InitCfgKeyError``, also a ``KeyError`` as MMEngine's is.
        InitError: An entry cannot run on this module (override name missing, a type
            without a torch implementation, fan-based initializer on a 1-D weight, an op
            the tensor's dtype refuses, ...). Nothing was written.
        CheckpointError: A Pretrained checkpoint cannot be read.
        TypeError: ``module`` is not an ``nn.Module`` instance.
    """
    require_module(module, "module", "initialize")
    init_cfg, problem = plain_value(init_cfg)  # typed models stay as they are
    if problem is not None:  # inside itself, or past a load's bounds
        raise InitCfgError.from_diagnostics([problem], "init_cfg")
    if isinstance(init_cfg, tuple):
        # A module's init_cfg may be a tuple (BaseModule.init_weights loops over it), but
        # mmengine.model.initialize raises TypeError for one.
        raise InitCfgError.from_diagnostics(
            [diagnostic(
                "IC101", "initialize takes a dict or a list of dicts, not a tuple; "
                "mmengine.model.initialize raises TypeError for one", (),
            )],
            "the init_cfg given to initialize",
        )
    _refuse_entries_without_type(init_cfg)
    planner = Planner(module)
    with gc_paused():
        for entry in planner.parse(init_cfg, module, "", None, "argument"):
            planner.run_entry(entry, module, "")
    raise_for_errors(planner.diagnostics, "init_cfg")
    # What planning cannot see (a fill a float16 weight overflows, a normal_ an integer
    # tensor refuses) raises here, before the first write, as InitPlan.apply does.
    resolved = check_plan_fits(module, planner.steps, planner.state_cache, advice=None)
    loads = execute(
        module, planner.steps, state_cache=planner.state_cache, resolved=resolved
    )
    return InitReport(planner.steps, loads, [], planner.diagnostics)


def _refuse_entries_without_type(init_cfg: Any) -> None:
    """Raise where ``mmengine.model.initialize`` raises KeyError: an entry without
    ``type``. As a module's ``init_cfg`` attribute ``{}`` is falsy and skipped (IC122, a
    warning), but ``initialize`` wraps it in a list and builds it."""
    if isinstance(init_cfg, Mapping):
        entries: list[tuple[KeyPath, Any]] = [(("init_cfg",), init_cfg)]
    elif isinstance(init_cfg, list):
        entries = [(("init_cfg", index), item) for index, item in enumerate(init_cfg)]
    else:
        return
    found = []
    for path, entry in entries:
        if not isinstance(entry, Mapping) or "type" in entry:
            continue
        found.append(
            diagnostic(
                "IC102",
                f"the entry {_show(dict(entry))} has no 'type': mmengine.model.initialize "
                "raises KeyError on it",
                path,
                "add `type:` naming an initializer, or leave the module's init_cfg unset",
            )
        )
    if found:
        raise InitCfgKeyError.from_diagnostics(found, "the init_cfg given to initialize")


def _show(value: dict[Any, Any]) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def init_weights(model: nn.Module, *, reach: Reach = "mmengine") -> InitReport:
    """Initialize ``model`` as MMEngine's ``BaseModule.init_weights()`` on it would.

    ``init_cfg`` is read from module attributes, duck-typed: MMEngine ``BaseModule``\\ s
    and plain ``nn.Module``\\ s that set ``self.init_cfg`` alike. Each module's own entries
    run, then its children, then its Pretrained entries; a module's own ``init_weights``
    is called instead where it defines one. Initialized modules are flagged, so a second
    call does nothing.

    Args:
        model: The model.
        reach: ``"mmengine"`` (default) descends only into modules that have
            ``init_weights`` or an ``init_cfg`` attribute, as MMEngine does; ``"all"``
            descends into every module, plain containers included.

    Returns:
        The report; ``unreached`` lists every ``init_cfg`` that was never applied.

    Raises:
        InitCfgError: An ``init_cfg`` attribute breaks the grammar.
        InitError: An entry cannot run on this model (see :func:`initialize`). Nothing
            was written.
        CheckpointError: A Pretrained checkpoint cannot be read.
        TypeError: ``model`` is not an ``nn.Module`` instance.
        ValueError: ``reach`` is neither ``"mmengine"`` nor ``"all"``.
    """
    require_module(model, "model", "init_weights")
    require_reach(reach, "init_weights")
    planner = Planner(model, reach=reach)
    # A model whose own init_weights calls initcfg.init_weights(self) must not be
    # called back.
    with gc_paused():
        planner.init_weights(call_own=id(model) not in _ACTIVE)
    raise_for_errors(planner.diagnostics, "an init_cfg attribute")
    if not planner.steps and not planner.marked:
        return InitReport(skipped=True)
    resolved = check_plan_fits(model, planner.steps, planner.state_cache, advice=None)
    _ACTIVE.add(id(model))
    try:
        loads = execute(
            model, planner.steps, planner.marked, state_cache=planner.state_cache,
            resolved=resolved,
        )
    finally:
        _ACTIVE.discard(id(model))
    return InitReport(planner.steps, loads, planner.unreached, planner.diagnostics)
