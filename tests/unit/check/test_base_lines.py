"""Where a config names its bases: the loader reads the lines off the syntax tree it
parsed, and they are those the checks read from the file when the loader has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from initcfg import validate
from initcfg.check.base_lines import base_lines
from initcfg.config.load import load_tree


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("_base_ = [\n    './a.py',\n    './b.py',\n]\nx = 1\n", (1, 2, 3, 4)),
        ("x = 1\n_base_ = './a.py'\n", (2,)),
        ("y = '_base_ = 1'\n", ()),
        ("s = '''\n_base_ = 1\n'''\n", ()),
        ("from mmengine.config import read_base\nwith read_base():\n    from .a import *\n"
         "x = 1\n", (2, 3)),
    ],
)
def test_the_loaders_lines_are_the_files(tmp_path: Path, text: str, lines: tuple[int, ...]
                                         ) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    path = tmp_path / "c.py"
    path.write_text(text)
    tree = load_tree(path)
    assert tree.base_lines == lines
    assert base_lines(str(path)) == lines


def test_data_configs_leave_the_lines_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    path = tmp_path / "c.yaml"
    path.write_text("_base_:\n  - ./a.yaml\nb: 2\n")
    assert load_tree(path).base_lines is None
    assert base_lines(str(path)) == (1, 2)


def test_a_suppression_on_a_multi_line_base_statement_silences_the_base(
    tmp_path: Path
) -> None:
    (tmp_path / "base.py").write_text(
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)\n"
        "param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[8])\n"
    )
    child = tmp_path / "child.py"
    child.write_text("_base_ = [\n    './base.py',  # initcfg: ignore[IC306]\n]\n")
    assert [d.code for d in validate(tmp_path / "base.py", fs_checks=False)] == ["IC306"]
    assert validate(child, fs_checks=False) == []
