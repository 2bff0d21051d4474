"""Text rendering of a :class:`~initcfg.plan.train_plan.TrainPlan` (``initcfg plan --train``).

Three sections, each readable on its own: the parameter groups, a compact learning-rate
table (one row per epoch, equal consecutive epochs folded), and the load map of
``load_from`` (which parameters keep their fresh initialization, and from what).
"""

from __future__ import annotations

from collections import Counter

from initcfg.check.render import text_table
from initcfg.plan.lr_schedule import INF, LrSchedule
from initcfg.plan.param_groups import ParamGroupsPlan
from initcfg.plan.train_plan import CheckpointLoad, LoopPlan, TrainPlan

__all__ = ["render_train_plan"]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _names(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … (+{len(names) - limit})" if len(names) > limit else "")


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    return text_table(rows, indent=indent)


def _validation(loop: LoopPlan, unit: str) -> str:
    if not loop.validates:
        return "no validation (it needs val_dataloader, val_evaluator and, in MMEngine, val_cfg)"
    return f"validate from {unit} {loop.val_begin} every {loop.val_interval}"


def _header(plan: TrainPlan) -> list[str]:
    lines = [f"Train plan: {plan.model}" + (f" ({plan.config})" if plan.config else "")]
    loop = plan.loop
    if loop is None:
        lines.append("  loop: not set (no train_cfg the schema models)")
    elif loop.type == "EpochBasedTrainLoop":
        length = f"{loop.max_epochs} epochs"
        if loop.iters_per_epoch:
            length += f" × {loop.iters_per_epoch} iterations = {loop.total_iters} iterations"
        lines.append(f"  loop: {loop.type}, {length}; {_validation(loop, 'epoch')}")
    else:
        lines.append(
            f"  loop: {loop.type}, {loop.max_iters} iterations; {_validation(loop, 'iteration')}"
        )
    optimizer = plan.optimizer
    if optimizer is None:
        lines.append("  optimizer: not planned (see diagnostics)")
    else:
        args = ", ".join(f"{key}={value}" for key, value in optimizer.kwargs.items())
        extras = [optimizer.wrapper]
        if optimizer.clip_grad:
            extras.append(
                "clip_grad " + ", ".join(f"{k}={v}" for k, v in optimizer.clip_grad.items())
            )
        if optimizer.accumulative_counts != 1:
            extras.append(f"accumulate {optimizer.accumulative_counts} iterations")
        if optimizer.lr_scale != 1.0:
            extras.append(f"auto_scale_lr ×{optimizer.lr_scale:g}")
        lines.append(f"  optimizer: {optimizer.type}({args}); " + "; ".join(extras))
    if plan.resume:
        lines.append("  resume: yes (continues from the last checkpoint or load_from)")
    return lines


def _groups(groups: ParamGroupsPlan, limit: int) -> list[str]:
    held = [p for p in groups.params if p.in_optimizer]
    frozen = [p.name for p in groups.params if p.status == "frozen"]
    duplicate = [p.name for p in groups.params if p.status == "duplicate"]
    mode = "paramwise_cfg" if groups.paramwise else "no paramwise_cfg: one group"
    lines = [
        "",
        f"Parameter groups ({len(groups.groups)}; {len(held)} tensors trained, "
        f"{len(frozen)} frozen; {mode})",
    ]
    rows = [["group", "lr", "weight_decay", "tensors", "elements", "rules", "parameters"]]
    by_name = {p.name: p for p in held}
    for group in groups.groups:
        members = [by_name[name] for name in group.params if name in by_name]
        rules = Counter(
            rule
            for p in members
            for rule in {p.lr_rule, p.decay_rule}
            if rule != "base"
        )
        extra = ", ".join(f"{k}={v}" for k, v in group.extra.items())
        rule_text = ", ".join(sorted(rules)) or "base"
        if extra:
            rule_text += f" ({extra})"
        rows.append(
            [
                str(group.index),
                _num(group.lr),
                _num(group.weight_decay),
                str(len(group.params)),
                f"{group.numel:,}",
                rule_text,
                _names(group.params, limit),
            ]
        )
    lines += _table(rows)
    if frozen:
        lines.append(
            "  frozen (requires_grad=False): "
            + _names(frozen, limit)
            + ("" if groups.paramwise else " — still held by the optimizer, never updated")
        )
    if duplicate:
        lines.append("  shared, placed once: " + _names(duplicate, limit))
    if groups.unused_custom_keys:
        lines.append("  custom keys matching nothing: " + ", ".join(groups.unused_custom_keys))
    if groups.unwrapped:
        lines.append("  the model's `module` attribute was taken as the model (MMEngine does)")
    return lines


def _fold(rows: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Fold consecutive rows with equal values: ``3-6`` instead of four lines."""
    out: list[list[str]] = []
    start = end = ""
    last: list[str] | None = None
    for label, values in rows:
        if values == last:
            end = label
            continue
        if last is not None:
            out.append([start if start == end else f"{start}-{end}", *last])
        start = end = label
        last = values
    if last is not None:
        out.append([start if start == end else f"{start}-{end}", *last])
    return out


def _lr(schedule: LrSchedule, tracks: list[int]) -> list[str]:
    lines = ["", "Learning rate"]
    for step in schedule.schedulers:
        unit = "epoch" if step.by_epoch else "iteration"
        end = "end of run" if step.end >= INF else str(step.end)
        note = ", converted from epochs" if step.converted else ""
        lines.append(f"  {step.type} by {unit} [{step.begin}, {end}){note}  ({step.path})")
    if not schedule.schedulers:
        lines.append("  no scheduler: constant rates")
    columns = sorted(set(tracks)) or [0]
    heads = [f"lr (starts {_num(schedule.base_lrs[t])})" for t in columns]
    if schedule.loop == "epoch" and schedule.max_epochs:
        per_epoch = schedule.iters_per_epoch if schedule.granularity == "iter" else None
        rows: list[tuple[str, list[str]]] = []
        for epoch in range(schedule.max_epochs):
            if per_epoch:
                first = schedule.lrs_at_step(epoch * per_epoch)
                last = schedule.lrs_at_step(epoch * per_epoch + per_epoch - 1)
            else:
                first = last = schedule.lrs_at_step(epoch)
            cells = [
                _num(first[t]) if first[t] == last[t] else f"{_num(first[t])} → {_num(last[t])}"
                for t in columns
            ]
            rows.append((str(epoch + 1), cells))
        folded = _fold(rows)
        if len(folded) > 24:
            folded = [*folded[:10], ["…"] * (len(columns) + 1), *folded[-10:]]
        lines += _table([["epoch", *heads], *folded])
    else:
        rows = []
        for start, stop, values in schedule.runs():
            label = str(start + 1) if stop - start == 1 else f"{start + 1}-{stop}"
            rows.append((label, [_num(values[t]) for t in columns]))
        if len(rows) > 24:
            rows = [*rows[:10], ("…", ["…"] * len(columns)), *rows[-10:]]
        lines += _table([["iteration", *heads], *[[label, *cells] for label, cells in rows]])
    if len(columns) > 1:
        lines.append("  each column is the groups that start at that rate")
    return lines


def _load(load: CheckpointLoad, limit: int) -> list[str]:
    lines = ["", f"load_from: {load.source}"]
    if load.uninspected:
        lines.append(f"  loads {load.source} (not inspected): {load.error}")
        return lines
    if not load.readable:
        lines.append(f"  not read: {load.error}")
        return lines
    lines.append(
        f"  {len(load.loaded)} keys loaded, {len(load.missing)} missing, "
        f"{len(load.unexpected)} unexpected, {len(load.shape_skipped)} skipped for shape"
    )
    if load.fresh:
        lines.append("  keep their fresh initialization:")
        shapes = {s.key: s for s in load.shape_skipped}
        rows: list[list[str]] = []
        for name in load.fresh:
            skip = shapes.get(name)
            why = (
                f"shape {tuple(skip.model_shape)}, checkpoint {tuple(skip.checkpoint_shape)}"
                if skip
                else "not in checkpoint"
            )
            rows.append([name, why, load.fresh_init.get(name, "")])
        lines += _table(rows, indent="    ")
    else:
        lines.append("  every parameter takes the checkpoint's value")
    tied = set(load.tied_missing)
    buffers = [key for key in load.missing if key not in load.fresh and key not in tied]
    if buffers:
        lines.append("  buffers not in checkpoint: " + _names(buffers, limit))
    if tied:
        lines.append(
            "  second names of tied parameters not in checkpoint (each is the tensor of "
            "its first name, above): " + _names(load.tied_missing, limit)
        )
    if load.unexpected:
        lines.append("  ignored checkpoint keys: " + _names(load.unexpected, limit))
    return lines


def render_train_plan(plan: TrainPlan, *, limit: int = 6, diagnostics: bool = True) -> str:
    """The plan as text for a terminal.

    Args:
        plan: A compiled train plan.
        limit: How many names to show in one list before eliding the rest.
        diagnostics: End with the plan's diagnostics, one line each (pass False when
            the caller renders them itself).

    Returns:
        The text, ending with a newline.
    """
    lines = _header(plan)
    if plan.param_groups is not None:
        lines += _groups(plan.param_groups, limit)
    if plan.lr is not None:
        tracks: list[int] = []
        try:
            tracks = plan.group_tracks()
        except ValueError:
            tracks = [0]
        lines += _lr(plan.lr, tracks)
    elif plan.optimizer is not None:
        lines += ["", "Learning rate: no table (see diagnostics)"]
    if plan.load is not None:
        lines += _load(plan.load, limit)
    if diagnostics and plan.diagnostics:
        lines += ["", f"Diagnostics ({len(plan.diagnostics)})"]
        for item in plan.diagnostics:
            where = f"{item.file}:{item.line}: " if item.file and item.line else ""
            path = f" [{item.path}]" if item.path else ""
            lines.append(f"  {where}{item.code} {item.severity}: {item.message}{path}")
    return "\n".join(lines) + "\n"
