"""Model-dependent diagnostics of an init plan found around the walk: lazy modules (IC440),
constructor-made ``init_cfg`` values (IC415), loads overwritten later (IC404) and
parameters nothing writes (IC405)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import filterfalse, islice
from operator import attrgetter
from typing import TYPE_CHECKING

from torch import nn

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, Location, diagnostic, format_path
from initcfg.plan.init_cfg_source import plain
from initcfg.plan.init_describe import describe_step
from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.planner import Planner
from initcfg.plan.steps import Origin

if TYPE_CHECKING:
    from initcfg.plan.init_plan import InitPlan


def lazy_model_problem(
    tree: ConfigTree, model: nn.Module, *, index: ModuleIndex | None = None
) -> Diagnostic | None:
    """IC440 when ``model`` holds lazy modules (placed at the config's ``model`` key):
    a plan is about shapes, and a lazy module has none until its first forward."""
    if index is not None and not index.has_lazy_tensors():
        return None
    lazy = _lazy_modules(model, index)
    if not lazy:
        return None
    shown = ", ".join(f"{name or 'the model'} ({kind})" for name, kind in lazy[:4])
    problem = diagnostic(
        "IC440",
        f"the model has lazy modules whose parameters have no shape until a first forward "
        f"pass: {shown}" + (" …" if len(lazy) > 4 else "") + "; nothing can be planned, "
        "and MMEngine raises ValueError when an initializer reaches them",
        (),
        "give the layers their input sizes (nn.Linear instead of nn.LazyLinear), or run "
        "the model once on a sample batch inside the factory",
    )
    where = tree.location(("model", "type")) or tree.location(("model",))
    return problem.at(where, tree.path)


def _lazy_modules(model: nn.Module, index: ModuleIndex | None = None) -> list[tuple[str, str]]:
    """``(module path, class name)`` of each module holding an uninitialized tensor."""
    from torch.nn.parameter import is_lazy

    found = []
    walk = index.preorder if index is not None else model.named_modules()
    for name, module in walk:
        own = [*module._parameters.values(), *module._buffers.values()]
        if any(tensor is not None and is_lazy(tensor) for tensor in own):
            found.append((name, type(module).__name__))
    return found


def _constructor_differences(planner: Planner, modules: Mapping[str, nn.Module]) -> None:
    for module_path, (key, value) in planner.source.init_cfgs.items():
        module = modules[module_path]
        if not hasattr(module, "init_cfg"):
            continue
        attribute = module.init_cfg
        if plain(attribute) == plain(value):
            continue
        planner.report(
            "IC415",
            f"{format_path(key)} is {value!r}, but the constructor of {module_path or 'the model'} "
            f"({type(module).__name__}) made it {plain(attribute)!r}; that is what "
            "init_weights applies",
            Origin(module_path, format_path(key), "config"),
            key=key,
        )


def _provenance_diagnostics(plan: InitPlan, parameters: int | None = None) -> None:
    """IC404 and IC405 from the plan's writers (``parameters``: how many of the plan's
    tensors, which list parameters first, are parameters, when the caller knows)."""
    if not any(step.kind == "load" for step in plan.steps):
        # Without a load there is no IC404 to find, and IC405 needs only whether anything
        # writes a parameter: one set of the written names instead of every tensor's
        # list of writers (a compile ran the full pass once per plan).
        written: set[str] = set()
        tensor_of = attrgetter("tensor")
        for step in plan.steps:
            if step.kind == "init":
                written.update(map(tensor_of, step.writes))
            else:
                written.update(step.written())
        _untouched(plan, written, parameters)
        return
    writers = plan.writers()
    for index, step in enumerate(plan.steps):
        if step.kind != "load":
            continue
        lost = [name for name in step.written() if writers.get(name, [index])[-1] != index]
        if lost:
            later = sorted({describe_step(plan.steps[writers[n][-1]]) for n in lost})
            where = _location(step.origin)
            config = plan.config if where is not None else None
            plan.diagnostics.append(
                diagnostic(
                    "IC404",
                    f"{len(lost)} tensors loaded by {describe_step(step)} into "
                    f"{step.target or 'the model'} are overwritten later by "
                    f"{', '.join(later)}: {', '.join(lost[:4])}" + (" …" if len(lost) > 4 else ""),
                    step.origin.key,
                ).at(where, config)
            )
    _untouched(plan, {name for name, indices in writers.items() if indices}, parameters)


# IC405's claim, which a caller that knows a later load (InitcfgHook, before a resume)
# replaces with what that load does.
KEEP_DEFAULT = "parameters keep torch's default initialization"


def _untouched(plan: InitPlan, written: set[str], parameters: int | None) -> None:
    """IC405: the parameters nothing writes (``written``: the names something writes)."""
    if parameters is None:
        params = [name for name, info in plan.tensors.items() if info.kind == "parameter"]
    else:
        params = list(islice(plan.tensors, parameters))
    untouched = list(filterfalse(written.__contains__, params))
    if untouched:
        plan.diagnostics.append(
            diagnostic(
                "IC405",
                f"{len(untouched)} of {len(params)} {KEEP_DEFAULT}: "
                + ", ".join(untouched[:5])
                + (" …" if len(untouched) > 5 else ""),
            ).at(None, plan.config)  # about the whole model: shown at the config's name
        )


def _location(origin: Origin) -> Location | None:
    return Location(origin.file, origin.line or 1, 1) if origin.file else None
