"""What the train loop needs from a config, typed.

The fine-tune settings (loop, optimizer wrapper, schedulers, checkpoint, seed) come
from :mod:`initcfg.schema.finetune`; the parts only the runner needs (dataloaders,
evaluator, model factory, work dir) are read here.
Everything past :func:`read_train_settings` is typed; a bad value raises
:class:`TrainError` naming the key path, never a traceback from deep inside the loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import KeyPath
from initcfg.errors import TrainError as TrainError
from initcfg.schema.finetune import (
    CheckpointHookCfg,
    EpochBasedTrainLoop,
    FinetuneSettings,
    IterBasedTrainLoop,
    OptimWrapperCfg,
    parse_finetune,
)


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
    """One dataloader: its dataset factory, batch size, workers and shuffling."""

    dataset: Factory
    batch_size: int
    num_workers: int = 0
    shuffle: bool = True
    drop_last: bool = False


@dataclass(frozen=True, slots=True)
class LoopSettings:
    """``train_cfg`` as the loop runs it: ``EpochBasedTrainLoop`` or ``IterBasedTrainLoop``.

    For an iteration-based loop ``max_iters`` is set and ``val_begin``/``val_interval``
    count iterations; for an epoch-based one they count epochs.
    """

    by_epoch: bool
    max_epochs: int = 0
    max_iters: int = 0
    val_begin: int = 1
    val_interval: int = 1
    dynamic_intervals: tuple[tuple[int, int], ...] = ()

    def interval_after(self, count: int) -> int:
        """The validation interval once ``count`` epochs (iterations) are done.

        ``dynamic_intervals`` pairs ``(milestone, interval)``: as MMEngine's loops do, the
        interval in force is that of the last milestone ``<= count + 1``.
        """
        interval = self.val_interval
        for milestone, later in self.dynamic_intervals:
            if milestone <= count + 1:
                interval = later
        return interval


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """Everything ``initcfg train`` needs from the config, typed.

    Attributes:
        finetune: The fine-tune settings (loop, optimizer wrapper, schedulers, seed…).
        loop: ``finetune.train_cfg`` reduced to what the loop needs.
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
    """

    finetune: FinetuneSettings
    loop: LoopSettings
    optim: OptimWrapperCfg
    checkpoint: CheckpointHookCfg
    model: Factory | None
    train_loader: LoaderSettings
    val_loader: LoaderSettings | None
    evaluator: Factory | None
    seed: int | None
    work_dir: str | None
    log_interval: int = 10


def _mapping(value: Any, path: KeyPath, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TrainError(f"expected {what} as a dict, got {type(value).__name__}", path)
    return value


def _int(value: Any, path: KeyPath, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TrainError(f"expected an integer >= {minimum}, got {value!r}", path)
    return value


# A factory of each kind from the shipped example, for the hint of a missing one.
_FACTORY_EXAMPLES = {
    "dataset": "examples.shapes.data:ShapesDataset",
    "val_evaluator": "examples.shapes.metric:Accuracy",
}


def read_factory(value: Any, path: KeyPath, what: str) -> Factory:
    """A ``dict(type='module:callable', **kwargs)`` value as a :class:`Factory`."""
    body = dict(_mapping(value, path, what))
    target = body.pop("type", None)
    if not isinstance(target, str) or ":" not in target:
        example = _FACTORY_EXAMPLES.get(str(path[-1]), "my_project.module:build")
        raise TrainError(
            f"{what} needs type='module:callable' naming a factory, got {target!r}",
            (*path, "type"),
            hint=f"for example type='{example}'",
        )
    return Factory(target, body, path)


def _model_factory(value: Any) -> Factory:
    # A registry name (`type='ImageClassifier'`) is kept: `--model` may replace the
    # callable while the section's arguments still apply; building checks the form.
    body = dict(_mapping(value, ("model",), "model"))
    target = body.pop("type", None)
    return Factory(target if isinstance(target, str) else "", body, ("model",))


def _loader(data: Mapping[str, Any], key: str) -> LoaderSettings | None:
    raw = data.get(key)
    if raw is None:
        return None
    path: KeyPath = (key,)
    body = _mapping(raw, path, key)
    if "dataset" not in body:
        raise TrainError(f"{key} has no dataset", path, hint="add dataset=dict(type=...)")
    sampler = body.get("sampler") or {}
    shuffle = bool(_mapping(sampler, (*path, "sampler"), "sampler").get("shuffle", True))
    return LoaderSettings(
        dataset=read_factory(body["dataset"], (*path, "dataset"), f"{key}.dataset"),
        batch_size=_int(body.get("batch_size", 1), (*path, "batch_size"), 1),
        num_workers=_int(body.get("num_workers", 0), (*path, "num_workers"), 0),
        shuffle=shuffle if key == "train_dataloader" else False,
        drop_last=bool(body.get("drop_last", False)),
    )


def _loop(settings: FinetuneSettings) -> LoopSettings:
    loop = settings.train_cfg
    if isinstance(loop, IterBasedTrainLoop):
        return LoopSettings(
            by_epoch=False,
            max_iters=loop.max_iters,
            val_begin=loop.val_begin,
            val_interval=loop.val_interval,
            dynamic_intervals=tuple((m, i) for m, i in loop.dynamic_intervals or ()),
        )
    if isinstance(loop, EpochBasedTrainLoop):
        return LoopSettings(
            by_epoch=True,
            max_epochs=loop.max_epochs,
            val_begin=loop.val_begin,
            val_interval=loop.val_interval,
            dynamic_intervals=tuple((m, i) for m, i in loop.dynamic_intervals or ()),
        )
    raise TrainError(
        "the config has no train_cfg the loop can run",
        ("train_cfg",),
        hint="set train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=...) "
        "or dict(type='IterBasedTrainLoop', max_iters=...)",
    )


def read_train_settings(tree: ConfigTree) -> TrainSettings:
    """The typed settings of a loaded config.

    Raises:
        TrainError: the fine-tune settings have errors, or a section the loop needs is
            missing or malformed.
    """
    finetune, diagnostics = parse_finetune(tree)
    errors = [d for d in diagnostics if d.severity == "error"]
    if finetune is None or errors:
        lines = [
            f"{d.file or tree.path}:{d.line or 1}:{d.column or 1}: {d.code} {d.message}"
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
    data = tree.data
    train_loader = _loader(data, "train_dataloader")
    if train_loader is None:
        raise TrainError(
            "the config has no train_dataloader",
            hint="add train_dataloader=dict(batch_size=..., dataset=dict(type=...))",
        )
    evaluator = data.get("val_evaluator")
    hooks = data.get("default_hooks") or {}
    log_cfg = hooks.get("logger") if isinstance(hooks, Mapping) else None
    log_interval = log_cfg.get("interval", 10) if isinstance(log_cfg, Mapping) else 10
    model = data.get("model")
    work_dir = data.get("work_dir")
    seed = finetune.randomness.seed if finetune.randomness is not None else None
    return TrainSettings(
        finetune=finetune,
        loop=_loop(finetune),
        optim=finetune.optim_wrapper,
        checkpoint=finetune.checkpoint or CheckpointHookCfg(),
        model=None if model is None else _model_factory(model),
        train_loader=train_loader,
        val_loader=_loader(data, "val_dataloader"),
        evaluator=None
        if evaluator is None
        else read_factory(evaluator, ("val_evaluator",), "val_evaluator"),
        seed=seed,
        work_dir=str(work_dir) if work_dir else None,
        log_interval=max(1, int(log_interval)),
    )
