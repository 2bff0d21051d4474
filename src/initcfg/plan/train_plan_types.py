"""The train plan's data types (:class:`TrainPlan` and its parts) and :func:`build_optimizer`."""

from __future__ import annotations

import os
from itertools import pairwise
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from initcfg.config.atomic import write_text_atomic
from initcfg.diagnostics import Diagnostic
from initcfg.plan.lr_schedule import (
    LrSchedule,
)
from initcfg.plan.param_groups import (
    ParamGroupsPlan,
    optimizer_class,
    torch_param_groups,
)


def _inconsistency(plan: TrainPlan) -> tuple[tuple[str | int, ...], str] | None:
    """The first place where a plan read from a file contradicts itself, with why; None
    for a plan as the compiler makes it.

    Each field may have a valid type while the parts disagree (a hand-edited file): a
    group whose rate starts no track, a run-length table whose rows do not cover the
    run. Such a plan would fail later, in ``lrs_at`` or ``set_lrs``, with an IndexError.
    """
    table = plan.lr
    if table is not None:
        tracks = len(table.base_lrs)
        if table.total_steps < 0:
            return ("lr", "total_steps"), f"total_steps is {table.total_steps}"
        if tracks == 0:
            return ("lr", "base_lrs"), "the lr table has no track"
        if table.loop == "epoch" and table.max_epochs is not None:
            per_row = table.iters_per_epoch if table.granularity == "iter" else 1
            if per_row is None or table.max_epochs * per_row != table.total_steps:
                return ("lr", "total_steps"), (
                    f"{table.total_steps} rows for {table.max_epochs} epochs"
                    + (f" of {per_row} iterations" if table.granularity == "iter" else ""))
        if len(table.values) != len(table.starts):
            return ("lr", "values"), (
                f"{len(table.values)} runs of values for {len(table.starts)} starts")
        if table.total_steps and (not table.starts or table.starts[0] != 0):
            return ("lr", "starts"), "the first run does not start at step 0"
        for index, (before, after) in enumerate(pairwise(table.starts)):
            if not before < after < table.total_steps:
                return ("lr", "starts", index + 1), (
                    f"run starts must increase within 0..{table.total_steps - 1}")
        for name, rows in (("values", table.values), ("per_epoch", table.per_epoch)):
            for index, row in enumerate(rows):
                if len(row) != tracks:
                    return ("lr", name, index), f"{len(row)} rates for {tracks} tracks"
        groups = plan.param_groups.groups if plan.param_groups is not None else []
        for index, group in enumerate(groups):
            if group.lr is not None and group.lr not in table.base_lrs:
                return ("param_groups", "groups", index, "lr"), (
                    f"the group's lr {group.lr!r} starts no track of the lr table "
                    f"(base_lrs {table.base_lrs})")
    return None


JsonScalar = float | int | bool | str | None
NO_MODEL = "(no model)"
JsonValue = JsonScalar | list[JsonScalar]


class LoopPlan(BaseModel):
    """The training loop: its kind and length.

    Attributes:
        type: ``EpochBasedTrainLoop`` or ``IterBasedTrainLoop``.
        max_epochs: Epochs (epoch loops).
        max_iters: Iterations (iteration loops).
        iters_per_epoch: The dataloader length, when it was given.
        val_begin: First epoch (or iteration) that validates.
        val_interval: Validation interval.
        validates: Whether the run validates at all: MMEngine's Runner builds its
            validation loop only from ``val_dataloader``, ``val_cfg`` and
            ``val_evaluator`` together (initcfg's own loop needs the dataloader and the
            evaluator).
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["EpochBasedTrainLoop", "IterBasedTrainLoop"]
    max_epochs: int | None = None
    max_iters: int | None = None
    iters_per_epoch: int | None = None
    val_begin: int = 1
    val_interval: int = 1
    validates: bool = True

    @property
    def total_iters(self) -> int | None:
        """Iterations in the whole run, when known."""
        if self.type == "IterBasedTrainLoop":
            return self.max_iters
        if self.max_epochs is None or self.iters_per_epoch is None:
            return None
        return self.max_epochs * self.iters_per_epoch


class OptimizerPlan(BaseModel):
    """The optimizer as it will be built.

    Attributes:
        type: The ``torch.optim`` class name.
        kwargs: Its arguments (``lr`` already scaled by ``auto_scale_lr``).
        wrapper: ``OptimWrapper`` or ``AmpOptimWrapper``.
        clip_grad: ``clip_grad`` arguments, None for no clipping.
        accumulative_counts: Gradient accumulation steps.
        lr_scale: The ``auto_scale_lr`` factor applied to every rate (1.0 when off).
    """

    model_config = ConfigDict(extra="forbid")

    type: str
    kwargs: dict[str, JsonValue]
    wrapper: str = "OptimWrapper"
    clip_grad: dict[str, JsonScalar] | None = None
    accumulative_counts: int = 1
    lr_scale: float = 1.0


class ShapeSkip(BaseModel):
    """A checkpoint tensor whose shape differs from the model's: it is not loaded."""

    model_config = ConfigDict(extra="forbid")

    key: str
    checkpoint_shape: list[int]
    model_shape: list[int]


class CheckpointLoad(BaseModel):
    """What ``load_from`` does, after initialization (MMEngine loads it non-strictly).

    Attributes:
        source: ``load_from`` as written.
        readable: Whether the file could be read; the key lists are empty otherwise.
        error: Why it could not be read.
        uninspected: A remote checkpoint that planning did not download: it is loaded
            when the run starts, but which keys it holds is not known.
        loaded: Model keys (parameters and buffers) that take the checkpoint's values.
        missing: Model keys the checkpoint does not have.
        unexpected: Checkpoint keys the model does not have (ignored).
        shape_skipped: Keys present in both with different shapes (not loaded).
        fresh: Model parameters that keep their fresh initialization (missing or
            shape-skipped); a new head shows up here.
        fresh_init: For each fresh parameter, the init step that gives it its value, when
            the init plan tells.
        tied_missing: Missing keys that are second names of a tied or shared parameter
            (``head.weight`` for ``embed.weight``): that tensor loads, or is fresh, under
            its first name; the other missing keys that are not in ``fresh`` are buffers.
    """

    model_config = ConfigDict(extra="forbid")

    source: str
    readable: bool
    error: str | None = None
    uninspected: bool = False
    loaded: list[str] = []
    missing: list[str] = []
    unexpected: list[str] = []
    shape_skipped: list[ShapeSkip] = []
    fresh: list[str] = []
    fresh_init: dict[str, str] = {}
    tied_missing: list[str] = []


class TrainPlan(BaseModel):
    """Everything a fine-tune config will do to a model, resolved before it runs.

    Attributes:
        config: The config file, when compiled from one.
        model: The model's class name.
        loop: The training loop (None when ``train_cfg`` is missing or not modelled).
        optimizer: The optimizer (None when ``optim_wrapper`` is missing or invalid).
        param_groups: Every parameter's rate and decay, and the merged groups.
        lr: The learning-rate table (None when it cannot be computed; see diagnostics).
        load: The ``load_from`` step (None when ``load_from`` is not set).
        resume: Whether the run resumes from ``load_from`` (or the last checkpoint).
        diagnostics: Problems found while compiling (fine-tune parsing included).
    """

    model_config = ConfigDict(extra="forbid")

    config: str | None = None
    model: str
    loop: LoopPlan | None = None
    optimizer: OptimizerPlan | None = None
    param_groups: ParamGroupsPlan | None = None
    lr: LrSchedule | None = None
    load: CheckpointLoad | None = None
    resume: bool = False
    diagnostics: list[Diagnostic] = []

    def group_tracks(self) -> list[int]:
        """For each optimizer group, its column in the lr table.

        Raises:
            ValueError: The plan has no groups or no table.
        """
        if self.param_groups is None or self.lr is None:
            raise ValueError("the plan has no parameter groups or no lr table")
        return [self.lr.track_of(_need_lr(group.lr)) for group in self.param_groups.groups]

    def lrs_at(self, iteration: int) -> list[float]:
        """Each optimizer group's rate for the optimizer step of global ``iteration``.

        Iterations past the end of the table keep its last row. For a table per epoch
        (iterations per epoch unknown) ``iteration`` counts epochs.
        """
        if self.lr is None:
            raise ValueError("the plan has no lr table")
        row = self.lr.lrs_at_step(min(max(iteration, 0), self.lr.total_steps - 1))
        return [row[track] for track in self.group_tracks()]

    def set_lrs(self, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        """Set every group of ``optimizer`` (from :func:`build_optimizer`) to its rate."""
        for group, lr in zip(optimizer.param_groups, self.lrs_at(iteration), strict=True):
            group["lr"] = lr

    # -- the plan method set (shared with InitPlan) ------------------------------

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (:meth:`loads` of :meth:`dumps` rebuilds it).

        It used to return the JSON text; :meth:`dumps` gives that text, byte for byte.
        """
        return self.model_dump(mode="json")

    def dumps(self, *, indent: int | None = 2) -> str:
        """The plan as JSON text (``indent=None``: one line)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def loads(cls, text: str, *, file: str | None = None) -> TrainPlan:
        """The plan :meth:`dumps` wrote; ``file`` names where it was read, for the
        diagnostic's location.

        Raises:
            PlanFileError: ``text`` is not JSON (IC002) or not a train plan (IC010: the
                first field that does not fit, by its JSON path, located in ``file``);
                a ValueError, as the ``pydantic.ValidationError`` it used to raise.
        """
        from pydantic import ValidationError

        from initcfg.errors import PlanFileError
        from initcfg.plan.plan_file import PlanFileProblem, plan_file_diagnostic, read_plan_json

        value = read_plan_json(text, file)
        try:
            plan = cls.model_validate(value)
        except ValidationError as error:
            first = error.errors()[0]
            problem = PlanFileProblem(tuple(first["loc"]), f"not a train plan: {first['msg']}")
            raise PlanFileError([plan_file_diagnostic(problem, text, file)]) from None
        misfit = _inconsistency(plan)
        if misfit is not None:
            where, message = misfit
            problem = PlanFileProblem(where, f"not a train plan: {message}")
            raise PlanFileError([plan_file_diagnostic(problem, text, file)])
        return plan

    @classmethod
    def read_file(cls, path: str | os.PathLike[str]) -> TrainPlan:
        """Read a plan that :meth:`save` wrote (``InitPlan.load``'s counterpart: here
        ``load`` is the plan's ``load_from`` step).

        Raises:
            PlanFileError: The file cannot be read (IC001), is not JSON (IC002) or not a
                train plan (IC010); nothing is built from it.
        """
        from initcfg.plan.plan_file import read_plan_file

        return cls.loads(read_plan_file(path), file=os.fspath(path))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the plan as JSON atomically (temp file, then rename)."""
        write_text_atomic(path, self.dumps())

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Old name of :meth:`save`."""
        self.save(path)

    def render_text(self) -> str:
        """The plan as ``initcfg plan --train`` prints it (diagnostics included)."""
        from initcfg.plan.train_render import render_train_plan

        return render_train_plan(self)


def _need_lr(value: float | None) -> float:
    if value is None:
        raise ValueError("a parameter group has no known learning rate")
    return value


def build_optimizer(plan: TrainPlan, model: nn.Module) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer the plan describes, over ``model``'s parameters.

    Groups are the plan's merged groups, in order; each group starts at its planned rate
    (call :meth:`TrainPlan.set_lrs` before each step to follow the schedule).

    Args:
        plan: A compiled plan with an optimizer and parameter groups.
        model: The model the plan was compiled for (or one with the same parameter names;
            a DDP wrapper is unwrapped as the plan was).

    Raises:
        ValueError: The plan has no optimizer, or it is not a torch.optim class.
    """
    if plan.optimizer is None or plan.param_groups is None:
        raise ValueError("the plan has no optimizer (see its diagnostics)")
    cls = optimizer_class(plan.optimizer.type)
    if cls is None:
        raise ValueError(f"optimizer {plan.optimizer.type!r} is not a torch.optim class")
    kwargs: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in plan.optimizer.kwargs.items()
    }
    # torch_param_groups unwraps the model as the plan did; unwrapping it here as well
    # would take the `module` of a model whose inner module has one of its own.
    groups = torch_param_groups(plan.param_groups, model)
    return cls(groups, **kwargs)
