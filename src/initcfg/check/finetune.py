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
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from initcfg.check.finetune_ema import check_ema_hooks
from initcfg.check.finetune_labels import check_labels
from initcfg.check.finetune_optim import check_flat_decay_without_weight_decay
from initcfg.check.finetune_places import fmt, place, where
from initcfg.check.finetune_schedule import (
    check_best_without_validation,
    check_checkpoint_never_saved,
    check_checkpoint_unit,
    check_dynamic_interval_items,
    check_sampler_loop,
    check_schedulers,
    check_switches,
    check_validation,
)
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import (
    Diagnostic,
    KeyPath,
    edit_distance,
    suggest,
)
from initcfg.schema.config_facts import MMCV1_REPLACEMENTS, ConfigFacts
from initcfg.schema.config_facts import dataset_class_counts as dataset_class_counts
from initcfg.schema.config_facts import num_classes_fields as num_classes_fields
from initcfg.schema.document import Document, parse_finetune_document

if TYPE_CHECKING:
    # The rules over typed settings meet these only in a config that writes fine-tune
    # keys (see check_finetune): the models are not imported for one that writes none.
    from initcfg.schema.finetune import FinetuneSettings
    from initcfg.schema.init_cfg import ParsedEntry

__all__ = [
    "RUNNER_KEYS",
    "check_finetune",
    "check_pretrained_checkpoints",
    "dataset_class_counts",
    "num_classes_fields",
]

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

# Where OpenMMLab's released weights live: model-zoo schemes (backbone weights) and the
# download server, whose checkpoints publish_model strips to meta and state_dict.
_ZOO_SCHEMES = ("torchvision://", "open-mmlab://", "openmmlab://", "mmcls://", "modelzoo://")
_RELEASED = re.compile(r"^https?://download\.openmmlab\.com/")


def _released(target: str) -> bool:
    return target.startswith(_ZOO_SCHEMES) or _RELEASED.match(target) is not None


# Loading problems after which the merged values are incomplete (a base or an
# expression is missing): checking them would report what is absent, not what is wrong.
_INCOMPLETE = frozenset({"IC201", "IC202", "IC203", "IC205", "IC206", "IC207"})

# ----------------------------------------------------------- rule 4: fine-tune vs base


def _check_against_base(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts, base_facts: ConfigFacts | None
) -> Iterator[Diagnostic]:
    # Compared only with a base that does not fine-tune itself: a base with its own
    # load_from already chose a fine-tuning lr and schedule. The base is built only
    # for a fine-tune.
    if settings.load_from is None or base_facts is None or base_facts.load_from is not None:
        return
    base = tree.base  # placing only: the values are the document's
    if base is None:
        return
    lr_path: KeyPath = ("optim_wrapper", "optimizer", "lr")
    lr, base_lr = facts.optimizer_lr, base_facts.optimizer_lr
    if lr is not None and base_lr is not None and lr >= base_lr:
        if tree.location(lr_path) == base.location(lr_path):
            what = f"inherits the base's lr {fmt(lr)} unchanged ({where(base, lr_path)})"
        else:
            verb = "keeps" if lr == base_lr else "raises"
            what = (
                f"{verb} the lr: {fmt(lr)} ({where(tree, lr_path)}), base lr "
                f"{fmt(base_lr)} ({where(base, lr_path)})"
            )
        yield place(
            tree, "IC310",
            f"this fine-tune (load_from is set) {what}",
            lr_path,
            f"use an lr below {fmt(base_lr)}",
        )
    epochs_path: KeyPath = ("train_cfg", "max_epochs")
    epochs, base_epochs = facts.max_epochs, base_facts.max_epochs
    if (
        isinstance(epochs, int)
        and isinstance(base_epochs, int)
        and not isinstance(epochs, bool)
        and epochs >= base_epochs
    ):
        if tree.location(epochs_path) == base.location(epochs_path):
            what = f"inherits max_epochs={epochs} unchanged ({where(base, epochs_path)})"
        else:
            what = (
                f"trains {epochs} epochs ({where(tree, epochs_path)}), no fewer than the "
                f"base's {base_epochs} ({where(base, epochs_path)})"
            )
        yield place(tree, "IC311", f"this fine-tune {what}", epochs_path)


# ---------------------------------------------------------- rules 5, 6, 9: load_from


def _check_load_from(
    tree: ConfigTree,
    settings: FinetuneSettings,
    facts: ConfigFacts,
    fs_checks: bool,
    fs_checks_option: str | None,
) -> Iterator[Diagnostic]:
    target = settings.load_from
    path: KeyPath = ("load_from",)
    if target is not None:
        if target.startswith(_SCHEMES):
            pass
        elif _SCHEME.match(target):
            scheme = target.split("://", 1)[0] + "://"
            yield place(
                tree, "IC313",
                f"load_from uses the scheme {scheme!r}, which MMEngine has no loader for; it "
                "will be read as a local path",
                path,
                _scheme_hint(scheme),
            )
        elif fs_checks and not _local_exists(target, tree.path):
            yield place(
                tree, "IC312",
                f"load_from names {target!r}, which does not exist (looked in the current "
                "directory and next to the config)",
                path,
                "correct the path, or write the checkpoint there first"
                + (f"; {fs_checks_option} skips this check" if fs_checks_option else ""),
            )
        if settings.resume and not facts.factory_model and _released(target):
            yield place(
                tree, "IC338",
                f"resume=True resumes training from load_from, but {target!r} is a released "
                "checkpoint: it holds the weights (and meta) only, not the optimizer, "
                "message hub and loop position resume restores, so MMEngine's Runner raises "
                "KeyError once the model and the data are built",
                ("resume",),
                "set resume=False: load_from alone loads the weights to fine-tune from",
            )
        yield from _check_backbone_pretrained(tree, facts)
    elif settings.resume:
        yield place(
            tree, "IC317",
            "resume=True without load_from: the Runner resumes from the latest checkpoint in "
            "work_dir, or silently starts from scratch when there is none",
            ("resume",),
        )


def check_pretrained_checkpoints(
    tree: ConfigTree,
    located: Iterable[ParsedEntry],
    fs_checks: bool,
    fs_checks_option: str | None,
) -> Iterator[Diagnostic]:
    """IC312 for a ``Pretrained`` entry whose local checkpoint does not exist: MMEngine's
    loader raises FileNotFoundError when ``init_weights`` reaches it (a backbone loads
    its own), after the model and the dataloaders were built."""
    if not fs_checks:
        return
    for entry in located:
        target = getattr(entry.initializer, "checkpoint", None)
        if not isinstance(target, str) or _SCHEME.match(target):
            continue
        if not _local_exists(target, tree.path):
            yield place(
                tree, "IC312",
                f"the Pretrained checkpoint {target!r} does not exist (looked in the current "
                "directory and next to the config)",
                (*entry.path, "checkpoint"),
                "correct the path, or write the checkpoint there first"
                + (f"; {fs_checks_option} skips this check" if fs_checks_option else ""),
            )


def _scheme_hint(scheme: str) -> str | None:
    return suggest(scheme, _SCHEMES, cutoff=0.7)


def _local_exists(target: str, config: str | None) -> bool:
    candidate = Path(os.path.expanduser(target))
    looked_in = [candidate]
    if config is not None and not candidate.is_absolute():
        looked_in.append(Path(config).parent / candidate)
    for where_to in looked_in:
        try:
            if where_to.exists():
                return True
        except (OSError, ValueError):  # a name too long, or with a NUL byte
            continue
    return False


def _check_backbone_pretrained(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    path: KeyPath = ("model", "backbone", "init_cfg")
    if facts.backbone_pretrained:
        yield place(
            tree, "IC314",
            "model.backbone.init_cfg loads a Pretrained checkpoint that load_from "
            f"({where(tree, ('load_from',))}) then overwrites: the download is wasted",
            path,
            "set model.backbone.init_cfg=None",
        )


def _check_pretrained_depth(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """IC335: a ResNet-family checkpoint named for another depth than the module's.
    MMEngine loads it with strict=False: the blocks the two share get its weights, the
    rest keep their fresh initialization, and the mismatch is only logged."""
    for checkpoint_path, depth, named in facts.pretrained_depths:
        module = checkpoint_path[: checkpoint_path.index("init_cfg")]
        yield place(
            tree, "IC335",
            f"{where(tree, (*module, 'depth'))} is {depth} but its Pretrained checkpoint is "
            f"named for depth {named}: MMEngine loads what fits and leaves the rest at its "
            "fresh initialization, logging the missing and mismatched keys only",
            checkpoint_path,
            f"use the depth-{depth} checkpoint (the usual cause: depth changed, "
            "init_cfg inherited)",
        )


def _check_auto_scale_lr(
    tree: ConfigTree, settings: FinetuneSettings, facts: ConfigFacts
) -> Iterator[Diagnostic]:
    scale = settings.auto_scale_lr
    wrapper = settings.optim_wrapper
    if scale is None or not scale.enable or scale.base_batch_size is None or wrapper is None:
        return
    batch = facts.train_batch_size
    lr = wrapper.optimizer.lr
    base = scale.base_batch_size
    # The Runner scales by (GPUs x batch_size per GPU) / base_batch_size.
    message = (
        f"auto_scale_lr is enabled: the Runner multiplies lr {lr:g} by the total batch "
        f"size over base_batch_size {base}"
    )
    if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0:
        per_gpu = [
            f"{fmt(lr * batch * gpus / base)} on {gpus} GPU{'s' if gpus > 1 else ''}"
            for gpus in (1, 8)
        ]
        message += f"; with batch_size {batch} per GPU that is lr {' and '.join(per_gpu)}"
    yield place(tree, "IC318", message, ("auto_scale_lr", "enable"))


# ------------------------------------------------------------ rule 7: Runner keys


def _check_top_level_keys(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    keys = facts.top_level_keys
    for key in keys:
        if not isinstance(key, str) or key in RUNNER_KEYS or key.startswith("_"):
            continue
        match = _near_miss(key)
        if match is not None and match not in keys:
            yield place(
                tree, "IC315",
                f"top-level key {key!r} is not read by MMEngine's Runner, which reads "
                f"{match!r} with cfg.get: this setting is silently dropped",
                (key,),
                suggest(key, matcher=_near_miss),
            )




def _check_mmcv1_keys(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    for key in facts.mmcv1_keys:
        yield place(
            tree, "IC326",
            f"top-level key {key!r} is an MMCV 1.x setting that MMEngine reads nowhere: "
            "it is silently dropped",
            (key,),
            f"in MMEngine this is {MMCV1_REPLACEMENTS[key]}",
        )


# The Runner's settings that are set together or not at all (Runner.__init__).
RUNNER_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("train_dataloader", "train_cfg", "optim_wrapper"),
    ("val_dataloader", "val_cfg", "val_evaluator"),
    ("test_dataloader", "test_cfg", "test_evaluator"),
)


def _check_runner_groups(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    if not facts.complete_runner_config:
        return
    written = facts.set_keys
    for group in RUNNER_GROUPS:
        present = [key for key in group if key in written]
        if present and len(present) < len(group):
            absent = [key for key in group if key not in written]
            yield place(
                tree, "IC324",
                f"{' and '.join(present)} {'is' if len(present) == 1 else 'are'} set but "
                f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not: MMEngine's "
                f"Runner raises ValueError unless {', '.join(group)} are all set or all None",
                (present[0],),
                f"set {' and '.join(absent)}, or set {' and '.join(present)} to None",
            )
    if "param_scheduler" in written and "optim_wrapper" not in written:
        yield place(
            tree, "IC324",
            "param_scheduler is set without optim_wrapper: MMEngine's Runner raises "
            "ValueError('param_scheduler should be None when optim_wrapper is None')",
            ("param_scheduler",),
            "set optim_wrapper, or param_scheduler=None",
        )


_WITHOUT_LETTERS = {known: dict.fromkeys(map(ord, known)) for known in RUNNER_KEYS}


@lru_cache(maxsize=4096)
def _near_miss(key: str) -> str | None:
    # Cached: the same top-level names recur in every config of a project.
    best: tuple[int, str] | None = None
    without_key_letters = dict.fromkeys(map(ord, key))  # str.translate deletes these
    for known in RUNNER_KEYS:
        if abs(len(known) - len(key)) > 2:
            continue  # more than two edits apart whatever the letters
        # Each letter of one name found nowhere in the other costs an edit of its own:
        # a bound that rules out most names before the quadratic distance (which cost
        # more than the rest of validating a real-sized config). Only names within two
        # edits can be the answer, so skipping the others changes nothing. The letters
        # (with repeats) of one name that the other lacks are what translate leaves.
        if (len(known.translate(without_key_letters)) > 2
                or len(key.translate(_WITHOUT_LETTERS[known])) > 2):
            continue
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
    if document is None:
        document = parse_finetune_document(
            tree, extra_optimizers=extra_optimizers, extra_schedulers=extra_schedulers
        )
    found = list(document.finetune_diagnostics)
    if document.finetune_keys is None:
        return found  # not a mapping: no settings to judge
    facts = document.facts
    # Without a fine-tune key the settings are the empty ones, which no rule over them
    # reports on: they are not typed (nor their models imported) for nothing.
    settings = document.finetune if document.finetune_keys else None
    found.extend(_check_top_level_keys(tree, facts))
    found.extend(_check_mmcv1_keys(tree, facts))
    found.extend(_check_runner_groups(tree, facts))
    if settings is not None:
        found.extend(check_schedulers(tree, settings))
        found.extend(check_validation(tree, settings, facts))
        found.extend(check_dynamic_interval_items(tree, facts))
        found.extend(check_checkpoint_unit(tree, settings, facts))
        found.extend(check_checkpoint_never_saved(tree, settings, facts))
        found.extend(check_best_without_validation(tree, settings, facts))
        found.extend(check_sampler_loop(tree, settings, facts))
        found.extend(check_switches(tree, settings, facts))
        found.extend(check_flat_decay_without_weight_decay(tree, settings))
    found.extend(check_ema_hooks(tree, settings, facts))
    found.extend(check_labels(tree, facts))
    found.extend(_check_pretrained_depth(tree, facts))
    if settings is not None:
        found.extend(_check_against_base(tree, settings, facts, document.base_facts))
        found.extend(_check_load_from(tree, settings, facts, fs_checks, fs_checks_option))
        found.extend(_check_auto_scale_lr(tree, settings, facts))
    return found
