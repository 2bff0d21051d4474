"""The fine-tune rules over class counts (IC309, IC332, IC333, IC334, IC340): each
head's ``num_classes`` against the dataset's classes, the one-hot targets, the other
heads, the top-k accuracy and its label-smoothing loss, as the config writes them (no
model is built)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from initcfg.check.finetune_places import place, where
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic
from initcfg.schema.config_facts import ConfigFacts

__all__ = ["check_labels"]


def check_labels(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """The class-count findings of a config, in rule order."""
    yield from _check_num_classes(tree, facts)
    yield from _check_onehot_classes(tree, facts)
    yield from _check_heads_agree(tree, facts)
    yield from _check_accuracy_topk(tree, facts)
    yield from _check_loss_classes(tree, facts)


def _check_num_classes(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    if not facts.model_is_mapping:
        return
    # The datasets' classes first: few configs name them, and the open-vocabulary
    # test walks the whole model.
    counts = list(facts.dataset_classes)
    if not counts:
        return
    if facts.open_vocabulary:
        return  # open-vocabulary: num_classes counts text slots
    # Panoptic models (Panoptic FPN, MaskFormer, Mask2Former) declare
    # num_things_classes; their instance heads count the things only, while the
    # dataset lists things + stuff (4 Panoptic FPN configs in MMDetection 3.3.0).
    things = facts.num_things_classes
    for head_path, value in facts.num_classes:
        if value in things:
            continue
        for classes_path, count in counts:
            if value == count:
                continue
            yield place(
                tree, "IC309",
                f"{where(tree, head_path)} is {value} but {where(tree, classes_path)} "
                f"lists {count} class{'es' if count != 1 else ''}; the head trains "
                "for the wrong number of classes",
                head_path,
                f"set num_classes={count}",
            )
            break  # one report per head; the hint names the first mismatching dataset


def _check_onehot_classes(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """IC332: MMPretrain's ClsDataPreprocessor makes one-hot targets of its own
    ``num_classes`` (with batch augments or ``to_onehot``); a head of another size
    meets them in the loss, which raises at the first iteration."""
    onehot = facts.onehot_classes
    if onehot is None:
        return
    targets_path, targets = onehot
    for head_path, value in facts.num_classes:
        if head_path[: len(targets_path) - 1] == targets_path[:-1] or value == targets:
            continue
        if head_path[-2:-1] == ("loss",):
            continue  # a loss counts its head's scores, not the targets (IC340)
        yield place(
            tree, "IC332",
            f"{where(tree, head_path)} is {value} but the data preprocessor makes one-hot "
            f"targets of {targets} classes ({where(tree, targets_path)}, for the batch "
            "augments): the loss raises a size mismatch at the first iteration",
            targets_path,
            f"set num_classes={value} there too",
        )
        return  # one report: the fix is at the preprocessor


def _check_heads_agree(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """IC333: the heads of one model count one label set. When the config itself writes
    one head's num_classes and another head keeps a different value from a base (the
    Mask R-CNN fine-tune that changes bbox_head and forgets mask_head), the one left
    behind trains for the base's classes. Only without dataset classes: with them,
    IC309 compares every head with the dataset already."""
    if not facts.model_is_mapping or facts.dataset_classes or facts.open_vocabulary:
        return
    things = facts.num_things_classes
    smoothing = {loss_path for _, (loss_path, _) in facts.loss_classes}  # IC340's
    heads = [
        (path, value) for path, value in facts.num_classes
        # A tracker's re-ID head counts identities; the task heads of MMPretrain's
        # MultiTaskHead each count a label set of their own.
        if value not in things and "reid" not in path and "task_heads" not in path
        and path not in smoothing
    ]
    if len({value for _, value in heads}) < 2:
        return
    if tree.path is None:
        return
    here = Path(tree.path).resolve()
    own = {
        value for path, value in heads
        if (location := tree.location(path)) is not None and Path(location.file).resolve() == here
    }
    if len(own) != 1:
        return  # no head or several values written here: nothing says which is meant
    (meant,) = own
    written = next(path for path, value in heads if value == meant)
    for path, value in heads:
        if value == meant:
            continue
        yield place(
            tree, "IC333",
            f"{where(tree, path)} is {value} but {where(tree, written)} is {meant}: "
            f"this head keeps the base's class count and trains for {value} classes",
            path,
            f"set num_classes={meant} here too",
        )


def _check_accuracy_topk(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """IC334: MMPretrain's Accuracy raises ValueError('Top-5 accuracy is unavailable
    since the number of categories is 3') for a k above the scores' width, at the first
    validation, after a whole interval of training."""
    if not facts.accuracy_topk or facts.open_vocabulary:
        return
    heads = [
        (path, value) for path, value in facts.num_classes if "data_preprocessor" not in path
    ]
    if not heads:
        return
    head_path, classes = max(heads, key=lambda item: item[1])
    for topk_path, k in facts.accuracy_topk:
        if k <= classes:
            continue
        when = "the first validation" if topk_path[0] == "val_evaluator" else "testing"
        yield place(
            tree, "IC334",
            f"{topk_path[0]} asks for top-{k} accuracy but {where(tree, head_path)} is "
            f"{classes}: MMPretrain's Accuracy raises ValueError('Top-{k} accuracy is "
            f"unavailable since the number of categories is {classes}') at {when}",
            topk_path,
            f"use topk values of at most {classes}, e.g. topk=(1,)",
        )


def _check_loss_classes(tree: ConfigTree, facts: ConfigFacts) -> Iterator[Diagnostic]:
    """IC340: MMPretrain's LabelSmoothLoss asserts that its own ``num_classes`` is the
    width of the scores, so a head changed to 5 classes over a loss written for 1000
    fails at the first iteration, one-hot targets or not."""
    for (head_path, head), (loss_path, loss) in facts.loss_classes:
        yield place(
            tree, "IC340",
            f"{where(tree, loss_path)} is {loss} but its head scores {head} classes "
            f"({where(tree, head_path)}): MMPretrain's LabelSmoothLoss asserts the two are "
            "equal at the first iteration",
            loss_path,
            f"set num_classes={head} in the loss too, or leave it out (the loss then "
            "takes the scores' width)",
        )
