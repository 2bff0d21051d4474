"""Budgets seen through the API: what the CLI cases cannot reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from initcfg import load_config
from initcfg.config.budget import MAX_TREE_ITEMS, tree_size
from initcfg.errors import ConfigLoadError


def test_tree_size_counts_every_path_and_walks_each_container_once() -> None:
    leaf = [0] * 10
    shared = [leaf] * 10
    assert tree_size(shared, 10**9) == 10 + 10 * 10
    assert tree_size({"l": shared, "r": shared}, 10**9) == 2 + 2 * 110
    assert tree_size([shared] * 1000, 50_000) == -1
    looped: list[object] = [1]
    looped.append(looped)
    assert tree_size(looped, 10) == 2
    assert tree_size(["abc", ["de"]], 100, strings=True) == 2 + 3 + 1 + 2


def test_bases_that_are_too_large_together_are_refused_as_base(tmp_path: Path) -> None:
    # Each base is within the tree bound and the config replaces both values, so only
    # the merged bases alone (`tree.base`) would pass it.
    rows = MAX_TREE_ITEMS * 7 // 10 // 1000
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text(f"{name} = [[0] * 1000] * {rows}\n")
    (tmp_path / "c.py").write_text("_base_ = ['./a.py', './b.py']\na = 1\nb = 2\n")
    tree = load_config(tmp_path / "c.py")
    assert tree.diagnostics == [] and tree.data == {"a": 1, "b": 2}
    base = tree.base
    assert base is not None and base.data == {}
    assert [item.code for item in base.diagnostics] == ["IC214"]


def test_a_load_over_budget_reports_once_however_many_files_include_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "bomb.py").write_text("x = [0]\nfor _ in range(40):\n    x += x\n")
    for index in range(5):
        (tmp_path / f"mid{index}.py").write_text(f"_base_ = './bomb.py'\nm{index} = 1\n")
    bases = ", ".join(f"'./mid{index}.py'" for index in range(5))
    (tmp_path / "c.py").write_text(f"_base_ = [{bases}]\n")
    with pytest.raises(ConfigLoadError) as failed:  # no partial tree through the API
        load_config(tmp_path / "c.py")
    over = [item for item in failed.value.diagnostics if item.code == "IC214"]
    assert len(over) == 1 and over[0].file.endswith("bomb.py") and over[0].line == 3


def test_trust_does_not_lift_the_budget(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    config = tmp_path / "c.py"
    config.write_text(
        "x = [0]\nfor _ in range(40):\n    x += x\n"
        f"import os\nos.system('touch {canary}')\n"
    )
    with pytest.raises(ConfigLoadError) as failed:
        load_config(config, trust=True)
    assert [item.code for item in failed.value.diagnostics] == ["IC214"]
    assert not canary.exists()
