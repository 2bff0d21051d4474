"""Checks for a module whose own ``init_weights`` the plan calls instead of applying its
``init_cfg`` (an OpenMMLab backbone): what that call will do with the ``init_cfg``
through ``super().init_weights()`` can still fail, and should fail while planning.

* A Pretrained checkpoint it loads that cannot be used (IC409).
* An entry MMEngine's ``initialize`` raises on (an override name the module lacks, a
  fan-based initializer on a 1-D weight, ...), where the call's trace on the meta device
  stopped because the call raised, or because the module's own ``init_cfg`` loads a
  checkpoint (which the IC409 check already takes ``super().init_weights()`` to load,
  and which an override loads no other way):
  the module's entries are then planned as ``BaseModule.init_weights`` would apply them,
  for their errors only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from torch import nn

from initcfg.diagnostics import KeyPath, format_path
from initcfg.errors import CheckpointError
from initcfg.plan.checkpoint import checkpoint_available, read_checkpoint, select_keys
from initcfg.plan.init_cfg_source import _deferred
from initcfg.plan.model_walk import module_attr
from initcfg.plan.steps import Origin, Step

if TYPE_CHECKING:
    from initcfg.plan.planner import Planner

# What trace_init_weights writes as the reason when the call itself raised, and when it
# stopped at a checkpoint (before the call, for a Pretrained anywhere under the module, or
# at the load); a stop for a value read or a replaced tensor reads otherwise.
_RAISED = "raised "
_LOADS = "loads a checkpoint"
# The errors of a dry run that are MMEngine's raises: an override name that is missing or
# no module, a fan-based or any initializer on what torch refuses, an unusable checkpoint.
# Not IC414 or IC413 (what a plan cannot address or run: the call does it itself).
_MMENGINE_RAISES = frozenset({"IC401", "IC411", "IC406", "IC407", "IC409"})


def _loads(value: Any) -> bool:
    """Whether an init_cfg value (or an override's) holds a Pretrained entry."""
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, Mapping) and (
            str(entry.get("type", "")).endswith(("Pretrained", "PretrainedInit"))
            or ("override" in entry and _loads(entry["override"]))
        ):
            return True
    return False


def _applies_init_cfg(reason: str, value: Any) -> bool:
    """Whether the stopped call is taken to apply ``value`` (the module's init_cfg) the way
    ``BaseModule.init_weights`` does: it raised, or it stopped at a checkpoint and the
    value holds a Pretrained entry (an override's too), which only
    ``super().init_weights()`` loads."""
    return reason.startswith(_RAISED) or (reason.startswith(_LOADS) and _loads(value))


def check_stopped_call(
    planner: Planner, step: Step, module: nn.Module, path: str,
    credited: tuple[KeyPath, Any] | None,
) -> None:
    """Errors of the ``init_cfg`` a traced call stopped on.

    The config's value (``credited``) is parsed as validate parses it, its grammar errors
    the plan's. When the call is taken to apply the module's ``init_cfg`` (see
    :func:`_applies_init_cfg`), its entries are planned on the module, the Pretrained ones
    after the others as ``BaseModule.init_weights`` orders them, and only their errors
    kept: MMEngine's ``initialize`` raises on them, so ``apply`` would stop in the middle of
    the call with tensors already written. No step of that dry run stays in the plan; the
    call still decides what is written.
    """
    trace = step.trace
    if trace is None or trace.complete:
        return
    reason = trace.reason or ""
    value = step.init_cfg if step.sets_init_cfg else module_attr(module, "init_cfg", None)
    if credited is not None and credited[1]:
        value = credited[1]
        entries = planner.parse(value, module, path, credited[0], "config")
    elif value and _applies_init_cfg(reason, value):
        reported = len(planner.diagnostics)
        entries = planner.parse(value, module, path, None, "attribute")
        del planner.diagnostics[reported:]  # the model's own value: its code, not a config
    else:
        return
    if not entries or not _applies_init_cfg(reason, value):
        return
    steps, reported, overrides = len(planner.steps), len(planner.diagnostics), planner.overrides
    deferred = [e for e in entries if _deferred(e.initializer)]
    planner.run([e for e in entries if not _deferred(e.initializer)], module, path)
    planner.run(deferred, module, path)
    # A checkpoint the module's own init_weights cannot use is check_own_checkpoints' IC409.
    loads = {e.origin.key for e in deferred}
    found = [
        d for d in planner.diagnostics[reported:]
        if d.code in _MMENGINE_RAISES and not (d.code == "IC409" and d.path in loads)
    ]
    del planner.steps[steps:]
    del planner.diagnostics[reported:]
    planner.overrides = overrides
    planner.diagnostics.extend(found)


def check_own_checkpoints(
    planner: Planner, init_cfg: Any, module: nn.Module, path: str, origin: Origin,
    key: KeyPath | None,
) -> None:
    """IC409 for a Pretrained checkpoint a module's own ``init_weights`` will load
    (through ``super().init_weights()``, as OpenMMLab backbones do) that cannot be
    used: a missing file fails only when the run reaches it, after everything was
    built. Read as a load step reads it; a remote one only with ``download``."""
    if not planner.read_checkpoints:
        return
    for entry in init_cfg if isinstance(init_cfg, list) else [init_cfg]:
        if not isinstance(entry, Mapping) or not str(entry.get("type", "")).endswith(
            ("Pretrained", "PretrainedInit")
        ):
            continue
        checkpoint, prefix = entry.get("checkpoint"), entry.get("prefix")
        location = entry.get("map_location", "cpu")
        if not isinstance(checkpoint, str) or not isinstance(location, str | None):
            continue  # the grammar reports it
        if not planner.download and not checkpoint_available(checkpoint):
            continue
        try:
            # Memory-mapped and not cached: the module's own init_weights reads the
            # file again, and no step of the plan needs its tensors.
            state = read_checkpoint(checkpoint, location or "cpu", mmap=True)
            select_keys(
                state, prefix if isinstance(prefix, str) else None, checkpoint, into=module
            )
            del state
        except CheckpointError as error:
            # Where the config wrote it, when it did: then the diagnostic names the config
            # it belongs to, as every config diagnostic does (the call's origin is the class).
            written = origin if key is None else Origin(path, format_path(key), "config")
            planner.report(
                "IC409",
                f"{path or 'the model'} ({type(module).__name__}) loads a checkpoint in "
                f"its own init_weights that cannot be used: {error}",
                written,
                key=key,
            )
