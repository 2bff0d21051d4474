"""What the train loop needs from a config, typed.

Everything comes from the config's :class:`~initcfg.schema.document.Document`: the
fine-tune settings (loop, optimizer wrapper, schedulers, checkpoint, seed) and the
runtime ones (dataloaders, evaluator, model factory, logger, work dir), checked by the
schema (IC319-IC323, which ``validate`` reports too). Everything past
:func:`read_train_settings` is typed; a bad value raises :class:`TrainError` naming the
key path, never a traceback from deep inside the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath
from initcfg.errors import TrainError as TrainError
from initcfg.schema.document import Document, parse_document
from initcfg.schema.finetune import (
    CheckpointHookCfg,
    EpochBasedTrainLoop,
    FinetuneSettings,
    IterBasedTrainLoop,
    OptimWrapperCfg,
)
from initcfg.schema.loops import TrainLoopModel
from initcfg.schema.runtime import DataloaderCfg, FactoryCfg


@dataclass(frozen=True, slots=True)
class Factory:
    """A ``type='module:callable'`` value and the keyword arguments beside it.

    Attributes:
        target: ``package.module:callable`` (or ``path/to/file.py:callable``, relative
            to the config file).
        kwargs: The other keys of the dict, passed to the callable as they are.
        path: Where in the config the dict is, for error messages.
    """

    target: str
    kwargs: dict[str, Any]
    path: KeyPath


@dataclass(frozen=True, slots=True)
class LoaderSettings:
    """One dataloader: its dataset factory, batch size, workers and shuffling
    (``seed``: the sampler's own, which orders the data instead of ``randomness.seed``)."""

    dataset: Factory
    batch_size: int
    num_workers: int = 0
    shuffle: bool = True
    drop_last: bool = False
    seed: int | None = None
    sampler_type: str | None = None


def LoopSettings(  # the old class name, kept for old callers
    *,
    by_epoch: bool,
    max_epochs: int = 0,
    max_iters: int = 0,
    val_begin: int = 1,
    val_interval: int = 1,
    dynamic_intervals: tuple[tuple[int, int], ...] = (),
) -> TrainLoopModel:
    """Deprecated: the loop runs the schema's ``train_cfg`` model
    (:data:`~initcfg.schema.loops.TrainLoopModel`); this builds one from the old fields,
    unvalidated."""
    common: dict[str, Any] = {
        "val_begin": val_begin,
        "val_interval": val_interval,
        "dynamic_intervals": list(dynamic_intervals),
    }
    if by_epoch:
        return EpochBasedTrainLoop.model_construct(max_epochs=max_epochs, **common)
    return IterBasedTrainLoop.model_construct(max_iters=max_iters, **common)


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """Everything ``initcfg train`` needs from the config, typed.

    Attributes:
        finetune: The fine-tune settings (loop, optimizer wrapper, schedulers, seed…).
        loop: ``finetune.train_cfg``, the schema's loop model.
        optim: ``finetune.optim_wrapper`` (required to train).
        checkpoint: ``default_hooks.checkpoint`` (MMEngine's defaults when absent).
        model: The ``model`` factory, or None when ``--model`` supplies it.
        train_loader: ``train_dataloader``.
        val_loader: ``val_dataloader``, if any.
        evaluator: ``val_evaluator``, if any.
        seed: ``randomness.seed``.
        work_dir: ``work_dir``, if set.
        log_interval: ``default_hooks.logger.interval``: plain progress lines every so
            many iterations.
        document: The config's document these settings were read from (the train
            plan is compiled from it, not parsed again).
    """

    finetune: FinetuneSettings
    loop: TrainLoopModel
    optim: OptimWrapperCfg
    checkpoint: CheckpointHookCfg
    model: Factory | None
    train_loader: LoaderSettings
    val_loader: LoaderSettings | None
    evaluator: Factory | None
    seed: int | None
    work_dir: str | None
    log_interval: int = 10
    document: Document | None = None


def _factory(cfg: FactoryCfg) -> Factory:
    return Factory(cfg.target, dict(cfg.kwargs), cfg.path)


def _loader(cfg: DataloaderCfg | None, key: str) -> LoaderSettings | None:
    if cfg is None:
        return None
    assert cfg.dataset is not None  # a dataloader without one is refused before
    return LoaderSettings(
        dataset=_factory(cfg.dataset),
        batch_size=1 if cfg.batch_size is None else cfg.batch_size,
        num_workers=cfg.num_workers,
        shuffle=cfg.shuffle if key == "train_dataloader" else False,
        drop_last=cfg.drop_last,
        seed=cfg.seed,
        sampler_type=cfg.sampler_type,
    )


# The order in which the loop needs the runtime sections: a problem in the first is
# the one reported.
_SECTIONS = ("train_dataloader", "val_dataloader", "val_evaluator", "model")


def _refuse_runtime_errors(document: Document) -> None:
    """Raise the first runtime error the schema found (the runner's own refusals,
    and what initcfg's own loop cannot build even when ``model`` is a registry type
    that ``--model`` replaces)."""
    found = [*document.runtime_diagnostics, *document.runtime.factory_diagnostics]
    errors = [d for d in found if d.severity == "error"]

    def order(item: Diagnostic) -> int:
        head = item.key_path[0] if item.key_path else ""
        return _SECTIONS.index(str(head)) if head in _SECTIONS else len(_SECTIONS)

    if errors:
        first = min(errors, key=order)
        raise TrainError(first.message, first.key_path or (), hint=first.hint, code=first.code)


def _loop(settings: FinetuneSettings) -> TrainLoopModel:
    loop = settings.train_cfg
    if isinstance(loop, EpochBasedTrainLoop | IterBasedTrainLoop):
        return loop
    raise TrainError(
        "the config has no train_cfg the loop can run",
        ("train_cfg",),
        hint="set train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=...) "
        "or dict(type='IterBasedTrainLoop', max_iters=...)",
    )


def read_train_settings(config: ConfigTree | Document) -> TrainSettings:
    """The typed settings of a loaded config (or of its document, parsed once).

    Raises:
        TrainError: the fine-tune settings have errors, or a section the loop needs is
            missing or malformed.
    """
    document = config if isinstance(config, Document) else parse_document(config)
    tree = document.tree
    finetune, diagnostics = document.finetune, document.finetune_diagnostics
    errors = [d for d in diagnostics if d.severity == "error"]
    if finetune is None or errors:
        where = tree.path if tree is not None else None
        lines = [
            f"{d.file or where}:{d.line or 1}:{d.column or 1}: {d.code} {d.message}"
            for d in errors
        ]
        raise TrainError(
            "the config's fine-tune settings have errors:\n  " + "\n  ".join(lines),
            hint="run `initcfg validate` on it for the full report",
        )
    if finetune.optim_wrapper is None:
        raise TrainError(
            "the config has no optim_wrapper the loop can run",
            ("optim_wrapper",),
            hint="set optim_wrapper=dict(optimizer=dict(type='SGD', lr=...))",
        )
    _refuse_runtime_errors(document)
    runtime = document.runtime
    train_loader = _loader(runtime.train_dataloader, "train_dataloader")
    if train_loader is None:
        raise TrainError(
            "the config has no train_dataloader",
            hint="add train_dataloader=dict(batch_size=..., dataset=dict(type=...))",
        )
    seed = finetune.randomness.seed if finetune.randomness is not None else None
    return TrainSettings(
        finetune=finetune,
        loop=_loop(finetune),
        optim=finetune.optim_wrapper,
        checkpoint=finetune.checkpoint or CheckpointHookCfg(),
        model=None if runtime.model is None else _factory(runtime.model),
        train_loader=train_loader,
        val_loader=_loader(runtime.val_dataloader, "val_dataloader"),
        evaluator=None if runtime.val_evaluator is None else _factory(runtime.val_evaluator),
        seed=seed,
        work_dir=runtime.work_dir,
        log_interval=runtime.log_interval,
        document=document,
    )
