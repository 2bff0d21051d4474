"""initcfg's loader against MMEngine 0.10.7 on every MMDetection 3.3.0 config.

Each config outside a ``_base_`` folder is loaded by ``Config.fromfile(path).to_dict()``
and by ``initcfg.load_config(path).to_dict()`` and the results compared.

Normalization, all of it here:

* ``_normalized`` turns tuples into lists on both sides: the issue's "tuples and lists are
  equal"; a tuple written in a config stays a tuple in both loaders anyway.
* ``_mmengine_result`` passes ``import_custom_modules=False``: initcfg records
  ``custom_imports`` and never imports it; with the import on, MMEngine fails on the
  configs that list ``mmpretrain.models`` (not installed here), though the files
  themselves load.
* ``_mmengine_result`` drops top-level values that are modules or functions. The three
  ``odinw/override_category.py`` files are scripts, not configs: ``import mmengine``
  makes MMEngine read them in its new-style mode, which keeps ``argparse`` and the
  functions defined there in the result; a loader that runs nothing cannot produce
  those objects.

No other normalization: ``_scope_`` keys, integer dict keys and key order in dicts are
compared as produced (dict equality ignores order).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from initcfg.config.load import load_config, load_tree
from initcfg.config.loaded import clear_cache
from initcfg.diagnostics import Location

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# Configs whose merged result differs between MMEngine and initcfg → why. None today.
EXPECTED_DIFFERENCES: dict[str, str] = {}

# Configs MMEngine 0.10.7 cannot load (with custom imports off) → why. initcfg must
# report an error for each of them too.
# The five rtmdet/classification configs inherit 'mmpretrain::' bases: they load where
# mmpretrain is installed (the test extras install it) and fail where it is not.
MMPRETRAIN_BASED = [
    f"rtmdet/classification/cspnext-{size}_8xb256-rsb-a1-600e_in1k.py"
    for size in ("tiny", "s", "m", "l", "x")
]
MMPRETRAIN_INSTALLED = importlib.util.find_spec("mmpretrain") is not None
MMENGINE_CANNOT_LOAD: dict[str, str] = {
    **{
        name: "its bases are 'mmpretrain::...' and mmpretrain is not installed (IC206)"
        for name in ([] if MMPRETRAIN_INSTALLED else MMPRETRAIN_BASED)
    },
    "bytetrack/bytetrack_yolox_x_8xb4-amp-80e_crowdhuman-mot17halftrain_test-mot17test.py":
        "its base './bytetrack/...' points into a folder that does not exist (IC202)",
    "sort/faster-rcnn_r50_fpn_8xb2-4e_mot17train_test-mot17train.py":
        "its base names a file without the .py suffix (IC202)",
    "sort/faster-rcnn_r50_fpn_8xb2-8e_mot20halftrain_test-mot20halfval.py":
        "its base names a file without the .py suffix (IC202)",
    "sort/faster-rcnn_r50_fpn_8xb2-8e_mot20train_test-mot20train.py":
        "its base names a file without the .py suffix (IC202)",
}


def _normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalized(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalized(child) for child in value]
    return value


def _mmengine_result(path: Path) -> dict[str, Any] | str:
    """MMEngine's ``to_dict()``, or why it failed."""
    from mmengine.config import Config

    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result = Config.fromfile(str(path), import_custom_modules=False).to_dict()
    except Exception as error:  # MMEngine's verdict on the file, kept as data
        return f"{type(error).__name__}: {error}"
    return {
        key: value for key, value in result.items()
        if not isinstance(value, (types.ModuleType, types.FunctionType))
    }


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


@pytest.fixture(scope="module")
def comparison(mmdet_configs: Path, mmdet_config_files: list[Path]) -> dict[str, Any]:
    logging.getLogger("mmengine").setLevel(logging.ERROR)
    clear_cache()
    equal: list[str] = []
    different: dict[str, list[str]] = {}
    mmengine_failed: dict[str, str] = {}
    trees = {}
    for path in mmdet_config_files:
        name = _relative(path, mmdet_configs)
        tree = load_tree(path)  # failed loads too: their diagnostics are compared
        trees[name] = tree
        theirs = _mmengine_result(path)
        if isinstance(theirs, str):
            mmengine_failed[name] = theirs
            continue
        ours, expected = _normalized(tree.to_dict()), _normalized(theirs)
        if ours == expected:
            equal.append(name)
        else:
            different[name] = sorted(
                str(key) for key in set(ours) | set(expected) if ours.get(key) != expected.get(key)
            )
    return {"equal": equal, "different": different, "mmengine_failed": mmengine_failed,
            "trees": trees}


def test_corpus_size(mmdet_config_files: list[Path]) -> None:
    assert len(mmdet_config_files) == 823


def test_config_loading_md_gives_the_counts_this_file_holds() -> None:
    # It gave 814 loadable configs and 9 refused, true only where mmpretrain is not
    # installed; the test extras install it, and then five more load.
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "config-loading.md").read_text()
    text = " ".join(text.split())
    refused = [name for name in MMENGINE_CANNOT_LOAD if name not in MMPRETRAIN_BASED]
    loads = re.findall(r"(\d+) configs MMEngine loads give equal results \((\d+)", text)
    assert loads and set(loads) == {("814", str(814 + len(MMPRETRAIN_BASED)))}
    cannot = re.findall(r"the (\d+) it cannot load \((\d+) with MMPretrain\)", text)
    assert cannot == [(str(len(refused) + len(MMPRETRAIN_BASED)), str(len(refused)))]


def test_at_least_99_percent_of_loadable_configs_are_equal(comparison: dict[str, Any]) -> None:
    loadable = len(comparison["equal"]) + len(comparison["different"])
    assert loadable == 814 + (len(MMPRETRAIN_BASED) if MMPRETRAIN_INSTALLED else 0)
    assert len(comparison["equal"]) >= 0.99 * loadable


def test_every_difference_is_listed_with_its_reason(comparison: dict[str, Any]) -> None:
    assert set(comparison["different"]) == set(EXPECTED_DIFFERENCES), comparison["different"]


def test_configs_mmengine_cannot_load_are_errors_for_initcfg_too(
    comparison: dict[str, Any],
) -> None:
    assert set(comparison["mmengine_failed"]) == set(MMENGINE_CANNOT_LOAD)
    for name in MMENGINE_CANNOT_LOAD:
        tree = comparison["trees"][name]
        errors = [d for d in tree.diagnostics if d.severity == "error"]
        assert errors, name
        assert all(d.file and d.line and d.column for d in errors)


def test_no_config_needs_trust_python(comparison: dict[str, Any]) -> None:
    refused = {
        name: [str(d) for d in tree.diagnostics if d.code in ("IC201", "IC207")]
        for name, tree in comparison["trees"].items()
    }
    assert {name: found for name, found in refused.items() if found} == {}


def _key_written_at(location: Location, key: str, lines: dict[str, list[str]]) -> bool:
    if location.file not in lines:
        lines[location.file] = Path(location.file).read_text(encoding="utf-8").splitlines()
    text = lines[location.file][location.line - 1][location.column - 1:]
    # A key computed by an f-string (Mask2Former's `custom_keys` comprehensions) is
    # located at the f-string that computes it.
    return text.startswith((key, f"'{key}'", f'"{key}"', "f'", 'f"'))


def test_every_key_location_points_at_the_key_in_its_file(comparison: dict[str, Any]) -> None:
    """Each dict key of each merged config is located where that key is written: the
    line at the recorded column starts with the key (``key=``, ``'key':``, the name of
    a top-level assignment, or the f-string computing it), in one of the files the
    config was built from."""
    lines: dict[str, list[str]] = {}
    wrong: list[str] = []
    checked = 0
    for name, tree in comparison["trees"].items():
        if name in MMENGINE_CANNOT_LOAD:
            continue
        files = set(tree.files)
        for path, location in tree.source_map.items():
            if not path:
                continue
            assert location.file in files, (name, path, location)
            if isinstance(path[-1], str) and path[-1] != "_scope_":
                checked += 1
                if not _key_written_at(location, path[-1], lines):
                    wrong.append(f"{name}: {path} at {location}")
    assert checked > 100_000
    assert wrong == []


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    items = (
        value.items() if isinstance(value, dict)
        else enumerate(value) if isinstance(value, (list, tuple)) else ()
    )
    found: list[tuple[Any, ...]] = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def test_every_key_and_list_item_has_its_own_location(comparison: dict[str, Any]) -> None:
    unlocated: list[str] = []
    total = 0
    for name, tree in comparison["trees"].items():
        for path in _paths(tree.data):
            total += 1
            if tree.source_map.get(path) is None:
                unlocated.append(f"{name}: {path}")
    assert total > 400_000
    assert unlocated == []


def test_values_from_bases_point_into_the_base_file(
    mmdet_configs: Path, comparison: dict[str, Any]
) -> None:
    tree = comparison["trees"]["faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"]
    base = str(mmdet_configs / "_base_" / "models" / "faster-rcnn_r50_fpn.py")
    schedule = str(mmdet_configs / "_base_" / "schedules" / "schedule_1x.py")
    assert tree.location(("model", "backbone", "depth")) == Location(base, 12, 9)
    assert tree.location(("param_scheduler", 1, "milestones")) == Location(schedule, 15, 9)
    assert tree.base is not None
    assert tree.base.to_dict() == tree.to_dict()  # the file only lists its bases
    assert tree.files[0].endswith("faster-rcnn_r50_fpn_1x_coco.py")
    assert set(tree.suppressions) == set(tree.files)


@pytest.mark.parametrize(
    "base",
    [
        # A shared list (train_pipeline) must get `_scope_` only where MMEngine puts it.
        "mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py",
        "mmdet::retinanet/retinanet_r50_fpn_1x_coco.py",
    ],
)
def test_package_scoped_full_configs_match_mmengine(
    mmdet_installed: Path, tmp_path: Path, base: str
) -> None:
    config = tmp_path / "child.py"
    config.write_text(f"_base_ = {base!r}\nmodel = dict(backbone=dict(depth=101))\n")
    clear_cache()
    tree = load_config(config)
    theirs = _mmengine_result(config)
    assert isinstance(theirs, dict), theirs
    assert tree.diagnostics == []
    assert _normalized(tree.to_dict()) == _normalized(theirs)
    assert tree.get(("train_dataloader", "dataset", "_scope_")) == "mmdet"
    assert "_scope_" not in tree.get(("train_dataloader", "dataset", "pipeline", 0))


def test_package_scoped_bases_match_mmengine(
    mmdet_configs: Path, mmdet_installed: Path, tmp_path: Path
) -> None:
    """``mmdet::`` bases resolve through the installed package's ``.mim/configs``.

    The real wheel is installed (``--no-deps``) so both loaders find ``mmdet``: MMEngine
    through pkg_resources and the wheel's dist-info, initcfg without importing it.
    """
    config = tmp_path / "finetune.py"
    config.write_text(
        "_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py',\n"
        "          'mmdet::_base_/schedules/schedule_1x.py']\n"
        "model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))\n"
        "train_cfg = dict(max_epochs=6)\n"
    )
    clear_cache()
    tree = load_config(config)
    theirs = _mmengine_result(config)
    assert isinstance(theirs, dict), theirs
    assert tree.diagnostics == []
    assert _normalized(tree.to_dict()) == _normalized(theirs)
    assert tree.get(("model", "_scope_")) == "mmdet"
    assert tree.get(("model", "roi_head", "bbox_head", "num_classes")) == 3
    base = str(mmdet_configs / "_base_" / "models" / "faster-rcnn_r50_fpn.py")
    assert tree.location(("model", "backbone", "depth")) == Location(base, 12, 9)
    assert tree.location(("model", "roi_head", "bbox_head", "num_classes")) == Location(
        str(config), 3, 43
    )
