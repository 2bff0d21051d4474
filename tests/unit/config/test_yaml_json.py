"""YAML and JSON loading: values, the location of every key and item, and problems."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import initcfg
from fixture_types import MMEngineLoad, WriteFile
from initcfg.diagnostics import Location


def test_every_key_and_list_item_has_its_location(write: WriteFile) -> None:
    path = write(
        "c.yaml",
        "model:\n  heads:\n    - type: A\n    - init_cfg: {type: Normal, std: 0.01}\n",
    )
    tree = initcfg.load_config(path)
    assert tree.to_dict() == {
        "model": {"heads": [{"type": "A"}, {"init_cfg": {"type": "Normal", "std": 0.01}}]}
    }
    file = str(path)
    assert tree.location(("model", "heads")) == Location(file, 2, 3)
    assert tree.location(("model", "heads", 1)) == Location(file, 4, 7)
    assert tree.location(("model", "heads", 1, "init_cfg", "std")) == Location(file, 4, 32)
    # A path below a located value falls back to its nearest located ancestor.
    assert tree.location(("model", "heads", 0, "nope")) == Location(file, 3, 7)


def test_duplicate_yaml_key_is_an_error_at_the_second_key(write: WriteFile) -> None:
    path = write("d.yaml", "a:\n  std: 1\n  std: 2\n")
    [problem] = initcfg.validate(path)
    found = (problem.code, problem.severity, problem.line, problem.column)
    assert found == ("IC003", "error", 3, 3)
    assert "first written at line 2" in problem.message


def test_json_with_locations_and_duplicates(write: WriteFile) -> None:
    entry = '{"type": "kaiming", "type": "Kaiming", "layer": "Conv2d"}'
    text = '{\n  "model": {"init_cfg": ' + entry + '}\n}'
    path = write("c.json", text)
    problems = initcfg.validate(path)
    assert [(p.code, p.line) for p in problems] == [("IC003", 2)]


def test_invalid_json_reports_position(write: WriteFile) -> None:
    [problem] = initcfg.validate(write("bad.json", '{"a": 1,}'))
    assert (problem.code, problem.line, problem.column) == ("IC002", 1, 9)


def test_root_must_be_a_mapping(write: WriteFile) -> None:
    [problem] = initcfg.validate(write("list.yaml", "- 1\n- 2\n"))
    assert problem.code == "IC005"


def test_unreadable_file(tmp_path: Path) -> None:
    [problem] = initcfg.validate(tmp_path / "missing.yaml")
    assert problem.code == "IC001" and "cannot read" in problem.message


@pytest.mark.parametrize(
    ("name", "text"),
    [("a.yaml", ""), ("b.yaml", "# nothing\n"), ("c.yml", "---\n"), ("d.yaml", "null\n"),
     ("e.yaml", "~\n"), ("f.yaml", "  \n\n"), ("g.json", "null")],
)
def test_a_file_holding_no_value_is_no_config(
    write: WriteFile, mmengine: MMEngineLoad, name: str, text: str
) -> None:
    """MMEngine reads `_base_` from what the file loads to and crashes on None; initcfg
    took such a file for an empty config, as a base too."""
    path = write(name, text)
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'get'"):
        mmengine(path)
    [problem] = initcfg.validate(path)
    assert (problem.code, problem.severity) == ("IC005", "error")
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 1)
    assert "document is empty or null" in problem.message
    child = write("child.py", f"_base_ = './{name}'\nx = 1\n")
    with pytest.raises(AttributeError):
        mmengine(child)
    with pytest.raises(ValueError) as refused:
        initcfg.load_config(child)
    assert [(d.code, d.file) for d in refused.value.diagnostics] == [("IC005", str(path))]


def test_an_empty_mapping_is_an_empty_config(write: WriteFile, mmengine: MMEngineLoad) -> None:
    for name, text in (("a.yaml", "{}\n"), ("b.json", "{}"), ("c.py", ""), ("d.py", "# x\n")):
        path = write(name, text)
        assert mmengine(path) == {}
        assert initcfg.validate(path) == []
        assert initcfg.load_config(path).to_dict() == {}


def test_json_numbers_are_read_as_json_reads_them(write: WriteFile) -> None:
    # YAML 1.1 reads `1e-3` and `NaN` as strings; json (and so MMEngine) as floats.
    text = (
        '{"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 1e-3, "momentum": 9E-1}},\n'
        ' "w": 1.5e3, "x": "a\\/b", "y": -Infinity, "z": [NaN, 2E2]}'
    )
    path = write("n.json", text)
    tree = initcfg.load_config(path)
    data = tree.to_dict()
    assert data["optim_wrapper"]["optimizer"] == {"type": "SGD", "lr": 0.001, "momentum": 0.9}
    assert (data["w"], data["x"], data["y"]) == (1500.0, "a/b", float("-inf"))
    assert math.isnan(data["z"][0]) and data["z"][1] == 200.0
    # the values keep the positions the YAML reader found for them
    assert tree.location(("optim_wrapper", "optimizer", "lr")) == Location(str(path), 1, 49)
    assert tree.location(("z", 1)) == Location(str(path), 2, 54)
    assert initcfg.validate(path) == []
    # a surrogate pair is one character to json: the value is json's
    pair = write("p.json", '{"x": "\\ud83d\\ude00", "lr": 1e-3}')
    assert initcfg.load_config(pair).to_dict() == {"x": "\U0001f600", "lr": 0.001}


def test_a_nan_initializer_argument_is_an_error(write: WriteFile) -> None:
    path = write(
        "nan.json",
        '{"model": {"init_cfg": {"type": "Normal", "layer": "Linear", "mean": NaN}}}',
    )
    [problem] = initcfg.validate(path)
    assert (problem.code, problem.path, problem.column) == ("IC105", "model.init_cfg.mean", 62)
    assert "NaN" in problem.message


def test_top_level_keys_that_are_not_strings_are_reported(write: WriteFile) -> None:
    path = write("k.yaml", "model:\n  type: X\n1: a\nnull: c\nlr: 0.1\n")
    problems = initcfg.validate(path)
    assert [(p.code, p.line, p.column) for p in problems] == [("IC005", 3, 1), ("IC005", 4, 1)]
    assert "1 (int)" in problems[0].message and "None (NoneType)" in problems[1].message
    child = write("child.py", "_base_ = './k.yaml'\nx = 1\n")
    assert [p.code for p in initcfg.validate(child)] == ["IC005", "IC005"]


def test_a_merge_key_overridden_by_the_mapping_is_no_duplicate(write: WriteFile) -> None:
    text = (
        "_conv: &conv {type: Kaiming, layer: Conv2d, mode: fan_out}\n"
        "_more: &more {nonlinearity: relu, layer: Conv1d}\n"
        "model:\n"
        "  type: X\n"
        "  init_cfg:\n"
        "    <<: [*conv, *more]\n"
        "    mode: fan_in\n"
        "    layer: Linear\n"
    )
    path = write("m.yaml", text)
    tree = initcfg.load_config(path)
    assert tree.to_dict()["model"]["init_cfg"] == {
        "type": "Kaiming", "layer": "Linear", "mode": "fan_in", "nonlinearity": "relu"
    }
    assert tree.location(("model", "init_cfg", "layer")) == Location(str(path), 8, 5)
    assert [p.code for p in initcfg.validate(path)] == []
    # a key the mapping itself writes twice still is one
    twice = write("m2.yaml", text + "    mode: fan_out\n")
    [problem] = initcfg.validate(twice)
    assert (problem.code, problem.line) == ("IC003", 9)
    assert "first written at line 7" in problem.message


def test_a_merging_mapping_built_again_through_an_alias_is_no_duplicate(
    write: WriteFile,
) -> None:
    import yaml

    text = (
        "defaults: &defaults {type: SGD, lr: 0.1, momentum: 0.9}\n"
        "sgd: &sgd\n"
        "  <<: *defaults\n"
        "  lr: 0.01\n"
        "optim_wrapper:\n"
        "  optimizer: *sgd\n"
        "nested: &x\n"
        "  <<: &y {a: 1, b: 2}\n"
        "  b: 3\n"
        "again: *x\n"
        "more:\n"
        "  <<: [*x, *sgd]\n"
        "  a: 5\n"
    )
    path = write("alias.yaml", text)
    assert initcfg.load_config(path).to_dict() == yaml.safe_load(text)  # PyYAML's values
    assert initcfg.validate(path) == []
    twice = write("alias2.yaml", text + "  a: 6\n")
    [problem] = initcfg.validate(twice)
    assert (problem.code, problem.line, problem.path) == ("IC003", 14, "more.a")


@pytest.mark.parametrize(
    "text",
    [
        # a surrogate pair in a key: json reads one character, the composer read two
        '{"model": {"init_cfg": {"type": "Kaiming", "layer": "Conv2D"}},\n "\\ud83d\\ude00": 1}\n',
        # in a value, before other keys on the line
        '{"x": "\\ud83d\\ude00", "model": {"init_cfg": {"type": "Kaiming", "layer": "Conv2D"}}}\n',
        # two pairs in one key, an escaped backslash that is no escape, keys after both
        '{"a": "\\\\ud83d", "\\uD83D\\uDE00\\ud83d\\ude01": {"init_cfg": '
        '{"type": "Kaiming", "layer": "Conv2D"}}, "z": 1}\n',
        # lone surrogates in values (valid JSON; the composer refuses them)
        '{"model": {"init_cfg": {"type": "Kaiming", "note": "\\udc00x\\ud83d", '
        '"layer": "Conv2D"}}}\n',
    ],
)
def test_json_surrogate_escapes_keep_every_position(
    write: WriteFile, mmengine: MMEngineLoad, text: str
) -> None:
    """Every diagnostic of such a file was placed at 1:1, the file's first line."""
    path = write("c.json", text)
    tree = initcfg.load_config(path)
    assert tree.to_dict() == mmengine(path)

    def written_at(literal: str, after: int = 0) -> tuple[int, int]:
        offset = text.index(literal, after)
        line = text.count("\n", 0, offset) + 1
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1

    pending: list[tuple[tuple[str, ...], Any]] = [((), tree.to_dict())]
    checked = 0
    while pending:
        path_so_far, node = pending.pop()
        for key, value in node.items():
            where = tree.location((*path_so_far, key))
            assert where is not None
            literal = json.dumps(key)  # the key as written, where it is plain ASCII
            if literal.isascii() and "\\\\" not in literal and "\\u" not in literal:
                assert (where.line, where.column) == written_at(literal), key
                checked += 1
            else:
                assert (where.line, where.column) != (1, 1), key
            if isinstance(value, dict):
                pending.append(((*path_so_far, key), value))
    assert checked >= 4
    [problem] = [d for d in initcfg.validate(path) if d.code == "IC115"]
    assert (problem.line, problem.column) == written_at('"layer"')
