"""The training plan: what a fine-tune config will do to a model, before it runs.

:func:`compile_train_plan` reads the config's fine-tune settings and resolves them
against a model with MMEngine 0.10.7's semantics:

- the optimizer's parameter groups (:mod:`initcfg.plan.param_groups`),
- the learning rate of every iteration (:mod:`initcfg.plan.lr_schedule`),
- what ``load_from`` loads: the keys loaded, missing, unexpected and skipped for a shape
  mismatch, and so which parameters keep their fresh initialization.

The plan is data (pydantic, JSON round trip). :func:`build_optimizer` turns it into a
``torch.optim`` optimizer and :meth:`TrainPlan.lrs_at` gives each group's rate for an
iteration, which is all a training loop needs to follow the plan exactly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from torch import nn

from initcfg.config.load import (
    config_mapping,
    config_path,
    load_tree,
    require_flag,
    tree_from_mapping,
)
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, format_path, place
from initcfg.plan.lr_schedule import (
    LrSchedule,
    SchedulerEntry,
    compute_lr_schedule,
)
from initcfg.plan.model_walk import require_module
from initcfg.plan.param_groups import (
    ParamGroupsPlan,
    ParamwiseRules,
    optimizer_defaults,
    resolve_param_groups,
    unwrap_model,
)
from initcfg.plan.train_plan_types import NO_MODEL as NO_MODEL
from initcfg.plan.train_plan_types import CheckpointLoad as CheckpointLoad
from initcfg.plan.train_plan_types import JsonScalar as JsonScalar
from initcfg.plan.train_plan_types import JsonValue as JsonValue
from initcfg.plan.train_plan_types import LoopPlan as LoopPlan
from initcfg.plan.train_plan_types import OptimizerPlan as OptimizerPlan
from initcfg.plan.train_plan_types import ShapeSkip as ShapeSkip
from initcfg.plan.train_plan_types import TrainPlan as TrainPlan
from initcfg.plan.train_plan_types import _need_lr as _need_lr
from initcfg.plan.train_plan_types import build_optimizer as build_optimizer
from initcfg.schema.class_paths import SCHEDULERS
from initcfg.schema.config_facts import OWN_LOOP_VALIDATION, ConfigFacts
from initcfg.schema.document import Document, FinetuneWritten, parse_document
from initcfg.schema.finetune import FinetuneSettings, OptimWrapperCfg
from initcfg.schema.runtime import RuntimeSettings
from initcfg.schema.schedulers import MOMENTUM_SCHEDULERS, SchedulerBase

__all__ = [
    "NO_MODEL",
    "CheckpointLoad",
    "LoopPlan",
    "OptimizerPlan",
    "ShapeSkip",
    "TrainPlan",
    "build_optimizer",
    "compile_train_plan",
    "dataloader_length",
]


# ----------------------------------------------------------------------------- compile


def _require_count(value: object, name: str, *, least: int, optional: bool = True) -> None:
    """Refuse an argument that is no whole number of at least ``least`` (None allowed
    when ``optional``); a bool is no count."""
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        allowed = "an int or None" if optional else "an int"
        raise TypeError(
            f"compile_train_plan: {name} must be {allowed}, not {type(value).__name__}"
        )
    if value < least:
        raise ValueError(f"compile_train_plan: {name} must be at least {least} (got {value})")


def _as_tree(config: str | os.PathLike[str] | ConfigTree | Mapping[str, Any]) -> ConfigTree:
    if isinstance(config, ConfigTree):
        return config
    mapping = config_mapping(config)
    if mapping is not None:
        return tree_from_mapping(dict(mapping))
    return load_tree(config_path(config))  # load errors go into the plan's diagnostics


def _json_value(value: Any) -> JsonValue:
    if isinstance(value, tuple | list):
        return [item if isinstance(item, float | int | bool | str) else None for item in value]
    if value is None or isinstance(value, float | int | bool | str):
        return value
    return str(value)


def _validates(facts: ConfigFacts) -> bool:
    """Whether the run has a validation loop to call."""
    sections = set(OWN_LOOP_VALIDATION)
    if not facts.factory_model:
        # MMEngine's Runner: no ValLoop unless val_cfg is set too (a factory config is
        # trained by initcfg's own loop, which needs only the other two).
        sections.add("val_cfg")
    return sections <= facts.set_keys


def _loop_plan(
    settings: FinetuneSettings, iters_per_epoch: int | None, validates: bool = True
) -> LoopPlan | None:
    loop = settings.train_cfg
    if loop is None:
        return None
    if loop.type == "EpochBasedTrainLoop":
        return LoopPlan(
            type=loop.type,
            max_epochs=loop.max_epochs,
            iters_per_epoch=iters_per_epoch,
            val_begin=loop.val_begin,
            val_interval=loop.val_interval,
            validates=validates,
        )
    return LoopPlan(
        type=loop.type,
        max_iters=loop.max_iters,
        iters_per_epoch=iters_per_epoch,
        val_begin=loop.val_begin,
        val_interval=loop.val_interval,
        validates=validates,
    )


def _lr_scale(
    runtime: RuntimeSettings,
    settings: FinetuneSettings,
    world_size: int,
    found: list[Diagnostic],
    batch_size: int | None = None,
) -> float:
    scale = settings.auto_scale_lr
    if scale is None or not scale.enable or scale.base_batch_size is None:
        return 1.0
    loader = runtime.train_dataloader
    written = loader.batch_size if loader is not None else None
    batch = batch_size if batch_size is not None else written
    if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
        found.append(
            diagnostic(
                "IC466",
                "auto_scale_lr is enabled but train_dataloader.batch_size is not a positive int;"
                " the rates are shown unscaled",
                path="auto_scale_lr",
            )
        )
        return 1.0
    # The Runner's ratio: world size times the per-process batch, over the base batch.
    return float(world_size * batch) / float(scale.base_batch_size)


def _optimizer_and_groups(
    written: FinetuneWritten,
    settings: FinetuneSettings,
    model: nn.Module,
    scale: float,
    found: list[Diagnostic],
) -> tuple[OptimizerPlan | None, ParamGroupsPlan | None]:
    wrapper = settings.optim_wrapper
    if wrapper is None:
        return None, None
    constructor = wrapper.constructor
    if str(constructor).removeprefix("mmengine.") != "DefaultOptimWrapperConstructor":
        found.append(
            diagnostic(
                "IC467",
                f"optim_wrapper uses the constructor {constructor!r}; its parameter groups are "
                "not planned",
                path="optim_wrapper.constructor",
            )
        )
        return None, None
    optimizer = wrapper.optimizer
    kwargs = optimizer.kwargs()
    if not written.optimizer_lr:
        kwargs.pop("lr", None)  # MMEngine's base_lr is then None; torch uses its default
    rules = ParamwiseRules()
    if wrapper.paramwise_cfg is not None and written.paramwise_cfg:
        # MMEngine walks the model whenever paramwise_cfg is a non-empty dict, even one
        # whose keys it ignores (so frozen parameters leave the optimizer).
        rules = ParamwiseRules.from_cfg(wrapper.paramwise_cfg, given=True)
    groups, problems = resolve_param_groups(model, optimizer.type, kwargs, rules)
    found.extend(problems)
    if scale != 1.0:
        # Runner.scale_lr multiplies every group's rate (and the optimizer default).
        for item in groups.params:
            if item.lr is not None:
                item.lr = item.lr * scale
        for group in groups.groups:
            if group.lr is not None:
                group.lr = group.lr * scale
        if groups.default_lr is not None:
            groups.default_lr = groups.default_lr * scale
    built_kwargs = {key: _json_value(value) for key, value in kwargs.items()}
    if groups.default_lr is not None and "lr" in built_kwargs:
        built_kwargs["lr"] = groups.default_lr
    plan = _optimizer_plan(wrapper, built_kwargs, scale)
    return plan, groups


def _optimizer_plan(
    wrapper: OptimWrapperCfg, built_kwargs: dict[str, Any], scale: float
) -> OptimizerPlan:
    """What the optimizer wrapper builds, with the rates already scaled into ``kwargs``."""
    clip = wrapper.clip_grad
    return OptimizerPlan(
        type=wrapper.optimizer.type,
        kwargs=built_kwargs,
        wrapper=wrapper.type,
        clip_grad=(
            None
            if clip is None
            else {k: _json_value(v) for k, v in clip.model_dump(exclude_none=True).items()}
        ),
        accumulative_counts=wrapper.accumulative_counts,
        lr_scale=scale,
    )


def _optimizer_without_model(
    facts: FinetuneWritten, settings: FinetuneSettings, scale: float
) -> tuple[OptimizerPlan | None, list[float] | None]:
    """The optimizer and the one rate every group starts from when no model is given
    (``paramwise_cfg`` multipliers need the parameters; IC482 says so)."""
    wrapper = settings.optim_wrapper
    if wrapper is None:
        return None, None
    optimizer = wrapper.optimizer
    kwargs = optimizer.kwargs()
    if not facts.optimizer_lr:
        kwargs.pop("lr", None)
    written = kwargs.get("lr")
    lr = written if isinstance(written, int | float) and not isinstance(written, bool) else (
        optimizer_defaults(optimizer.type).get("lr")
    )
    built_kwargs = {key: _json_value(value) for key, value in kwargs.items()}
    base = None
    if isinstance(lr, int | float) and not isinstance(lr, bool):
        base = [float(lr) * scale]
        if "lr" in built_kwargs:
            built_kwargs["lr"] = base[0]
    plan = _optimizer_plan(wrapper, built_kwargs, scale)
    return plan, base


def dataloader_length(
    dataset_size: int, batch_size: int, world_size: int = 1, *, drop_last: bool = False
) -> int:
    """Iterations per epoch of each process, as MMEngine's ``DefaultSampler`` (which pads
    every process to ``ceil(dataset_size / world_size)`` samples) and a torch
    ``DataLoader`` with ``batch_size`` give them."""
    per_process = -(-dataset_size // world_size)
    return per_process // batch_size if drop_last else -(-per_process // batch_size)


def _unmodelled_entry(
    path: KeyPath, name: str, known: Mapping[str, Any] | None
) -> SchedulerEntry:
    """A scheduler the table leaves out. An MMEngine momentum scheduler keeps its
    ``begin``/``end`` (and how it steps; ``known``, what the entry writes of them):
    MMEngine refuses one whose end is not after its begin, as it refuses an lr
    scheduler."""
    entry = SchedulerEntry(type=name, path=format_path(path))
    read = SCHEDULERS.read(name)
    misplaced = SCHEDULERS.misplaced(name) is not None
    if read.elsewhere or misplaced or read.name not in MOMENTUM_SCHEDULERS:
        return entry
    if known is None:
        return entry
    steps = [known.get(key, 0) for key in ("begin", "end")]
    flags = [known.get(key, False) for key in ("by_epoch", "convert_to_iter_based")]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in steps) or not all(
        isinstance(v, bool) for v in flags
    ):
        return entry  # its own diagnostics, if any: nothing to check here
    return SchedulerEntry(type=name, path=entry.path, model=SchedulerBase.model_construct(**known))


def _scheduler_specs(written: FinetuneWritten, settings: FinetuneSettings) -> list[SchedulerEntry]:
    specs = [
        SchedulerEntry.from_model(scheduler, format_path(path))
        for scheduler, path in zip(
            settings.param_scheduler, settings.scheduler_paths, strict=True
        )
    ]
    # Entries the schema does not model (momentum, plateau, a project's own) are named so
    # the table says it leaves them out.
    bounds = dict(written.unmodelled_bounds)
    for path, name in written.unmodelled_schedulers:
        specs.append(_unmodelled_entry(path, name, bounds.get(path)))
    return specs


def _base_lrs(groups: ParamGroupsPlan | None) -> list[float] | None:
    """The rates the schedulers start from: the default group's, then each group's own."""
    if groups is None or groups.default_lr is None:
        return None
    return [groups.default_lr] + [g.lr for g in groups.groups if g.lr is not None]


def _lr_table(
    written: FinetuneWritten,
    settings: FinetuneSettings,
    loop: LoopPlan | None,
    base: list[float] | None,
    parse_problems: list[Diagnostic],
    found: list[Diagnostic],
    tree: ConfigTree,
) -> LrSchedule | None:
    if loop is None or base is None:
        return None
    if any(
        d.severity == "error" and d.path.startswith("param_scheduler") for d in parse_problems
    ):
        return None  # a scheduler with errors was dropped by the parser: the table would lie
    if written.per_optimizer_schedulers:
        found.append(
            diagnostic(
                "IC464",
                "param_scheduler holds one scheduler list per optimizer; the table is not "
                "computed",
                path="param_scheduler",
            )
        )
        return None
    schedule, problems = compute_lr_schedule(
        _scheduler_specs(written, settings),
        base,
        loop="epoch" if loop.type == "EpochBasedTrainLoop" else "iter",
        max_epochs=loop.max_epochs,
        max_iters=loop.max_iters,
        iters_per_epoch=loop.iters_per_epoch,
    )
    found.extend(problems)
    return schedule


def _checkpoint_load(
    document: Document,
    source: str,
    model: nn.Module,
    found: list[Diagnostic],
    *,
    download: bool,
    built_from_config: bool,
) -> CheckpointLoad:
    """The ``load_from`` step, taken from the init plan (its last step).

    The init plan orders the runner's ``load_from`` after ``init_weights`` and knows
    which init step last wrote each tensor, so the fresh parameters are named with the
    initializer that gives them their values.
    """
    from initcfg.errors import CheckpointError, InitError
    from initcfg.plan.checkpoint import LoadResult
    from initcfg.plan.init_plan import compile_init_plan, describe_step

    root = unwrap_model(model)[0]
    try:
        init_plan = compile_init_plan(
            document, root, download=download, built_from_config=built_from_config
        )
    except (CheckpointError, InitError, OSError, RuntimeError, ValueError) as error:
        found.append(
            diagnostic("IC470", f"load_from {source!r} cannot be planned: {error}", "load_from")
        )
        return CheckpointLoad(source=source, readable=False, error=str(error))
    index = next(
        (
            i
            for i in range(len(init_plan.steps) - 1, -1, -1)
            if init_plan.steps[i].origin.source == "load_from"
        ),
        None,
    )
    spec = init_plan.steps[index].load if index is not None else None
    if spec is not None and spec.uninspected:  # remote, not cached: nothing downloaded
        return CheckpointLoad(
            source=source, readable=False, uninspected=True,
            error="not downloaded while planning, so which parameters keep their fresh "
            "initialization is not known (--download reads it)",
        )
    result: LoadResult | None = spec.result if spec is not None else None
    if spec is None or result is None:
        why = (spec.error if spec is not None else None) or "the checkpoint was not read"
        found.append(
            diagnostic("IC470", f"load_from {source!r} cannot be read: {why}", path="load_from")
        )
        return CheckpointLoad(source=source, readable=False, error=why)
    params = [name for name, _ in root.named_parameters()]
    skipped = [
        ShapeSkip(key=key, checkpoint_shape=list(ckpt), model_shape=list(mine))
        for key, ckpt, mine in result.mismatched
    ]
    unloaded = set(result.missing) | {item.key for item in skipped}
    fresh = [name for name in params if name in unloaded]
    # A tied or shared parameter has a key per name; the first is in `params`.
    canonical = set(params)
    every_name = {name for name, _ in root.named_parameters(remove_duplicate=False)}
    tied = [key for key in result.missing if key in every_name and key not in canonical]
    writers = init_plan.writers()
    fresh_init: dict[str, str] = {}
    for name in fresh:
        earlier = [i for i in writers.get(name, []) if i != index]
        fresh_init[name] = (
            describe_step(init_plan.steps[earlier[-1]]) if earlier else "the module's own default"
        )
    return CheckpointLoad(
        source=source,
        readable=True,
        loaded=list(result.loaded),
        missing=list(result.missing),
        unexpected=list(result.unexpected),
        shape_skipped=skipped,
        fresh=fresh,
        fresh_init=fresh_init,
        tied_missing=tied,
    )


def compile_train_plan(
    config: str | os.PathLike[str] | ConfigTree | Mapping[str, Any] | Document,
    model: nn.Module | None,
    *,
    iters_per_epoch: int | None = None,
    world_size: int = 1,
    read_checkpoint: bool = True,
    batch_size: int | None = None,
    download: bool = True,
    built_from_config: bool = False,
) -> TrainPlan:
    """Compile a config's fine-tune settings against ``model``.

    Args:
        config: A config file, a loaded :class:`ConfigTree`, a plain mapping, or the
            config's :class:`~initcfg.schema.document.Document` (not parsed again).
        model: The model to train (real or on the meta device; a DDP-style wrapper is
            unwrapped as MMEngine does). None plans the schedule alone: the loop, the
            optimizer and the lr table from its base rate, without parameter groups or
            the ``load_from`` map (IC482).
        iters_per_epoch: The train dataloader's length. Needed for iteration-based
            schedulers in an epoch loop and for ``convert_to_iter_based``; without it the
            table is per epoch, or absent with diagnostic IC460.
        world_size: Processes for ``auto_scale_lr`` (the Runner's ``world_size``).
        read_checkpoint: Read the ``load_from`` checkpoint to build the load map. A
            training loop that loads it anyway can pass False to read it once.
        batch_size: The per-process batch size for ``auto_scale_lr``, instead of
            ``train_dataloader.batch_size``.
        download: Let reading ``load_from`` (and the model's Pretrained checkpoints the
            load map is planned after) download a remote checkpoint. False plans one that
            is not in torch's hub cache as loaded, not inspected.
        built_from_config: ``model`` was built from this config by MMEngine's registry
            (see :func:`~initcfg.plan.init_plan.compile_init_plan`).

    Returns:
        The plan. Problems are in ``plan.diagnostics`` (never raised): loading and parsing
        ones first, then the plan's own (IC45x-IC47x), placed at their config lines.

    Raises:
        TypeError: ``model`` is neither None nor an ``nn.Module`` instance, ``config``
            is neither a path nor a mapping, or a count is no int (a caller's mistake,
            not a config's), or ``download`` is not a bool.
        ValueError: ``world_size`` or ``batch_size`` is below 1, or ``iters_per_epoch``
            below 0 (0: an empty loader, planned as unknown).
    """
    if model is not None:
        require_module(model, "model", "compile_train_plan")
    # Counts checked here: -5 iterations failed deep in the lr table with an IndexError,
    # and world_size=0 or -1 silently scaled the lr by 0 or a negative factor.
    _require_count(iters_per_epoch, "iters_per_epoch", least=0)
    _require_count(world_size, "world_size", least=1, optional=False)
    _require_count(batch_size, "batch_size", least=1)
    require_flag(download, "download", "compile_train_plan")
    document = config if isinstance(config, Document) else parse_document(_as_tree(config))
    tree = document.tree if document.tree is not None else tree_from_mapping({})
    found: list[Diagnostic] = []
    settings, parse_problems = document.finetune, list(document.finetune_diagnostics)
    model_name = NO_MODEL if model is None else type(model).__name__
    if any(item.severity == "error" for item in tree.diagnostics):
        # A failed load holds only what was read before the failure ("no optim_wrapper"
        # would be said of a file whose optim_wrapper was never reached): its problems
        # are the whole plan.
        return TrainPlan(config=tree.path, model=model_name, diagnostics=list(tree.diagnostics))
    if settings is None:
        return TrainPlan(
            config=tree.path,
            model=model_name,
            diagnostics=[*tree.diagnostics, *parse_problems],
        )
    loop = _loop_plan(settings, iters_per_epoch, _validates(document.facts))
    if model is not None:
        from initcfg.plan.init_plan import lazy_model_problem

        lazy = lazy_model_problem(tree, model)
        if lazy is not None:  # parameter groups and the load map need every shape
            return TrainPlan(
                config=tree.path,
                model=type(model).__name__,
                loop=loop,
                diagnostics=[*tree.diagnostics, *parse_problems, lazy],
            )
    scale = _lr_scale(document.runtime, settings, world_size, found, batch_size)
    groups: ParamGroupsPlan | None = None
    if not document.finetune_written.optim_wrapper:
        # A written but invalid optim_wrapper is explained by its own diagnostics.
        found.append(
            diagnostic(
                "IC458",
                "the config has no optim_wrapper: the optimizer, its parameter groups and the "
                "learning-rate table are not planned",
                hint="plan the config that inherits this one's schedule, or add "
                "optim_wrapper with an optimizer",
            )
        )
    if model is None:
        optimizer, base = _optimizer_without_model(document.finetune_written, settings, scale)
        found.append(
            diagnostic(
                "IC482",
                "planned without a model: the parameter groups and the load_from map are not "
                "shown, and the lr table follows the optimizer's base rate"
                if document.finetune_written.optim_wrapper
                # No optimizer, so no groups nor lr table to speak of (IC458 says so).
                else "planned without a model: the load_from map is not shown",
                # about the whole config without an optimizer: placed at the config itself
                path=("optim_wrapper",) if settings.optim_wrapper is not None else (),
            )
        )
    else:
        optimizer, groups = _optimizer_and_groups(
            document.finetune_written, settings, model, scale, found
        )
        base = _base_lrs(groups)
    lr = _lr_table(document.finetune_written, settings, loop, base, parse_problems, found, tree)
    load = None
    if settings.load_from is not None and model is None:
        load = CheckpointLoad(
            source=settings.load_from, readable=False, error="planned without a model"
        )
    elif settings.load_from is not None and read_checkpoint and model is not None:
        load = _checkpoint_load(
            document, settings.load_from, model, found,
            download=download, built_from_config=built_from_config,
        )
    elif settings.load_from is not None:
        load = CheckpointLoad(
            source=settings.load_from, readable=False, error="not read (read_checkpoint=False)"
        )
    return TrainPlan(
        config=tree.path,
        model=model_name,
        loop=loop,
        optimizer=optimizer,
        param_groups=groups,
        lr=lr,
        load=load,
        resume=settings.resume,
        diagnostics=[
            *tree.diagnostics,
            *parse_problems,
            *place(found, tree.location, tree.path, text_paths=True),
        ],
    )
