"""Building a run's pieces: seeding, the model, its initialization, the optimizer and lr table."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import torch
from torch import nn
from torch.utils.data import Sampler

from initcfg.backend.torch import train_workdir as workdir
from initcfg.backend.torch.train_dist import (
    DistContext,
)
from initcfg.backend.torch.train_options import TrainOptions
from initcfg.backend.torch.train_settings import TrainSettings
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic
from initcfg.errors import FactoryError, TrainError
from initcfg.plan.factory import model_from_config
from initcfg.schema.document import Document


class LrTable(Protocol):
    """The learning rate of every optimizer group at every iteration."""

    def lrs(self, iteration: int) -> Sequence[float]: ...


class _ConstantLr:
    """Used when the config has no ``param_scheduler``: each group keeps its own lr."""

    def __init__(self, base: Sequence[float]) -> None:
        self._base = list(base)

    def lrs(self, iteration: int) -> Sequence[float]:
        return self._base


class _EpochSampler(Sampler[int]):
    """This rank's share of one epoch's order; the order depends on ``(seed, epoch)`` only.

    Like ``DistributedSampler``, the permutation is padded to a multiple of the world
    size and rank ``r`` takes every ``world``-th index from ``r``; ``skip`` drops the
    samples a resumed epoch has already seen.
    """

    def __init__(self, size: int, ctx: DistContext, shuffle: bool, seed: int) -> None:
        self.size = size
        self.world = ctx.world_size
        self.rank = ctx.rank
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self.skip = 0
        self.per_rank = math.ceil(size / self.world)

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.epoch = epoch
        self.skip = skip

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.size, generator=generator).tolist()
        else:
            order = list(range(self.size))
        total = self.per_rank * self.world
        # Padded by repeating the order as often as needed, as MMEngine's DefaultSampler
        # does: a set smaller than half the world needs more than one extra pass, and
        # one short pass would leave the last ranks with fewer samples than the others.
        repeats = math.ceil(total / self.size) if self.size else 0
        order = (order * repeats)[:total]
        return iter(order[self.rank : total : self.world][self.skip :])

    def __len__(self) -> int:
        # A resumed epoch whose samples were all seen has none left (never below 0).
        return max(self.per_rank - self.skip, 0)


def _not_implemented(settings: TrainSettings) -> list[str]:
    """What the config asks for that this loop does not do, one sentence each."""
    notes = []
    if settings.optim.type == "AmpOptimWrapper":
        notes.append("AmpOptimWrapper is not implemented by initcfg train; training runs "
                     "in float32")
    if settings.checkpoint.save_best is not None:
        notes.append("default_hooks.checkpoint.save_best is not implemented by initcfg "
                     "train; no best checkpoint is kept (the periodic and last ones are)")
    sampler = settings.train_loader.sampler_type
    if sampler is not None and sampler.rpartition(".")[2] != "DefaultSampler":
        # An InfiniteSampler draws one endless stream from one generator seeded once;
        # this loop orders each pass by seed + pass, as DefaultSampler does.
        notes.append(f"train_dataloader.sampler {sampler} is not implemented by initcfg "
                     "train; the data is drawn in DefaultSampler's order, so the run "
                     "differs from MMEngine's")
    return notes


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - torch runs without numpy
        return
    np.random.seed(seed % (2**32))


def _base_dir(tree: ConfigTree) -> str | None:
    return None if tree.path is None else str(Path(tree.path).resolve().parent)


def _default_work_dir(tree: ConfigTree, settings: TrainSettings) -> Path:
    if settings.work_dir:
        return Path(settings.work_dir)
    stem = Path(tree.path).stem if tree.path else "run"
    return Path("work_dirs") / stem


def _build_model(tree: ConfigTree, options: TrainOptions) -> nn.Module:
    try:
        model = model_from_config(tree, options.model, trust=options.trust)
    except FactoryError as error:
        raise TrainError(error.message, error.path, hint=error.hint, code=error.code) from None
    # A factory that builds on the meta device gives tensors without data: moving them
    # to the device fails later with torch's "Cannot copy out of meta tensor".
    on_meta = next((name for name, tensor in model.state_dict(keep_vars=True).items()
                    if tensor.is_meta), None)
    if on_meta is not None:
        raise TrainError(
            f"the model was built on the meta device ({on_meta} holds no data), so it "
            "cannot be trained", ("model", "type"),
            hint="build it on a real device in the factory",
        )
    return model


def _plan_failure(kind: str, errors: Sequence[Diagnostic]) -> TrainError:
    """The error that stops a run whose init or train plan has errors: each one with the
    config line it concerns, as ``initcfg plan`` prints it. These are the plan's findings
    (a checkpoint that cannot be read, an override name the model lacks), which
    ``initcfg validate`` does not look for, so the hint names the command that does."""
    command = "initcfg plan --train" if kind == "train" else "initcfg plan"
    return TrainError(
        f"the {kind} plan has errors: " + _placed(errors),
        hint=f"`{command}` on the config shows the whole plan with every finding",
    )


def _placed(found: Sequence[Diagnostic]) -> str:
    """``found`` as ``file:line:col: CODE message (path)``, joined by ``; ``."""
    shown = []
    for item in found:
        where = f"{item.file}:{item.line}:{item.column}: " if item.file and item.line else ""
        path = f" ({item.path})" if item.path else ""
        shown.append(f"{where}{item.code} {item.message}{path}")
    return "; ".join(shown)


def _initialize(
    tree: ConfigTree | Document, model: nn.Module, work_dir: Path | None = None
) -> dict[str, list[str]] | None:
    """Run the config's init plan on ``model``: ``init_cfg`` everywhere, then ``load_from``.

    Args:
        tree: The config, or its document (its init_cfgs are not parsed again).
        model: The model to initialize.
        work_dir: The run's work dir: a checkpoint the plan reads may not be one of the
            files the run writes there (IC472).

    Returns:
        What ``load_from`` loaded (key lists by kind), or None when it is not set.
    """
    from initcfg.plan.init_plan import compile_init_plan

    plan = compile_init_plan(tree, model)
    if plan.errors:
        raise _plan_failure("init", plan.errors)
    if work_dir is not None:  # rank 0's; other ranks write nothing
        workdir.refuse_inputs_in_work_dir(work_dir, plan.checkpoints(), "the checkpoint")
    from initcfg.errors import CheckpointError, InitError
    from initcfg.plan.commands import apply_naming_failures

    try:
        results = apply_naming_failures(plan, model)
    except (CheckpointError, InitError) as error:
        raise TrainError(f"initialization failed: {error}") from None
    if not results:
        return None
    report: dict[str, list[str]] = {"loaded": [], "missing": [], "unexpected": [], "mismatched": []}
    for _, loaded in results:
        report["loaded"] += loaded.loaded
        report["missing"] += loaded.missing
        report["unexpected"] += loaded.unexpected
        report["mismatched"] += [f"{k} {tuple(a)} -> {tuple(b)}" for k, a, b in loaded.mismatched]
    return report


class _TableLr:
    """Per-group rates from the train plan's lr table, expanded once for O(1) lookups."""

    def __init__(self, rows: list[list[float]], tracks: list[int]) -> None:
        self._rows = [[row[track] for track in tracks] for row in rows]
        self._last = len(self._rows) - 1

    def lrs(self, iteration: int) -> Sequence[float]:
        return self._rows[min(iteration, self._last)]


def _build_optimizer(
    tree: ConfigTree,
    settings: TrainSettings,
    model: nn.Module,
    iters_per_epoch: int,
    world_size: int,
) -> tuple[torch.optim.Optimizer, LrTable]:
    """The optimizer (param groups resolved the MMEngine way) and the lr table, from the
    train plan."""
    from initcfg.plan.train_plan import build_optimizer, compile_train_plan

    # The init plan already loaded load_from; its load map would only be read again.
    plan = compile_train_plan(
        settings.document or tree, model, iters_per_epoch=iters_per_epoch, world_size=world_size,
        read_checkpoint=False,
    )
    errors = [d for d in plan.diagnostics if d.severity == "error"]
    if errors:
        raise _plan_failure("train", errors)
    # This loop sets the rates from the table alone: a scheduler the table leaves out
    # (a momentum or weight-decay scheduler, ReduceOnPlateauLR, a project's own) would
    # silently not act, so the run would not be the one the config declares.
    left_out = [d for d in plan.diagnostics if d.code == "IC464"]
    if left_out:
        raise TrainError(
            "initcfg's loop runs only the lr schedulers of its table: " + _placed(left_out),
            hint="remove it, or write the config with registry types so that MMEngine's "
            "Runner trains it",
        )
    try:
        optimizer = build_optimizer(plan, model)
    except ValueError as error:
        raise TrainError(str(error), ("optim_wrapper",)) from None
    if plan.lr is None:
        if settings.finetune.param_scheduler:
            raise TrainError("the lr schedule cannot be computed", ("param_scheduler",))
        return optimizer, _ConstantLr([float(g["lr"]) for g in optimizer.param_groups])
    if plan.lr.granularity != "iter":
        raise TrainError("the lr table is not per iteration", ("param_scheduler",))
    return optimizer, _TableLr(plan.lr.iteration_table(), plan.group_tracks())
