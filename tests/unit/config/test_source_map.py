"""Where each value of a merged Python config was written, and how diagnostics use it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fixture_types import WriteFile
from initcfg.config.load import load_config, load_tree
from initcfg.config.source import SourceMap
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Location

BASE = textwrap.dedent("""\
    model = dict(
        type='Net',
        backbone=dict(depth=50, out=[0, 1]),
    )
    schedule = [dict(step=8), dict(step=11)]
""")
CHILD = textwrap.dedent("""\
    _base_ = './base.py'
    model = dict(backbone=dict(depth=101))
    extra = {'scale': (1, 2), **dict(mode='x')}
    schedule = _base_.schedule + [dict(step=20)]
""")


def _tree(write: WriteFile) -> tuple[ConfigTree, str, str]:
    base = write("base.py", BASE)
    child = write("child.py", CHILD)
    return load_config(child), str(base), str(child)


def test_child_and_base_locations(write: WriteFile) -> None:
    tree, base, child = _tree(write)
    expected = {
        ("model",): Location(child, 2, 1),
        ("model", "type"): Location(base, 2, 5),
        ("model", "backbone"): Location(child, 2, 14),
        ("model", "backbone", "depth"): Location(child, 2, 28),
        ("model", "backbone", "out"): Location(base, 3, 29),
        ("model", "backbone", "out", 1): Location(base, 3, 37),
        ("extra", "scale"): Location(child, 3, 10),
        ("extra", "scale", 1): Location(child, 3, 23),
        ("extra", "mode"): Location(child, 3, 34),
        ("schedule",): Location(child, 4, 1),
        ("schedule", 0): Location(base, 5, 13),
        ("schedule", 1, "step"): Location(base, 5, 32),
        ("schedule", 2): Location(child, 4, 31),
    }
    for path, location in expected.items():
        assert tree.source_map.get(path) == location, path
    assert tree.source_map.get(()) == Location(child, 1, 1)


def test_lookup_falls_back_to_the_nearest_located_ancestor(write: WriteFile) -> None:
    tree, _, child = _tree(write)
    assert tree.location(("model", "backbone", "depth", "deeper")) == Location(child, 2, 28)
    assert tree.location(("model", "nope")) == Location(child, 2, 1)
    assert tree.source_map.get(("model", "nope")) is None
    assert tree.location(("unknown",)) == Location(child, 1, 1)


def test_full_map_agrees_with_lookups(write: WriteFile) -> None:
    tree, base, child = _tree(write)
    entries = dict(tree.source_map.items())
    assert len(tree.source_map) == len(entries)
    assert entries[("model", "backbone", "out", 0)] == Location(base, 3, 34)
    assert entries[("extra", "scale", 0)] == Location(child, 3, 20)
    # Every key and item of the result has its own entry.
    assert ("schedule", 2, "step") in entries and ("model", "type") in entries
    sub = tree.source_map.subtree(("model", "backbone"))
    assert sub.get(("depth",)) == Location(child, 2, 28)
    tree.source_map.graft(("extra",), SourceMap({(): Location(child, 9, 9)}))
    assert tree.source_map.get(("extra",)) == Location(child, 9, 9)
    assert tree.source_map.get(("extra", "scale")) is None


def test_base_diagnostics_name_the_config(write: WriteFile) -> None:
    base = write("base.py", "x = 1\ny = undefined\n")
    child = write("child.py", "_base_ = './base.py'\n")
    [problem] = load_tree(child).diagnostics
    assert (problem.code, problem.file, problem.line, problem.column) == (
        "IC207", str(base), 2, 5
    )
    assert problem.config == str(child)
    assert str(problem.location) == f"{base}:2:5"


def test_relative_paths_stay_relative(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("configs/_base_/m.py", "model = dict(depth=50)\nbad = undefined\n")
    write("configs/c.py", "_base_ = './_base_/m.py'\nx = 1\n")
    monkeypatch.chdir(tmp_path)
    tree = load_tree("configs/c.py")
    assert tree.path == "configs/c.py"
    assert tree.files == ["configs/c.py", "configs/_base_/m.py"]
    assert tree.location(("model", "depth")) == Location("configs/_base_/m.py", 1, 14)
    assert tree.location(("x",)) == Location("configs/c.py", 2, 1)
    assert dict(tree.source_map.items())[("model",)] == Location("configs/_base_/m.py", 1, 1)
    [problem] = tree.diagnostics
    assert (problem.file, problem.config) == ("configs/_base_/m.py", "configs/c.py")
    assert set(tree.suppressions) == {"configs/c.py", "configs/_base_/m.py"}
    assert tree.base is not None and tree.base.files == ["configs/_base_/m.py"]
    # An absolute path keeps every file absolute.
    absolute = load_tree(tmp_path / "configs" / "c.py")
    assert absolute.files[1] == str(tmp_path / "configs" / "_base_" / "m.py")


def test_a_path_text_finds_what_its_tuple_finds(write: WriteFile) -> None:
    """A diagnostic's ``path`` text looks up its value and place: iterated as a string,
    ``"model.backbone.depth"`` was the keys 'm', 'o'... and found the file's first line
    and no value, silently."""
    write("base.py", BASE)
    tree = load_config(write("child.py", CHILD))
    for text, key in [("model.backbone.depth", ("model", "backbone", "depth")),
                      ("schedule[2].step", ("schedule", 2, "step"))]:
        assert tree.location(text) == tree.location(key) != tree.location(())
        assert tree.get(text) == tree.get(key) is not None
    assert tree.get("model.nope", "absent") == "absent"
