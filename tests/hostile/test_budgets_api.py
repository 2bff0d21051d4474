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


# -- configs given as mappings: the bounds a file's values get -------------------------

def _deep_dict(levels: int) -> dict[str, object]:
    root: dict[str, object] = {}
    node = root
    for _ in range(levels):
        child: dict[str, object] = {}
        node["x"] = child
        node = child
    return root


def _deep_list(levels: int) -> list[object]:
    root: list[object] = []
    node = root
    for _ in range(levels):
        child: list[object] = []
        node.append(child)
        node = child
    return root


def _deep_tuple(levels: int) -> tuple[object, ...]:
    node: tuple[object, ...] = ()
    for _ in range(levels):
        node = (node,)
    return node


def _cycle_dict() -> dict[str, object]:
    model: dict[str, object] = {"type": "X"}
    model["self"] = {"again": model}
    return {"model": model}


def _cycle_through_tuple() -> dict[str, object]:
    inner: list[object] = []
    inner.append((1, inner))
    return {"model": {"init_cfg": inner}}


def _mutual() -> dict[str, object]:
    a: dict[str, object] = {}
    b: dict[str, object] = {"a": a}
    a["b"] = b
    return {"a": a}


def _dict_doubling() -> dict[str, object]:
    node: dict[str, object] = {"x": 1}
    for _ in range(40):
        node = {"l": node, "r": node}
    return {"model": node}


def _shared_strings() -> dict[str, object]:
    text = "s" * 5_000_000
    return {"model": {"names": [text] * 30}}


class _Config(dict):  # type: ignore[type-arg]  # what MMEngine's ConfigDict is: a dict subclass
    pass


def _subclass_cycle() -> dict[str, object]:
    node = _Config(type="X")
    node["parent"] = node
    return {"model": node}


MAPPINGS = {
    "deep_dict": (lambda: {"model": _deep_dict(5000)}, "IC006"),
    "deep_list": (lambda: {"model": {"init_cfg": _deep_list(5000)}}, "IC006"),
    "deep_tuple": (lambda: {"t": _deep_tuple(150)}, "IC006"),
    "cycle_dict": (_cycle_dict, "IC006"),
    "cycle_through_tuple": (_cycle_through_tuple, "IC006"),
    "mutual_cycle": (_mutual, "IC006"),
    "subclass_cycle": (_subclass_cycle, "IC006"),
    "huge_list": (lambda: {"model": {"layers": list(range(3_000_000))}}, "IC214"),
    "huge_dict": (lambda: {"model": {f"k{i}": i for i in range(1_500_000)}}, "IC214"),
    "alias_levels": (lambda: {"a": [[[0] * 1000] * 1000] * 1000}, "IC214"),
    "init_cfg_alias": (
        lambda: {"model": {"init_cfg": [dict(type="Normal", layer="Linear")] * 800_000}},
        "IC214"),
    "dict_doubling": (_dict_doubling, "IC214"),
    "huge_string": (lambda: {"model": {"type": "x" * 20_000_000}}, "IC214"),
    "shared_strings": (_shared_strings, "IC214"),
    "huge_int": (lambda: {"model": {"init_cfg": {"type": "Constant", "val": 1 << 2_000_000}}},
                 "IC214"),
}


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_a_mapping_gets_the_budget_diagnostics_a_file_gets(name: str) -> None:
    import time

    import initcfg
    from initcfg.config.load import tree_from_mapping

    make, code = MAPPINGS[name]
    value = make()
    started = time.process_time()
    [problem] = tree_from_mapping(value).diagnostics
    assert (problem.code, problem.severity) == (code, "error"), problem
    assert [d.code for d in initcfg.validate(value)] == [code]
    assert time.process_time() - started < 20  # bounded, as a file's load is


def test_a_mapping_within_the_bounds_is_copied_plain_and_shared_values_stay_shared() -> None:
    from initcfg.config.load import tree_from_mapping

    pipeline = [dict(type="LoadImageFromFile")]
    config = _Config(train=_Config(pipeline=pipeline), val=dict(pipeline=pipeline),
                     size=(1, [2]))
    data = tree_from_mapping(config).data
    assert data == {"train": {"pipeline": pipeline}, "val": {"pipeline": pipeline},
                    "size": (1, [2])}
    assert type(data) is dict and type(data["train"]) is dict  # as a file's load makes
    assert data["train"]["pipeline"] is data["val"]["pipeline"]
    assert data["train"]["pipeline"] is not pipeline  # the caller's value is not held


@pytest.mark.parametrize("name", ["deep_list", "cycle_through_tuple", "init_cfg_alias"])
def test_an_init_cfg_value_from_code_gets_them_too(name: str) -> None:
    import torch

    import initcfg
    from initcfg.errors import InitCfgError

    make, code = MAPPINGS[name]
    value = make()["model"]["init_cfg"]  # type: ignore[index]
    assert [d.code for d in initcfg.validate_init_cfg(value)] == [code]
    module = torch.nn.Linear(2, 2)
    before = module.weight.detach().clone()
    with pytest.raises(InitCfgError, match=code):
        initcfg.initialize(module, value)
    assert torch.equal(module.weight, before)


def test_an_init_cfg_attribute_inside_itself_is_a_diagnostic_not_a_recursion_error() -> None:
    import torch

    import initcfg
    from initcfg.errors import InitCfgError

    looped: list[object] = [dict(type="Constant", val=1, layer="Linear")]
    looped.append(looped)
    module = torch.nn.Linear(2, 2)
    module.init_cfg = looped
    with pytest.raises(InitCfgError, match="IC101"):
        initcfg.init_weights(module)
