"""The writes of one initializer step: which tensors under a module it reaches, in order.

An initializer reaches the modules under its target in ``module.apply`` order (each
child's subtree, then the module), every module for an override and the modules whose
class names meet its ``layer`` otherwise, and writes their ``weight`` and ``bias``.

A model repeats its blocks, and a root entry such as ``Normal`` on every ``Linear``
reaches each of them the same way: a subtree with a kind (see
:class:`~initcfg.plan.module_index.ModuleIndex`) shared by several subtrees is walked
once per initializer, and its writes, relative to it, are stamped for the others with
their own path in front (the same ops, tensor names and shapes a walk would find). A
subtree whose walk reported anything, or met a tensor not named where the walk read it,
is walked every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.nn.utils import parametrize
from torch.nn.utils.weight_norm import WeightNorm

from initcfg.diagnostics import KeyPath, did_you_mean
from initcfg.errors import InitError
from initcfg.plan.init_describe import _layer_item_key
from initcfg.plan.model_walk import _CLASS_ATTRS, _class_names, join, weight_and_bias
from initcfg.plan.ops import TensorOp, bias_op, weight_op
from initcfg.plan.steps import (
    _W_ATTR,
    _W_MODULE,
    _W_OP,
    _W_SHAPE,
    _W_TENSOR,
    Origin,
    Step,
    Write,
    _new,
    make_write,
)
from initcfg.schema.initializers import WeightInit

if TYPE_CHECKING:
    from initcfg.plan.planner import Planner

# A write relative to its subtree: module path, attribute, tensor name, shape, op.
_RelWrite = tuple[str, str, str, tuple[int, ...], TensorOp]
# What one initializer does in one kind of subtree: its writes and the layer names met.
Stamp = tuple[tuple[_RelWrite, ...], frozenset[str]]
# (id(initializer), whole, kind) → the stamp, or None when the kind is walked each time.
Stamps = dict[tuple[int, bool, int], "Stamp | None"]

_Hits = dict[type, frozenset[str]]


def init_step(
    planner: Planner,
    init: WeightInit,
    module: nn.Module,
    path: str,
    origin: Origin,
    *,
    whole: bool,
    key: KeyPath | None = None,
) -> None:
    """Plan the step of ``init`` on ``module``: every module under it for an override
    (``whole``), else those its ``layer`` names (IC402 for a name that meets none)."""
    step = Step("init", path, whole, init, origin)
    found = planner.layer_hits.get(id(init))
    if found is None:
        # Which layer names each class matches, once per initializer and class: the same
        # entry planned in every block meets the same few classes.
        found = planner.layer_hits[id(init)] = (frozenset(init.layers), {})
        planner.keep.append(init)  # keeps id(init) unique while the caches live
    layers, hits = found
    matched: set[str] = set()
    _subtree(planner, step, init, module, path, None if whole else (layers, hits), matched)
    if not whole and len(matched) < len(layers):
        order = planner.index.postorder(module, path)
        seen_classes = sorted({type(sub).__name__ for _, sub in order})
        for name in init.layers:
            if name not in matched:
                planner.report(
                    "IC402",
                    f"layer {name!r} matches no module under {path or 'the model'}; "
                    "this part of the entry initializes nothing",
                    origin,
                    did_you_mean(name, seen_classes),
                    _layer_item_key(key, init.layer, name),
                )
    planner.steps.append(step)


def _subtree(
    planner: Planner,
    step: Step,
    init: WeightInit,
    module: nn.Module,
    path: str,
    layer: tuple[frozenset[str], _Hits] | None,
    matched: set[str],
) -> None:
    """Add the writes of ``init`` in ``module``'s subtree to ``step`` (``layer``: the
    layer names and their class hits; None: every module)."""
    index = planner.index
    kind = index.kinds.get(path)
    if (
        kind is None
        or not path  # the root: nothing else is like it
        or index.kind_counts[kind] < 2
        or index.modules.get(path) is not module
    ):
        _walk(planner, step, init, module, path, layer, matched)
        return
    stamps = planner.write_stamps
    stamp_key = (id(init), layer is None, kind)
    if stamp_key in stamps:
        stamp = stamps[stamp_key]
        if stamp is not None:
            writes, met = stamp
            matched |= met
            stamp_writes(step.writes, writes, path)
            return
        _walk(planner, step, init, module, path, layer, matched)
        return
    first, said = len(step.writes), len(planner.diagnostics)
    met_here: set[str] = set()
    _walk(planner, step, init, module, path, layer, met_here)
    matched |= met_here
    rel_writes = (
        relative_writes(planner, step.writes[first:], path)
        if len(planner.diagnostics) == said
        else None
    )
    stamps[stamp_key] = None if rel_writes is None else (rel_writes, frozenset(met_here))


def _walk(
    planner: Planner,
    step: Step,
    init: WeightInit,
    module: nn.Module,
    path: str,
    layer: tuple[frozenset[str], _Hits] | None,
    matched: set[str],
) -> None:
    """``module.apply`` order: each child's subtree, then ``module`` itself."""
    prefix = f"{path}." if path else ""
    for name, child in planner.index.children(module):
        _subtree(planner, step, init, child, prefix + name, layer, matched)
    if layer is None:
        module_writes(planner, step, init, module, path)
        return
    layers, hits = layer
    cls = type(module)
    hit = hits.get(cls)
    if hit is None:
        hit = hits[cls] = layers & _class_names(cls)
    if hit:
        matched |= hit
        module_writes(planner, step, init, module, path)


def relative_writes(
    planner: Planner, writes: list[Write], path: str
) -> tuple[_RelWrite, ...] | None:
    """``writes`` relative to the subtree at ``path``, or None when one is outside it or
    not named where the walk read it (a stamp could not give it another block's name)."""
    modules = planner.index.modules
    out: list[_RelWrite] = []
    for write in writes:
        module = write.module
        rel = relative(module, path)
        holder = modules.get(module)
        if (
            rel is None
            or holder is None
            or write.tensor != f"{module}.{write.attr}"
            # read from the tables, as getattr would (see module_attr)
            or not _CLASS_ATTRS.get((type(holder), write.attr))
        ):
            return None
        out.append((rel, write.attr, f"{rel}.{write.attr}", write.shape, write.op))
    return tuple(out)


def stamp_writes(out: list[Write], writes: tuple[_RelWrite, ...], path: str) -> None:
    """Append ``writes`` to ``out`` with ``path`` in front (:func:`relative_writes`)."""
    # make_write, inlined: a model of repeated blocks builds one Write per tensor here
    new = _new
    for module, attr, tensor, shape, op in writes:
        write = new(Write)
        _W_MODULE(write, path + module)
        _W_ATTR(write, attr)
        _W_TENSOR(write, path + tensor)
        _W_SHAPE(write, shape)
        _W_OP(write, op)
        out.append(write)


def relative(path: str, block: str) -> str | None:
    """``path`` after ``block`` (``""`` for the block itself, ``.x.y`` below it), or None
    when ``path`` is outside the block."""
    if path == block:
        return ""
    if path.startswith(block) and path[len(block)] == ".":
        return path[len(block) :]
    return None


def module_writes(
    planner: Planner, step: Step, init: WeightInit, module: nn.Module, path: str
) -> None:
    """Add the writes of ``init`` on ``module``'s own ``weight`` and ``bias`` to ``step``
    (IC407 for one that is not a tensor, IC440 for a lazy one, IC406 for a shape the
    initializer cannot take)."""
    weight, bias = weight_and_bias(module)
    known = planner.known
    for attr, tensor in (("weight", weight), ("bias", bias)):
        if tensor is None:
            continue
        found = known.get(id(tensor))
        if found is not None:  # a registered tensor with a shape: the common case
            name, shape = found.name, found.shape
        else:
            if not isinstance(tensor, torch.Tensor):
                planner.report(
                    "IC407",
                    f"{init.type} reaches {path or 'the model'} ({type(module).__name__}), "
                    f"whose {attr!r} is a {type(tensor).__name__}, not a tensor; MMEngine "
                    "crashes here",
                    step.origin,
                )
                continue
            if is_lazy(tensor):
                planner.report(
                    "IC440",
                    f"{init.type} reaches {join(path, attr)} ({type(module).__name__}), "
                    "which has no shape until the module's first forward pass; MMEngine "
                    "raises ValueError here",
                    step.origin,
                )
                continue
            name, shape = planner.names.get(id(tensor), ""), tuple(tensor.shape)
            source = _recomputed_from(module, attr)
            if source is not None:
                # MMEngine writes (and draws for) a temporary tensor: the plan keeps the
                # write for the draws, and says that it changes nothing
                planner.report(
                    "IC416",
                    f"{init.type} reaches {join(path, attr)} ({type(module).__name__}), "
                    f"which is computed from {source} each time it is read: the write "
                    "lands in a temporary tensor and changes no parameter (MMEngine's "
                    "initializer does the same)",
                    step.origin,
                    f"initialize {source} in the module's own init_weights, or "
                    "initialize the layer before registering the parametrization",
                )
        # Ops depend on the initializer and the shape only; blocks repeat both.
        cache_key = (id(init), attr, shape)
        op = planner.ops.get(cache_key)
        if op is None:
            what = f"{init.type} on {join(path, attr)} ({type(module).__name__})"
            try:
                op = weight_op(init, shape, what) if attr == "weight" else bias_op(init)
            except InitError as error:
                planner.report("IC406", str(error), step.origin)
                continue
            planner.ops[cache_key] = op
            planner.keep.append(init)  # keeps id(init) unique while the cache lives
        step.writes.append(make_write(path, attr, name, shape, op))


def _recomputed_from(module: nn.Module, attr: str) -> str | None:
    """What ``module.<attr>`` is computed from when reading it gives a fresh tensor that
    no parameter shares (a parametrization's output, old-style weight_norm's product of
    ``<attr>_g`` and ``<attr>_v``), or None when a write to it sticks."""
    if parametrize.is_parametrized(module, attr):
        held = module._modules["parametrizations"]._modules.get(attr)  # type: ignore[union-attr]
        # one tensor (`original`), or one per output of right_inverse (weight_norm's two)
        names = [] if held is None else [n for n, _ in held.named_parameters(recurse=False)]
        return " and ".join(f"parametrizations.{attr}.{name}" for name in names) or (
            f"parametrizations.{attr}"
        )
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == attr:
            return f"{attr}_g and {attr}_v"
    return None
