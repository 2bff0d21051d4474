"""YAML and JSON loading: values, the location of every key and item, and problems."""

from __future__ import annotations

from pathlib import Path

import initcfg
from fixture_types import WriteFile
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


def test_empty_yaml_is_an_empty_config(write: WriteFile) -> None:
    assert initcfg.validate(write("empty.yaml", "")) == []
    assert initcfg.load_config(write("empty2.yaml", "# nothing\n")).to_dict() == {}
