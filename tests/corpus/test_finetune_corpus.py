"""The fine-tune checks over every MMDetection 3.3.0 config (file-system checks off).

Every error reported is listed below with one line saying why it is a genuine problem
in MMDetection's config; the warning and info counts per code are pinned so a change
in them is noticed (they are quoted in docs/finetune.md and the issue's note).
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from initcfg.check.finetune import check_finetune
from initcfg.config.load import load_tree
from initcfg.diagnostics import Diagnostic
from initcfg.schema.config_facts import _LANGUAGE_KEYS, _OTHER_LABEL_SET_KEYS, _datasets

pytestmark = pytest.mark.corpus

# Each error: (config relative to configs/, code, key path) -> why it is real.
_SOLOV2_LIGHT = (
    "the 3x file adds train_cfg=dict(by_epoch=True, ...) to a base train_cfg that has "
    "type='EpochBasedTrainLoop'; Runner.build_train_loop raises RuntimeError('Only one "
    "of `type` or `by_epoch` can exist')"
)
EXPECTED_ERRORS: dict[tuple[str, str, str], str] = {
    (f"solov2/solov2-light_{name}_fpn_ms-3x_coco.py", "IC302", "train_cfg.by_epoch"):
        _SOLOV2_LIGHT
    for name in ("r18", "r34", "r50", "r50-dcn")
}

# Measured on MMDetection 3.3.0 with fs_checks off. IC306: the 2x/3x/400e files raise
# max_epochs and move the milestones but keep the 1x base's MultiStepLR end=12 (or
# 25), so the milestones never fire (8, in 4 configs). IC308: val_begin 13 in 12-epoch
# MaskTrack R-CNN runs (6), val_interval one past max_iters/max_epochs in
# Mask2Former-VIS and ReID (6). IC310/IC311: person detectors fine-tuned from a COCO
# detector keep the 1x schedule. IC314: backbone Pretrained plus load_from.
EXPECTED_COUNTS: dict[str, int] = {
    "IC306": 8,
    "IC308": 12,
    "IC310": 2,
    "IC311": 4,
    "IC314": 17,
    # IC324: the qdtrack 4e base sets the train schedule and val/test loops while its
    # children bring the dataloaders; run on its own the Runner raises ValueError (3).
    "IC324": 3,
    # IC326: MMCV 1.x keys MMEngine ignores. The SSD model base sets the 2.x
    # `cudnn_benchmark = True` (MMEngine reads env_cfg.cudnn_benchmark, which
    # default_runtime sets False), inherited by 9 configs; guided-anchoring Fast R-CNN
    # keeps `data` (its proposal files) and `optimizer_config` (grad_clip max_norm=35).
    "IC326": 11,
}
# With mmpretrain installed (the test extras) the five rtmdet/classification configs load
# through their 'mmpretrain::' bases; their optimizer (mmpretrain's Lamb) is not one
# MMEngine or torch provides.
if importlib.util.find_spec("mmpretrain") is not None:
    EXPECTED_COUNTS["IC304"] = 5


@cache
def _run(paths: tuple[Path, ...], root: Path) -> tuple[tuple[str, Diagnostic], ...]:
    found: list[tuple[str, Diagnostic]] = []
    for path in paths:
        for item in check_finetune(load_tree(path), fs_checks=False):
            found.append((path.relative_to(root).as_posix(), item))
    return tuple(found)


@pytest.fixture(scope="module")
def corpus_diagnostics(
    mmdet_configs: Path, mmdet_config_files: list[Path]
) -> tuple[tuple[str, Diagnostic], ...]:
    return _run(tuple(mmdet_config_files), mmdet_configs)


def test_every_error_is_a_genuine_problem(
    corpus_diagnostics: tuple[tuple[str, Diagnostic], ...],
) -> None:
    errors = {
        (name, item.code, item.path)
        for name, item in corpus_diagnostics
        if item.severity == "error"
    }
    assert errors == set(EXPECTED_ERRORS)


def test_warning_and_info_counts(
    corpus_diagnostics: tuple[tuple[str, Diagnostic], ...],
) -> None:
    counts = Counter(item.code for _, item in corpus_diagnostics if item.severity != "error")
    assert dict(counts) == EXPECTED_COUNTS


# MMDetection's built-in class lists, for datasets that do not name their classes:
# the dataset class's METAINFO (CocoDataset: 80 things; CocoPanopticDataset: 80 things
# + 53 stuff).
_DEFAULT_CLASSES = {"CocoDataset": 80, "CocoPanopticDataset": 133}


def _num_classes(value: Any, path: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], int]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "num_classes" and isinstance(item, int):
                yield (*path, key), item
            else:
                yield from _num_classes(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _num_classes(item, (*path, index))


def _things(value: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "num_things_classes" and isinstance(item, int):
                found.add(item)
            else:
                found |= _things(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _things(item)
    return found


def _language(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in _LANGUAGE_KEYS and v is not None for k, v in value.items()) or any(
            _language(v) for v in value.values()
        )
    if isinstance(value, list | tuple):
        return any(_language(v) for v in value)
    return False


def test_num_classes_exemptions_are_each_needed(
    mmdet_configs: Path, mmdet_config_files: list[Path]
) -> None:
    """Measure IC309's exemptions on the corpus: compare every head with the dataset's
    class count, named (metainfo) or built in (_DEFAULT_CLASSES); each exemption must
    explain at least one difference, and no difference may be left unexplained."""
    used: Counter[str] = Counter()
    unexplained: list[tuple[str, str, int, int]] = []
    for path in mmdet_config_files:
        data = load_tree(path).data
        loader = data.get("train_dataloader")
        if not isinstance(loader, dict):
            continue
        leaves = [d for _, d in _datasets(loader.get("dataset"), ())]
        counts = set()
        for dataset in leaves:
            classes = (dataset.get("metainfo") or {}).get("classes")
            if isinstance(classes, list | tuple) and classes:
                counts.add(len(classes))
            elif dataset.get("type") in _DEFAULT_CLASSES:
                counts.add(_DEFAULT_CLASSES[dataset["type"]])
        if len(counts) != 1:
            continue
        (count,) = counts
        model = data.get("model")
        things = _things(model)
        for key_path, value in _num_classes(model, ("model",)):
            if value == count:
                continue
            if _language(model):
                used["language model"] += 1
            elif any(key in _OTHER_LABEL_SET_KEYS for key in key_path):
                used[next(k for k in key_path if k in _OTHER_LABEL_SET_KEYS)] += 1
            elif value in things:
                used["num_things_classes"] += 1
            else:
                name = path.relative_to(mmdet_configs).as_posix()
                unexplained.append((name, ".".join(map(str, key_path)), value, count))
    assert unexplained == []
    assert set(used) == {"language model", "semantic_head", "rpn_head", "num_things_classes"}
