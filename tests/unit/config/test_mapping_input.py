"""Configs given as mappings: any finite tree is checked; one that contains itself or
nests absurdly deep is a diagnostic, never a RecursionError."""

from __future__ import annotations

from typing import Any

import pytest

import initcfg
from initcfg.config.load import MAX_MAPPING_DEPTH, tree_from_mapping


def _nested(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels - 1):
        node["x"] = {}
        node = node["x"]
    return root


def test_a_dict_inside_itself() -> None:
    config: dict[str, Any] = {"model": {"type": "X"}}
    config["model"]["parent"] = config
    [problem] = initcfg.validate(config)
    assert (problem.code, problem.severity) == ("IC006", "error")
    assert problem.path == "model.parent.model"


def test_a_list_inside_itself() -> None:
    loop: list[Any] = [dict(type="Kaiming")]
    loop.append(loop)
    [problem] = initcfg.validate({"model": {"init_cfg": loop}})
    assert (problem.code, problem.path) == ("IC006", "model.init_cfg[1]")


def test_nesting_is_limited_but_not_below_it() -> None:
    assert tree_from_mapping({"model": _nested(MAX_MAPPING_DEPTH - 1)}).diagnostics == []
    [problem] = tree_from_mapping({"model": _nested(MAX_MAPPING_DEPTH)}).diagnostics
    assert problem.code == "IC006" and "under model.x.x…" in problem.message
    [problem] = initcfg.validate({"model": _nested(5000)})
    assert problem.code == "IC006"


@pytest.mark.parametrize("chain", [MAX_MAPPING_DEPTH - 3, MAX_MAPPING_DEPTH - 2])
@pytest.mark.parametrize("shallow_first", [True, False])
def test_a_shared_value_counts_at_its_deepest_place(chain: int, shallow_first: bool) -> None:
    """A value met near the root and again deep down is too deep if the deep place
    is (the root, `chain` levels, then the shared value's 2 levels), whichever place
    the walk meets first."""
    shared = _nested(2)
    deep = _nested(chain)
    config: dict[str, Any] = {"b": deep, "a": shared} if shallow_first else {
        "a": shared, "b": deep}
    innermost = deep
    while "x" in innermost:
        innermost = innermost["x"]
    innermost["last"] = shared
    problems = tree_from_mapping(config).diagnostics
    too_deep = 1 + chain + 2 > MAX_MAPPING_DEPTH
    assert [p.code for p in problems] == (["IC006"] if too_deep else [])


def test_shared_values_are_not_loops() -> None:
    pipeline = [dict(type="LoadImageFromFile")]
    config = {
        "train_dataloader": {"dataset": {"pipeline": pipeline}},
        "val_dataloader": {"dataset": {"pipeline": pipeline}},
        "model": {"type": "X", "init_cfg": {"type": "Kaiming", "layer": "Conv2d"}},
    }
    assert initcfg.validate(config) == []


def test_top_level_keys_that_are_not_strings_are_reported_as_in_a_file() -> None:
    # A YAML file's `1:` or `null:` at the top is IC005 (MMEngine reads each top-level
    # key as a name); the same keys in a mapping were passed over without a word.
    layer_typo = {"type": "X", "init_cfg": {"type": "Kaiming", "layer": "Conv2D"}}
    problems = initcfg.validate({1: "a", None: "c", "model": layer_typo})
    assert [p.code for p in problems] == ["IC005", "IC005", "IC115"]
    assert "1 (int)" in problems[0].message and "None (NoneType)" in problems[1].message
    tree = tree_from_mapping({(1, 2): 3, "lr": 0.1})
    assert tree.to_dict() == {"lr": 0.1}
    assert [p.code for p in tree.diagnostics] == ["IC005"]
