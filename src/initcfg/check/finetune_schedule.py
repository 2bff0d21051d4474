"""The fine-tune rules over the schedule, the validation loop, the checkpoints, the
sampler and the hooks that switch part way (IC302 for a scheduler the Runner cannot
build, IC306, IC307, IC308, IC325, IC327-IC331, IC341, IC461): when each of them acts, against
the run's length in its own unit, without the dataloader's length."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from initcfg.check.finetune_places import Deferred, fmt, place, where
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath
from initcfg.schema.config_facts import OWN_LOOP_VALIDATION, ConfigFacts

if TYPE_CHECKING:
    from initcfg.schema.finetune import FinetuneSettings, SchedulerBase, TrainLoop
    from initcfg.schema.schedulers import MultiStepLR, OneCycleLR, Scheduler

__all__ = [
    "check_best_without_validation",
    "check_checkpoint_never_saved",
    "check_checkpoint_unit",
    "check_dynamic_interval_items",
    "check_sampler_loop",
    "check_schedulers",
    "check_switches",
    "check_validation",
]


# ----------------------------------------------------------------- rule 1: schedulers


def _unit(settings: FinetuneSettings, scheduler: SchedulerBase) -> tuple[int, str] | None:
    """The run's length in the scheduler's unit, when that is known without data."""
    loop = settings.train_cfg
    if loop is None:
        return None
    scheduler_in_epochs = scheduler.by_epoch  # convert_to_iter_based keeps epoch numbers
    if loop.by_epoch:
        return (loop.length, "epochs") if scheduler_in_epochs else None
    return (loop.length, "iterations") if not scheduler_in_epochs else None


def _runner_end(
    settings: FinetuneSettings, scheduler: SchedulerBase
) -> tuple[int, KeyPath | None] | None:
    """The ``end`` MMEngine's Runner gives a scheduler that sets none, and where it comes
    from, when that is known without the dataloader's length.

    ``Runner.build_param_scheduler`` sets it to the loop's ``max_epochs`` for an
    epoch-based scheduler and to ``max_iters`` for an iteration-based one (before any
    ``convert_to_iter_based``). ``IterBasedTrainLoop`` reports ``max_epochs=1``; in an
    epoch loop ``max_iters`` needs the dataloader's length.
    """
    loop = settings.train_cfg
    if loop is None or scheduler.bounded:
        return None
    if loop.by_epoch:
        return (loop.length, ("train_cfg", "max_epochs")) if scheduler.by_epoch else None
    if scheduler.by_epoch:
        return 1, None
    return loop.length, ("train_cfg", "max_iters")


def _begins_at_its_runner_end(
    tree: ConfigTree, scheduler: Scheduler, path: KeyPath, end: int, source: KeyPath | None
) -> Diagnostic:
    given = (
        f"the loop's {source[-1]}, {where(tree, source)}"
        if source is not None
        else "the max_epochs IterBasedTrainLoop reports"
    )
    return place(
        tree, "IC302",
        f"{scheduler.type} begins at {scheduler.begin} and sets no end, so MMEngine's Runner "
        f"gives it end={end} ({given}), and building it raises ValueError('end should be "
        "larger than begin')",
        (*path, "begin"),
        f"set begin below {end}, or give the scheduler an end after its begin",
    )


def _shaped_by_end(scheduler: SchedulerBase) -> bool:
    # Schedulers whose curve is stretched over begin..end (or a length derived from it);
    # when `end` lies past the run they are cut short. The others step at fixed points
    # and only lose steps that IC306 or the begin check already cover.
    from initcfg.schema.schedulers import (  # loaded: the config has schedulers
        ConstantLR,
        CosineAnnealingLR,
        LinearLR,
        OneCycleLR,
        PolyLR,
    )

    # T_max=0 is no length of its own: MMEngine reads `T_max or end - begin`.
    if isinstance(scheduler, CosineAnnealingLR) and scheduler.T_max:
        return False
    if isinstance(scheduler, OneCycleLR) and scheduler.total_steps is not None:
        return False
    return isinstance(scheduler, LinearLR | ConstantLR | CosineAnnealingLR | PolyLR | OneCycleLR)


def _curve_length(scheduler: SchedulerBase) -> tuple[str, int] | None:
    """The key and value that give a scheduler's curve a length of its own, apart from
    ``end`` (MMEngine reads ``T_max or end - begin`` and ``total_steps`` likewise)."""
    from initcfg.schema.schedulers import CosineAnnealingLR, OneCycleLR  # loaded: see above

    if isinstance(scheduler, CosineAnnealingLR) and scheduler.T_max:
        return "T_max", scheduler.T_max
    if isinstance(scheduler, OneCycleLR) and scheduler.total_steps is not None:
        return "total_steps", scheduler.total_steps
    return None


def _epochs_in_an_iteration_loop(settings: FinetuneSettings, scheduler: SchedulerBase) -> bool:
    loop = settings.train_cfg
    return (
        loop is not None
        and not loop.by_epoch
        and scheduler.by_epoch
        and not scheduler.convert_to_iter_based
    )


def _steps_only_after_the_run(
    tree: ConfigTree, scheduler: Scheduler, path: KeyPath
) -> Diagnostic:
    """IC461, the planner's code for the same problem: IterBasedTrainLoop runs the whole
    training as one epoch, so MMEngine's ParamSchedulerHook steps an epoch-based
    scheduler once, after the last iteration; until then the value it set when built
    holds."""
    written = "by_epoch" in scheduler.model_fields_set
    counted = "counts epochs" + ("" if written else " (by_epoch defaults to true)")
    return place(
        tree, "IC461",
        f"{scheduler.type} {counted} but the run is an IterBasedTrainLoop "
        f"({where(tree, ('train_cfg',))}), which is one epoch to the scheduler: MMEngine "
        "steps it once, after the last iteration, so the lr it sets at the start holds "
        "for the whole run",
        (*path, "by_epoch") if written else path,
        "set by_epoch=False and give its begin/end (milestones, T_max) in iterations, or "
        "convert_to_iter_based=True to keep them in epochs of the data",
    )


def _one_cycle_overrun(
    tree: ConfigTree, scheduler: OneCycleLR, path: KeyPath, end: int, length: int, name: str
) -> Iterator[Diagnostic]:
    """IC302 for a OneCycleLR whose total_steps runs out while it still acts: MMEngine
    raises ValueError when its step count passes total_steps.

    Built at step 0 and stepped after each epoch (iteration) ``g`` of the run with
    ``begin <= g < end``, it counts up to ``min(end - 1, length) - begin``. With
    convert_to_iter_based, begin, end and total_steps are times the epoch's length L and
    it steps after each iteration, up to ``min(end L - 1, length L) - begin L``: past
    ``total_steps L`` for every L of two or more exactly when
    ``total_steps < min(end, length) - begin`` (one step earlier than unconverted).
    """
    assert scheduler.total_steps is not None
    total = scheduler.total_steps
    stop = min(end - 1, length)
    if scheduler.convert_to_iter_based:
        needed = min(end, length) - scheduler.begin
        if total >= needed:
            return
        when = "before the run ends"
        raises = (
            "ValueError('Tried to step N times. The specified number of total steps is "
            f"M') there, counting in iterations ({total} epochs of iterations)"
        )
    else:
        needed = stop - scheduler.begin
        if needed <= total:
            return
        when = f"after {name[:-1]} {scheduler.begin + total + 1}"
        raises = (
            f"ValueError('Tried to step {total + 2} times. The specified number of total "
            f"steps is {total}') there"
        )
    yield place(
        tree, "IC302",
        f"OneCycleLR's total_steps={total} run out {when} while it still acts (until "
        f"{name[:-1]} {stop}): MMEngine raises {raises}",
        (*path, "total_steps"),
        f"set total_steps to at least {needed}, or leave it out (it is then end - begin)",
    )


def _cosine_climbs_back(
    tree: ConfigTree, scheduler: Scheduler, path: KeyPath, t_max: int, length: int, name: str
) -> Diagnostic:
    """IC328: MMEngine's CosineAnnealingLR (like torch's) is periodic in T_max: past
    begin + T_max it climbs back towards the base lr, reached again at begin + 2 T_max.
    The last value used in training is set after step ``min(end, length) - 1``."""
    stop = min(scheduler.end, length)
    low = scheduler.begin + t_max
    return place(
        tree, "IC328",
        f"CosineAnnealingLR reaches its minimum at {name[:-1]} {low} (T_max={t_max}) but "
        f"acts until {name[:-1]} {stop}: the cosine is periodic, so after {name[:-1]} "
        f"{low} the lr climbs back towards its start value"
        + (f", which it reaches at {name[:-1]} {low + t_max}" if low + t_max < stop else ""),
        (*path, "T_max"),
        f"set T_max to {stop - scheduler.begin} (or leave it out: it is then end - begin), "
        f"or end to {low}",
    )


def _repeated_milestones(
    tree: ConfigTree, scheduler: MultiStepLR, path: KeyPath
) -> Iterator[Diagnostic]:
    """IC325 once per milestone written more than once, at its second place: MMEngine
    keeps the milestones in a Counter and multiplies by gamma once per time written."""
    seen: set[int] = set()
    reported: set[int] = set()
    for index, milestone in enumerate(scheduler.milestones):
        if milestone in seen and milestone not in reported:
            reported.add(milestone)
            times = scheduler.milestones.count(milestone)
            yield place(
                tree, "IC325",
                f"MultiStepLR milestone {milestone} is written {times} times: the lr is "
                f"multiplied by gamma={fmt(scheduler.gamma)} {times} times at that step, "
                f"by {fmt(scheduler.gamma ** times)} in all",
                (*path, "milestones", index),
                f"write {milestone} once",
            )
        seen.add(milestone)


def check_schedulers(tree: ConfigTree, settings: FinetuneSettings) -> Iterator[Diagnostic]:
    if not settings.param_scheduler:
        return
    from initcfg.schema.schedulers import (  # loaded: the config has schedulers
        MultiStepLR,
        OneCycleLR,
    )

    loop_path: KeyPath = (
        ("train_cfg", "max_epochs")
        if settings.train_cfg is not None and settings.train_cfg.by_epoch
        else ("train_cfg", "max_iters")
    )
    for scheduler, path in zip(settings.param_scheduler, settings.scheduler_paths, strict=True):
        if isinstance(scheduler, MultiStepLR):
            yield from _repeated_milestones(tree, scheduler, path)
        implied = _runner_end(settings, scheduler)
        if implied is not None and scheduler.begin >= implied[0]:
            # Not a scheduler that never acts (IC307): the Runner cannot even build it.
            yield _begins_at_its_runner_end(tree, scheduler, path, *implied)
            continue
        if _epochs_in_an_iteration_loop(settings, scheduler):
            yield _steps_only_after_the_run(tree, scheduler, path)
            continue
        unit = _unit(settings, scheduler)
        if unit is None:
            continue
        length, name = unit
        run = Deferred(lambda length=length, name=name:  # type: ignore[misc]
                        f"the run has {length} {name} ({where(tree, loop_path)})")
        if scheduler.begin >= length:
            yield place(
                tree, "IC307",
                f"{scheduler.type} begins at {scheduler.begin} but {run}: it never acts",
                (*path, "begin"),
                f"set begin below {length}",
            )
            continue
        if isinstance(scheduler, OneCycleLR) and scheduler.total_steps is not None:
            end = scheduler.end if scheduler.bounded else implied[0] if implied else None
            if end is not None:
                yield from _one_cycle_overrun(tree, scheduler, path, end, length, name)
        if isinstance(scheduler, MultiStepLR):
            stop = min(length, scheduler.end)
            for index, milestone in enumerate(scheduler.milestones):
                # A milestone counts steps from `begin`; it fires at begin + milestone.
                if scheduler.begin + milestone >= stop:
                    at = f" (begin {scheduler.begin} + {milestone})" if scheduler.begin else ""
                    why = (
                        run
                        if stop == length
                        else f"the scheduler stops at its end={scheduler.end} "
                        f"({where(tree, (*path, 'end'))})"
                    )
                    yield place(
                        tree, "IC306",
                        f"MultiStepLR milestone {milestone} is never reached: it would fire "
                        f"at {name[:-1]} {scheduler.begin + milestone}{at} but {why}",
                        (*path, "milestones", index),
                        f"use milestones below {stop - scheduler.begin}"
                        + ("" if stop == length else f", or set end={length}"),
                    )
        elif scheduler.bounded and scheduler.end > length and _shaped_by_end(scheduler):
            yield place(
                tree, "IC307",
                f"{scheduler.type} ends at {scheduler.end} but {run}: it is cut short and "
                "the lr never reaches the value planned for its end",
                (*path, "end"),
                f"set end to {length}",
            )
        elif (curve := _curve_length(scheduler)) is not None:
            key, steps = curve
            # The curve spans begin..begin+steps whatever `end` says; `end` may only stop
            # it earlier. Past the run it is cut short like an `end` past the run.
            if scheduler.begin + steps > length and min(scheduler.end, length) == length:
                at = f" (begin {scheduler.begin} + {steps})" if scheduler.begin else ""
                yield place(
                    tree, "IC307",
                    f"{scheduler.type} {key}={steps} shapes its curve to "
                    f"{name[:-1]} {scheduler.begin + steps}{at} but {run}: it is cut short "
                    "and the lr never reaches the value planned for its end",
                    (*path, key),
                    f"set {key} to {length - scheduler.begin}, or leave it out and set "
                    f"end to {length}",
                )
            elif key == "T_max" and min(scheduler.end, length) - scheduler.begin - (
                # Stepped after each iteration, it passes its minimum within the last
                # epoch already; stepped after each epoch, that epoch's lr is set before.
                0 if scheduler.convert_to_iter_based else 1
            ) > steps:
                yield _cosine_climbs_back(tree, scheduler, path, steps, length, name)


# ---------------------------------------------------------------- rule 2: validation


def _run_length(tree: ConfigTree, loop: TrainLoop) -> Deferred:
    """``the run has 12 epochs (train_cfg.max_epochs at cfg.py:3)``, made when shown."""
    unit = "epochs" if loop.by_epoch else "iterations"
    limit = "max_epochs" if loop.by_epoch else "max_iters"
    return Deferred(
        lambda: f"the run has {loop.length} {unit} ({where(tree, ('train_cfg', limit))})"
    )


def check_validation(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    loop = settings.train_cfg
    if loop is None:
        return
    if facts.factory_model:
        # initcfg's own loop validates with a val_dataloader and a val_evaluator, and
        # reads no val_cfg: without them it never validates, with them it does.
        if not facts.set_keys >= OWN_LOOP_VALIDATION:
            return
    elif not facts.val_cfg:
        # The Runner needs val_cfg; the dataloader and evaluator may come from a config
        # that completes this one (IC324 says when a Runner config lacks them).
        return
    length, run = loop.length, _run_length(tree, loop)
    if loop.val_begin > length:
        yield place(
            tree, "IC308",
            f"val_begin is {loop.val_begin} but {run}: the run never validates",
            ("train_cfg", "val_begin"),
            f"set val_begin to at most {length}",
        )
    elif loop.val_interval > length and not loop.dynamic_intervals:
        # MMEngine 0.10.7 also validates after the last epoch/iteration, so this run
        # validates exactly once, at its very end.
        yield place(
            tree, "IC308",
            f"val_interval is {loop.val_interval} but {run}: the run validates only once, "
            "after its last step",
            ("train_cfg", "val_interval"),
            f"set val_interval to at most {length}",
        )


def check_switches(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    """IC330: a switch planned for part of the run that falls outside it.

    MMEngine's loops take a ``dynamic_intervals`` milestone ``m`` from the step after
    ``m - 1`` epochs (iterations) on, and the last one validates anyway: past the run's
    length it changes nothing. MMDetection's PipelineSwitchHook switches before epoch
    index ``switch_epoch`` (0-based), so never at ``switch_epoch >= max_epochs``. The
    classic case: an RTMDet fine-tune that shortens max_epochs while the base computed
    both from its own 300. YOLOXModeSwitchHook goes the other way: it switches for the
    last ``num_last_epochs``, so a run not longer than that switches before it starts.
    """
    loop = settings.train_cfg
    if loop is None:
        return
    length, run = loop.length, _run_length(tree, loop)
    unit = "epoch" if loop.by_epoch else "iteration"
    if facts.val_cfg:
        for index, (milestone, interval) in enumerate(loop.dynamic_intervals or ()):
            if milestone > length:
                yield place(
                    tree, "IC330",
                    f"dynamic_intervals switches validation to every {interval} at "
                    f"{unit} {milestone} but {run}: the switch never happens",
                    ("train_cfg", "dynamic_intervals", index, 0),
                    f"use a milestone of at most {length}, derived from max_epochs",
                )
    if not loop.by_epoch:
        return
    for index, switch in facts.pipeline_switches:
        if switch >= length:
            yield place(
                tree, "IC330",
                f"PipelineSwitchHook switches the train pipeline at epoch {switch} but "
                f"{run}: the run never uses the second pipeline",
                ("custom_hooks", index, "switch_epoch"),
                f"use a switch_epoch below {length}, derived from max_epochs",
            )
    for index, last in facts.yolox_switches:
        # It switches before epoch e (0-based) once e + 1 >= max_epochs - num_last_epochs.
        if last >= length - 1:
            yield place(
                tree, "IC330",
                f"YOLOXModeSwitchHook switches for the last {last} epochs but {run}: it "
                "switches before the first one, so the run never uses mosaic and mixup "
                "and trains with the L1 loss throughout",
                ("custom_hooks", index),
                f"set num_last_epochs below {length - 1}",
            )


def check_best_without_validation(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    """IC331: MMEngine's CheckpointHook keeps the best checkpoint after each validation
    (``after_val_epoch``); a run with no validation loop keeps none. Judged on complete
    Runner configs only (a ``model`` and a ``default_scope``, as IC324 is): a fragment
    may get its validation settings from the config that uses it."""
    hook = settings.checkpoint
    if hook is None or hook.save_best is None or facts.factory_model:
        return
    if not facts.complete_runner_config:
        return
    if {"val_dataloader", "val_cfg", "val_evaluator"} & facts.set_keys:
        return  # validates, or IC324 says the Runner cannot be built as written
    best = hook.save_best if isinstance(hook.save_best, str) else ", ".join(hook.save_best)
    yield place(
        tree, "IC331",
        f"default_hooks.checkpoint.save_best is {best!r} but the run never validates (it "
        "sets no val_dataloader, val_cfg or val_evaluator): MMEngine keeps a best "
        "checkpoint after each validation, so it keeps none",
        ("default_hooks", "checkpoint", "save_best"),
        "set val_dataloader, val_cfg and val_evaluator, or remove save_best",
    )


def check_checkpoint_unit(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    """IC327: MMEngine's CheckpointHook with by_epoch=True (its default) saves after
    epochs, and an IterBasedTrainLoop is one epoch to it: it saves only after the last
    iteration. initcfg's own loop (a factory ``model.type``) counts the interval in the
    loop's unit, so only Runner configs are reported."""
    loop, hook = settings.train_cfg, settings.checkpoint
    if loop is None or loop.by_epoch or hook is None or facts.factory_model:
        return
    if not hook.by_epoch or hook.interval < 1:
        return  # by iteration, or no periodic checkpoint asked for
    written = "by_epoch" in hook.model_fields_set
    counted = "" if written else " (by_epoch defaults to true)"
    # The one epoch ends after the last iteration: saved then as the last checkpoint, or
    # if every_n_epochs holds for epoch 1, (1 - save_begin) % interval == 0 from 0 on.
    periodic = hook.save_begin <= 1 and (1 - hook.save_begin) % hook.interval == 0
    saves = (
        "saves only after the last iteration, so a run that stops early leaves nothing to "
        "resume from"
        if hook.save_last or periodic
        else "never saves one (save_last is false)"
    )
    yield place(
        tree, "IC327",
        f"default_hooks.checkpoint saves every {hook.interval} epoch"
        f"{'s' if hook.interval > 1 else ''}{counted} but the run is an IterBasedTrainLoop "
        f"({where(tree, ('train_cfg',))}), one epoch to the hook: MMEngine {saves}",
        ("default_hooks", "checkpoint", "by_epoch") if written
        else ("default_hooks", "checkpoint"),
        f"set by_epoch=False and interval in iterations (of {loop.length})",
    )


def check_checkpoint_never_saved(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    """IC341: with ``save_last=False`` the CheckpointHook saves only every ``interval``
    epochs (iterations) from ``save_begin`` on, at ``save_begin`` itself when that is 1
    or more, else at ``interval``, ``2 * interval``...: an interval of -1 or a first save
    past the run saves nothing, and MMEngine says nothing. Where the hook's unit is not
    the loop's, IC327 tells it (initcfg's own loop counts in the loop's unit)."""
    loop, hook = settings.train_cfg, settings.checkpoint
    if loop is None or hook is None or hook.save_last or hook.save_best is not None:
        return  # a best checkpoint is saved after validations (IC331 when there are none)
    if hook.by_epoch != loop.by_epoch and not facts.factory_model:
        return  # IC327
    unit = "epoch" if loop.by_epoch else "iteration"
    run = f"the run's {loop.length} {unit}s ({where(tree, ('train_cfg',))})"
    if hook.interval < 1:
        why = "its interval is -1, so it saves no periodic checkpoint either"
    else:
        first = hook.save_begin if hook.save_begin >= 1 else hook.interval
        if first <= loop.length:
            return
        why = (f"its first periodic save, after {unit} {first} (interval {hook.interval}"
               f"{f', save_begin {hook.save_begin}' if hook.save_begin else ''}), comes "
               f"after {run}")
    yield place(
        tree, "IC341",
        f"default_hooks.checkpoint never saves a checkpoint in this run: save_last is "
        f"false and {why}; the trained weights are lost when the run ends",
        ("default_hooks", "checkpoint", "save_last"),
        f"set save_last=True, or an interval of at most {loop.length}",
    )


# Samplers whose __iter__ never ends (MMEngine's InfiniteSampler; MMDetection's
# MultiSourceSampler and GroupMultiSourceSampler, for semi-supervised iteration runs).
_ENDLESS_SAMPLERS = frozenset({"InfiniteSampler", "MultiSourceSampler", "GroupMultiSourceSampler"})


def check_sampler_loop(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    """IC329: EpochBasedTrainLoop runs an epoch as ``for batch in dataloader``, which an
    endless sampler never finishes. initcfg's own loop (a factory ``model.type``) builds
    its own sampler, so only Runner configs are reported."""
    loop, name = settings.train_cfg, facts.train_sampler
    if loop is None or not loop.by_epoch or facts.factory_model or name not in _ENDLESS_SAMPLERS:
        return
    yield place(
        tree, "IC329",
        f"train_dataloader.sampler is {name}, which never ends, but the run is an "
        f"EpochBasedTrainLoop ({where(tree, ('train_cfg',))}): MMEngine's first epoch never "
        "ends, so the run never validates, saves an epoch checkpoint, steps an epoch "
        "scheduler or stops",
        ("train_dataloader", "sampler", "type"),
        "use DefaultSampler in an epoch loop, or train an IterBasedTrainLoop (max_iters) "
        f"with the {name}",
    )


def check_dynamic_interval_items(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """MMEngine's loops assert ``is_list_of(dynamic_intervals, tuple)``: a YAML or JSON
    config, which has no tuples, cannot give them to the Runner. initcfg's own loop (a
    factory ``model.type``) takes lists, so only Runner configs are reported."""
    if facts.factory_model:
        return
    for index, item in facts.dynamic_interval_lists:
        if index is None:
            yield place(
                tree, "IC302",
                "dynamic_intervals is a tuple; MMEngine's train loop asserts that it is a "
                "list of tuples (milestone, interval) and fails to build",
                ("train_cfg", "dynamic_intervals"),
                f"write it as a list: {list(item)!r}",
            )
            continue
        yield place(
            tree, "IC302",
            f"dynamic_intervals item {item} is a list; MMEngine's train loop asserts "
            "that every item is a tuple (milestone, interval) and fails to build",
            ("train_cfg", "dynamic_intervals", index),
            "write it as a tuple, (milestone, interval), in a Python config; YAML and "
            "JSON cannot write tuples",
        )
