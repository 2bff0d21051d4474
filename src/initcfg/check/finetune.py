"""The fine-tune rules (IC3xx): model-free checks of train_cfg, optim_wrapper,
param_scheduler, load_from and the heads' num_classes, on a loaded config.

The schema (:func:`initcfg.schema.finetune.parse_finetune`) reports what MMEngine would
refuse to build; the rules here report settings that build fine but do not do what a
fine-tune means: milestones past the run, a run that never validates, a head sized for
another dataset, a learning rate no smaller than the base's, a misspelt Runner key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import (
    Diagnostic,
    KeyPath,
    Location,
    diagnostic,
    edit_distance,
    format_path,
    suggest,
)
from initcfg.schema.document import Document
from initcfg.schema.finetune import (
    ConstantLR,
    CosineAnnealingLR,
    EpochBasedTrainLoop,
    FinetuneSettings,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    SchedulerBase,
    parse_finetune,
)

__all__ = ["RUNNER_KEYS", "check_finetune", "dataset_class_counts", "num_classes_fields"]

# Top-level keys MMEngine 0.10.7's Runner.from_cfg reads (all with `cfg.get` except
# model and work_dir), so a misspelt one is dropped without a word.
RUNNER_KEYS: frozenset[str] = frozenset(
    {
        "model", "work_dir", "train_dataloader", "val_dataloader", "test_dataloader",
        "train_cfg", "val_cfg", "test_cfg", "auto_scale_lr", "optim_wrapper",
        "param_scheduler", "val_evaluator", "test_evaluator", "default_hooks",
        "custom_hooks", "data_preprocessor", "load_from", "resume", "launcher", "env_cfg",
        "log_processor", "log_level", "visualizer", "default_scope", "randomness",
        "experiment_name", "model_wrapper_cfg", "compile",
    }
)

# Prefixes MMEngine's CheckpointLoader has loaders for (mmengine/runner/checkpoint.py),
# plus object stores that MMEngine's file backends read.
_SCHEMES = (
    "http://", "https://", "pavi://", "modelzoo://", "torchvision://", "open-mmlab://",
    "openmmlab://", "mmcls://", "s3://", "petrel://",
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

# Loading problems after which the merged values are incomplete (a base or an
# expression is missing): checking them would report what is absent, not what is wrong.
_INCOMPLETE = frozenset({"IC201", "IC202", "IC203", "IC205", "IC206", "IC207"})

_SPLITS = ("train_dataloader", "val_dataloader", "test_dataloader")

# Keys that hold text-encoder / language-model configs: a model with one of these is an
# open-vocabulary detector whose num_classes counts text slots, not dataset classes
# (GroundingDINO's `language_model`, GLIP's `language_model`, DetCLIP-style `text_encoder`).
_LANGUAGE_KEYS = frozenset({"language_model", "text_encoder", "lang_model", "text_model"})

# Heads whose num_classes is not the detection label set, measured on MMDetection 3.3.0
# (tests/corpus/test_finetune_corpus.py): HTC/DetectoRS `semantic_head` predicts the
# 183 COCO-stuff classes from separate segmentation maps (21 configs), and an
# `rpn_head` built from a one-stage head (FCOS as RPN) is class-agnostic with
# num_classes=1 (1 config).
_OTHER_LABEL_SET_KEYS = frozenset({"semantic_head", "rpn_head"})


def _place(tree: ConfigTree, code: str, message: str, path: KeyPath, hint: str | None = None
           ) -> Diagnostic:
    return diagnostic(code, message, format_path(path), hint).at(tree.location(path), tree.path)


def _where(tree: ConfigTree, path: KeyPath) -> str:
    location = tree.location(path)
    if location is None:
        return format_path(path)
    return f"{format_path(path)} at {_short(location)}"


class _Deferred:
    """Text made when first formatted: a message part that names a location is built
    only for a finding that shows it (finding a location may read the file again)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make

    def __format__(self, spec: str) -> str:
        return format(self._make(), spec)

    def __str__(self) -> str:
        return self._make()


def _short(location: Location) -> str:
    return f"{os.path.basename(location.file)}:{location.line}"


# ----------------------------------------------------------------- rule 1: schedulers


def _unit(settings: FinetuneSettings, scheduler: SchedulerBase) -> tuple[int, str] | None:
    """The run's length in the scheduler's unit, when that is known without data."""
    loop = settings.train_cfg
    if loop is None:
        return None
    scheduler_in_epochs = scheduler.by_epoch  # convert_to_iter_based keeps epoch numbers
    if isinstance(loop, EpochBasedTrainLoop):
        return (loop.max_epochs, "epochs") if scheduler_in_epochs else None
    return (loop.max_iters, "iterations") if not scheduler_in_epochs else None


# Schedulers whose curve is stretched over begin..end (or a length derived from it); when
# `end` lies past the run they are cut short. The others step at fixed points and only
# lose steps that IC306 or the begin check already cover.
_SHAPED_BY_END: tuple[type[SchedulerBase], ...] = (
    LinearLR, ConstantLR, CosineAnnealingLR, PolyLR, OneCycleLR,
)


def _shaped_by_end(scheduler: SchedulerBase) -> bool:
    if isinstance(scheduler, CosineAnnealingLR) and scheduler.T_max is not None:
        return False
    if isinstance(scheduler, OneCycleLR) and scheduler.total_steps is not None:
        return False
    return isinstance(scheduler, _SHAPED_BY_END)


def _check_schedulers(tree: ConfigTree, settings: FinetuneSettings) -> Iterator[Diagnostic]:
    loop_path: KeyPath = (
        ("train_cfg", "max_epochs")
        if isinstance(settings.train_cfg, EpochBasedTrainLoop)
        else ("train_cfg", "max_iters")
    )
    for scheduler, path in zip(settings.param_scheduler, settings.scheduler_paths, strict=True):
        unit = _unit(settings, scheduler)
        if unit is None:
            continue
        length, name = unit
        run = _Deferred(lambda length=length, name=name:  # type: ignore[misc]
                        f"the run has {length} {name} ({_where(tree, loop_path)})")
        if scheduler.begin >= length:
            yield _place(
                tree, "IC307",
                f"{scheduler.type} begins at {scheduler.begin} but {run}: it never acts",
                (*path, "begin"),
                f"set begin below {length}",
            )
            continue
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
                        f"({_where(tree, (*path, 'end'))})"
                    )
                    yield _place(
                        tree, "IC306",
                        f"MultiStepLR milestone {milestone} is never reached: it would fire "
                        f"at {name[:-1]} {scheduler.begin + milestone}{at} but {why}",
                        (*path, "milestones", index),
                        f"use milestones below {stop - scheduler.begin}"
                        + ("" if stop == length else f", or set end={length}"),
                    )
        elif scheduler.bounded and scheduler.end > length and _shaped_by_end(scheduler):
            yield _place(
                tree, "IC307",
                f"{scheduler.type} ends at {scheduler.end} but {run}: it is cut short and "
                "the lr never reaches the value planned for its end",
                (*path, "end"),
                f"set end to {length}",
            )


# ---------------------------------------------------------------- rule 2: validation


def _check_validation(tree: ConfigTree, settings: FinetuneSettings) -> Iterator[Diagnostic]:
    loop = settings.train_cfg
    if loop is None or tree.data.get("val_cfg") is None:
        return
    length = loop.length
    unit = "epochs" if isinstance(loop, EpochBasedTrainLoop) else "iterations"
    limit = "max_epochs" if isinstance(loop, EpochBasedTrainLoop) else "max_iters"
    run = _Deferred(lambda: f"the run has {length} {unit} ({_where(tree, ('train_cfg', limit))})")
    if loop.val_begin > length:
        yield _place(
            tree, "IC308",
            f"val_begin is {loop.val_begin} but {run}: the run never validates",
            ("train_cfg", "val_begin"),
            f"set val_begin to at most {length}",
        )
    elif loop.val_interval > length and not loop.dynamic_intervals:
        # MMEngine 0.10.7 also validates after the last epoch/iteration, so this run
        # validates exactly once, at its very end.
        yield _place(
            tree, "IC308",
            f"val_interval is {loop.val_interval} but {run}: the run validates only once, "
            "after its last step",
            ("train_cfg", "val_interval"),
            f"set val_interval to at most {length}",
        )


# --------------------------------------------------------------- rule 3: num_classes


def _contains_key(value: Any, keys: frozenset[str]) -> bool:
    if isinstance(value, Mapping):
        return any(k in keys and v is not None for k, v in value.items()) or any(
            _contains_key(v, keys) for v in value.values()
        )
    if isinstance(value, list | tuple):
        return any(_contains_key(v, keys) for v in value)
    return False


def num_classes_fields(model: Any, path: KeyPath = ("model",)) -> Iterator[tuple[KeyPath, int]]:
    """Every integer ``num_classes`` under ``model`` that counts the detection classes,
    at any depth (lists of cascade heads included), except under the heads listed in
    ``_OTHER_LABEL_SET_KEYS``."""
    if isinstance(model, Mapping):
        for key, value in model.items():
            if not isinstance(key, str):
                continue
            child = (*path, key)
            if key == "num_classes" and isinstance(value, int) and not isinstance(value, bool):
                yield child, value
            elif key not in _OTHER_LABEL_SET_KEYS:
                yield from num_classes_fields(value, child)
    elif isinstance(model, list | tuple):
        for index, value in enumerate(model):
            yield from num_classes_fields(value, (*path, index))


def _int_values(value: Any, key: str) -> set[int]:
    found: set[int] = set()
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name == key and isinstance(item, int) and not isinstance(item, bool):
                found.add(item)
            else:
                found |= _int_values(item, key)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _int_values(item, key)
    return found


def _datasets(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    """The leaf datasets of a dataset config, through RepeatDataset,
    ClassBalancedDataset, MultiImageMixDataset (``dataset``) and ConcatDataset
    (``datasets``)."""
    if not isinstance(value, Mapping):
        return
    if isinstance(value.get("dataset"), Mapping):
        yield from _datasets(value["dataset"], (*path, "dataset"))
    elif isinstance(value.get("datasets"), list | tuple):
        for index, item in enumerate(value["datasets"]):
            yield from _datasets(item, (*path, "datasets", index))
    else:
        yield path, value


def dataset_class_counts(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, int]]:
    """``(path of metainfo.classes, count)`` for every train/val/test dataset that
    names its classes."""
    for split in _SPLITS:
        loader = data.get(split)
        if not isinstance(loader, Mapping):
            continue
        for path, dataset in _datasets(loader.get("dataset"), (split, "dataset")):
            metainfo = dataset.get("metainfo")
            if not isinstance(metainfo, Mapping):
                continue
            classes = metainfo.get("classes")
            if isinstance(classes, list | tuple) and classes:
                yield (*path, "metainfo", "classes"), len(classes)


def _check_num_classes(tree: ConfigTree) -> Iterator[Diagnostic]:
    model = tree.data.get("model")
    if not isinstance(model, Mapping):
        return
    if _contains_key(model, _LANGUAGE_KEYS):
        return  # open-vocabulary: num_classes counts text slots
    counts = list(dataset_class_counts(tree.data))
    if not counts:
        return
    # Panoptic models (Panoptic FPN, MaskFormer, Mask2Former) declare
    # num_things_classes; their instance heads count the things only, while the
    # dataset lists things + stuff (4 Panoptic FPN configs in MMDetection 3.3.0).
    things = _int_values(model, "num_things_classes")
    for head_path, value in num_classes_fields(model):
        if value in things:
            continue
        for classes_path, count in counts:
            if value == count:
                continue
            yield _place(
                tree, "IC309",
                f"{_where(tree, head_path)} is {value} but {_where(tree, classes_path)} "
                f"lists {count} class{'es' if count != 1 else ''}; the head trains "
                "for the wrong number of classes",
                head_path,
                f"set num_classes={count}",
            )
            break  # one report per head; the hint names the first mismatching dataset


# ----------------------------------------------------------- rule 4: fine-tune vs base


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _check_against_base(tree: ConfigTree, settings: FinetuneSettings) -> Iterator[Diagnostic]:
    base = tree.base
    # Compared only with a base that does not fine-tune itself: a base with its own
    # load_from already chose a fine-tuning lr and schedule.
    if base is None or settings.load_from is None or base.get(("load_from",)) is not None:
        return
    lr_path: KeyPath = ("optim_wrapper", "optimizer", "lr")
    lr, base_lr = _number(tree.get(lr_path)), _number(base.get(lr_path))
    if lr is not None and base_lr is not None and lr >= base_lr:
        if tree.location(lr_path) == base.location(lr_path):
            what = f"inherits the base's lr {_fmt(lr)} unchanged ({_where(base, lr_path)})"
        else:
            verb = "keeps" if lr == base_lr else "raises"
            what = (
                f"{verb} the lr: {_fmt(lr)} ({_where(tree, lr_path)}), base lr "
                f"{_fmt(base_lr)} ({_where(base, lr_path)})"
            )
        yield _place(
            tree, "IC310",
            f"this fine-tune (load_from is set) {what}",
            lr_path,
            f"use an lr below {_fmt(base_lr)}",
        )
    epochs_path: KeyPath = ("train_cfg", "max_epochs")
    epochs, base_epochs = tree.get(epochs_path), base.get(epochs_path)
    if (
        isinstance(epochs, int)
        and isinstance(base_epochs, int)
        and not isinstance(epochs, bool)
        and epochs >= base_epochs
    ):
        if tree.location(epochs_path) == base.location(epochs_path):
            what = f"inherits max_epochs={epochs} unchanged ({_where(base, epochs_path)})"
        else:
            what = (
                f"trains {epochs} epochs ({_where(tree, epochs_path)}), no fewer than the "
                f"base's {base_epochs} ({_where(base, epochs_path)})"
            )
        yield _place(tree, "IC311", f"this fine-tune {what}", epochs_path)


def _fmt(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------- rules 5, 6, 9: load_from


def _check_load_from(
    tree: ConfigTree, settings: FinetuneSettings, fs_checks: bool, fs_checks_option: str | None
) -> Iterator[Diagnostic]:
    target = settings.load_from
    path: KeyPath = ("load_from",)
    if target is not None:
        if target.startswith(_SCHEMES):
            pass
        elif _SCHEME.match(target):
            scheme = target.split("://", 1)[0] + "://"
            yield _place(
                tree, "IC313",
                f"load_from uses the scheme {scheme!r}, which MMEngine has no loader for; it "
                "will be read as a local path",
                path,
                _scheme_hint(scheme),
            )
        elif fs_checks and not _local_exists(target, tree.path):
            yield _place(
                tree, "IC312",
                f"load_from names {target!r}, which does not exist (looked in the current "
                "directory and next to the config)",
                path,
                "correct the path, or write the checkpoint there first"
                + (f"; {fs_checks_option} skips this check" if fs_checks_option else ""),
            )
        yield from _check_backbone_pretrained(tree)
    elif settings.resume:
        yield _place(
            tree, "IC317",
            "resume=True without load_from: the Runner resumes from the latest checkpoint in "
            "work_dir, or silently starts from scratch when there is none",
            ("resume",),
        )


def _scheme_hint(scheme: str) -> str | None:
    return suggest(scheme, _SCHEMES, cutoff=0.7)


def _local_exists(target: str, config: str | None) -> bool:
    candidate = Path(os.path.expanduser(target))
    places = [candidate]
    if config is not None and not candidate.is_absolute():
        places.append(Path(config).parent / candidate)
    for place in places:
        try:
            if place.exists():
                return True
        except (OSError, ValueError):  # a name too long, or with a NUL byte
            continue
    return False


def _is_pretrained(init_cfg: Any) -> bool:
    entries = init_cfg if isinstance(init_cfg, list | tuple) else [init_cfg]
    return any(
        isinstance(entry, Mapping)
        and isinstance(entry.get("type"), str)
        and entry["type"].rsplit(".", 1)[-1] in ("Pretrained", "PretrainedInit")
        for entry in entries
    )


def _check_backbone_pretrained(tree: ConfigTree) -> Iterator[Diagnostic]:
    path: KeyPath = ("model", "backbone", "init_cfg")
    if _is_pretrained(tree.get(path)):
        yield _place(
            tree, "IC314",
            "model.backbone.init_cfg loads a Pretrained checkpoint that load_from "
            f"({_where(tree, ('load_from',))}) then overwrites: the download is wasted",
            path,
            "set model.backbone.init_cfg=None",
        )


def _check_auto_scale_lr(tree: ConfigTree, settings: FinetuneSettings) -> Iterator[Diagnostic]:
    scale = settings.auto_scale_lr
    wrapper = settings.optim_wrapper
    if scale is None or not scale.enable or scale.base_batch_size is None or wrapper is None:
        return
    batch = tree.get(("train_dataloader", "batch_size"))
    lr = wrapper.optimizer.lr
    base = scale.base_batch_size
    # The Runner scales by (GPUs x batch_size per GPU) / base_batch_size.
    message = (
        f"auto_scale_lr is enabled: the Runner multiplies lr {lr:g} by the total batch "
        f"size over base_batch_size {base}"
    )
    if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0:
        per_gpu = [
            f"{_fmt(lr * batch * gpus / base)} on {gpus} GPU{'s' if gpus > 1 else ''}"
            for gpus in (1, 8)
        ]
        message += f"; with batch_size {batch} per GPU that is lr {' and '.join(per_gpu)}"
    yield _place(tree, "IC318", message, ("auto_scale_lr", "enable"))


# ------------------------------------------------------------ rule 7: Runner keys


def _check_top_level_keys(tree: ConfigTree) -> Iterator[Diagnostic]:
    for key in tree.data:
        if not isinstance(key, str) or key in RUNNER_KEYS or key.startswith("_"):
            continue
        match = _near_miss(key)
        if match is not None and match not in tree.data:
            yield _place(
                tree, "IC315",
                f"top-level key {key!r} is not read by MMEngine's Runner, which reads "
                f"{match!r} with cfg.get: this setting is silently dropped",
                (key,),
                suggest(key, matcher=_near_miss),
            )


@lru_cache(maxsize=4096)
def _near_miss(key: str) -> str | None:
    # Cached: the same top-level names recur in every config of a project.
    best: tuple[int, str] | None = None
    for known in RUNNER_KEYS:
        if abs(len(known) - len(key)) > 2:
            continue  # more than two edits apart whatever the letters
        distance = edit_distance(key, known)
        if best is None or distance < best[0]:
            best = (distance, known)
    if best is None:
        return None
    distance, known = best
    # One edit for short names, two for longer ones: close enough to be a typo, far
    # enough that real helper variables (`norm_cfg`, `val_pipeline`) are not flagged.
    allowed = 1 if len(known) <= 7 else 2
    return known if 0 < distance <= allowed else None


# ----------------------------------------------------------------------- entry point


def settings_complete(tree: ConfigTree) -> bool:
    """No loading problem left the merged values incomplete (a base or an include
    missing), so the settings rules can judge them."""
    return not any(item.code in _INCOMPLETE for item in tree.diagnostics)


def check_finetune(
    tree: ConfigTree,
    *,
    fs_checks: bool = True,
    fs_checks_option: str | None = None,
    extra_optimizers: frozenset[str] = frozenset(),
    extra_schedulers: frozenset[str] = frozenset(),
    document: Document | None = None,
) -> list[Diagnostic]:
    """Every fine-tune diagnostic of a loaded config: schema errors and IC3xx rules.

    Args:
        tree: The loaded config; ``tree.base`` (the merged bases) enables the rules that
            compare a fine-tune with its base.
        fs_checks: Check that a local ``load_from`` exists.
        fs_checks_option: The caller's option that skips that check, named in the hint
            (None: the hint names none, as for ``initcfg train``, which needs the file).
        extra_optimizers: Optimizer types registered by the project or a scope package.
        extra_schedulers: Scheduler types registered the same way.
        document: The config's document, already parsed (then the extras are those it
            was parsed with); None parses the fine-tune settings here.

    Returns:
        Diagnostics placed at their source locations, in rule order. Never raises for
        bad input.
    """
    if not settings_complete(tree):
        return []
    if document is not None:
        settings, found = document.finetune, list(document.finetune_diagnostics)
    else:
        settings, found = parse_finetune(
            tree, extra_optimizers=extra_optimizers, extra_schedulers=extra_schedulers
        )
    if settings is None:
        return found
    found.extend(_check_top_level_keys(tree))
    found.extend(_check_schedulers(tree, settings))
    found.extend(_check_validation(tree, settings))
    found.extend(_check_num_classes(tree))
    found.extend(_check_against_base(tree, settings))
    found.extend(_check_load_from(tree, settings, fs_checks, fs_checks_option))
    found.extend(_check_auto_scale_lr(tree, settings))
    return found
