"""A load that fails part way never hands back values that look complete.

Every way a load can fail, through every public entry point that loads a file:
``initcfg.load_config`` raises :class:`ConfigLoadError` with the diagnostics,
``initcfg.validate`` reports the same diagnostics, and the planners put them first in
the plan's diagnostics (a plan with errors applies nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import initcfg
from initcfg.config.load import load_tree
from initcfg.errors import ConfigLoadError

# Each case: files to write (the config is "c.py" unless named), the code expected.
# Every config sets a value before the failing line, so a partial result would hold it.
FAILURES: dict[str, tuple[dict[str, str], str]] = {
    "unsupported_construct": (
        {"c.py": "model = dict(depth=50)\nimport os\nwork_dir = os.getcwd()\n"}, "IC201"
    ),
    "missing_key_in_method_call": (
        {"base.py": "model = dict(depth=50)\n",
         "c.py": "_base_ = './base.py'\nmodel = dict(depth=101)\nx = _base_.model.nope\n"},
        "IC207",
    ),
    "new_style_failing_line": (
        {"base.py": "model = dict(head=dict(num_classes=1000))\n",
         "c.py": "from mmengine.config import read_base\nwith read_base():\n"
                 "    from .base import *\n"
                 "model.merge(dict(head=dict(num_classes=10)))\nlr = undefined\n"},
        "IC207",
    ),
    "missing_base": ({"c.py": "_base_ = './nope.py'\nx = 1\n"}, "IC202"),
    "missing_new_style_base": (
        {"c.py": "from mmengine.config import read_base\nwith read_base():\n"
                 "    from .nope import *\nx = 1\n"},
        "IC202",
    ),
    "syntax_error_in_base": (
        {"base.py": "model = dict(\n", "c.py": "_base_ = './base.py'\nx = 1\n"}, "IC002"
    ),
    "unsupported_in_base": (
        {"base.py": "y = 1\nz = open('f')\n", "c.py": "_base_ = './base.py'\nx = 1\n"},
        "IC201",
    ),
    "merge_mmengine_refuses": (
        {"base.py": "model = [1]\n", "c.py": "_base_ = './base.py'\nmodel = dict(a=1)\n"},
        "IC210",
    ),
    "unknown_suffix": ({"c.txt": "x = 1\n"}, "IC001"),
    "yaml_syntax": ({"c.yaml": "a: 1\nb: [\n"}, "IC002"),
}


def _config(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / next(name for name in files if name.startswith("c."))


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_load_config_raises_with_the_diagnostics(tmp_path: Path, case: str) -> None:
    files, code = FAILURES[case]
    path = _config(tmp_path, files)
    with pytest.raises(ConfigLoadError) as caught:
        initcfg.load_config(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert code in [item.code for item in error.diagnostics]
    assert error.path == str(path) and code in str(error)
    # Each names the config that was asked for, as validate's do (a base's problem too).
    assert {item.config for item in error.diagnostics} == {str(path)}
    # validate reports the same problems, without raising.
    assert code in [item.code for item in initcfg.validate(path)]
    # The checks' loader keeps the diagnostics on the tree.
    assert [item.code for item in load_tree(path).diagnostics] == [
        item.code for item in error.diagnostics
    ]


def test_an_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigLoadError) as caught:
        initcfg.load_config(tmp_path / "absent.py")
    assert [item.code for item in caught.value.diagnostics] == ["IC001"]


def test_a_missing_file_has_no_line_to_point_at(tmp_path: Path) -> None:
    """As ``initcfg validate --format json`` reports a missing path (line null), so do
    the library calls: there is no line 1 in a file that is not there."""
    absent = str(tmp_path / "absent.py")
    with pytest.raises(ConfigLoadError) as caught:
        initcfg.load_config(absent)
    assert str(caught.value).endswith(f"No such file or directory ({absent})")
    for found in (caught.value.diagnostics, initcfg.validate(absent)):
        assert [(d.code, d.file, d.line, d.column) for d in found] == [
            ("IC001", absent, None, None)
        ]
    (tmp_path / "folder.py").mkdir()  # there, but no file: placed at the path itself
    [folder] = initcfg.validate(tmp_path / "folder.py")
    assert (folder.code, folder.line, folder.column) == ("IC001", 1, 1)


def test_a_folder_is_said_to_be_one(tmp_path: Path) -> None:
    [found] = initcfg.validate(tmp_path)
    assert found.code == "IC001"
    assert found.message.endswith("it is a folder; the library checks one config file "
                                  "(the `initcfg validate` command walks folders)")


def test_warnings_alone_do_not_raise(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        {"c.py": "custom_imports = dict(imports=['x'])\nhead = dict(_delete_=True, a=1)\n"},
    )
    tree = initcfg.load_config(path)
    assert tree.to_dict()["head"] == {"_delete_": True, "a": 1}
    assert {item.severity for item in tree.diagnostics} <= {"warning", "info"}


def test_planners_report_the_load_errors_and_apply_nothing(tmp_path: Path) -> None:
    """The planners' contract is diagnostics, not exceptions: the load's errors lead
    the plan's, so a plan of a partial config is never one that looks clean, and
    applying it refuses."""
    pytest.importorskip("torch")
    from torch import nn

    from initcfg.errors import InitError

    files, _ = FAILURES["new_style_failing_line"]
    path = _config(tmp_path, files)
    model = nn.Linear(2, 2)
    before = model.weight.detach().clone()
    init_plan = initcfg.compile_init_plan(path, model)
    assert init_plan.diagnostics[0].code == "IC207"
    assert init_plan.diagnostics[0].config == str(path)
    with pytest.raises(InitError):
        init_plan.apply(model)
    assert (model.weight == before).all()
    train_plan = initcfg.compile_train_plan(path, model)
    assert train_plan.diagnostics[0].code == "IC207"
    assert train_plan.diagnostics[0].config == str(path)


@pytest.mark.parametrize("case", ["missing_base", "yaml_syntax", "unsupported_construct"])
def test_a_plan_of_a_failed_load_says_only_what_the_load_found(tmp_path: Path, case: str) -> None:
    """Nothing is planned from the part that was read: "the config has no optim_wrapper"
    (IC458) or "2 of 2 parameters keep torch's default" (IC405) would be said of values
    the load never reached."""
    pytest.importorskip("torch")
    from torch import nn

    files, code = FAILURES[case]
    path = _config(tmp_path, files)
    loaded = [item.code for item in load_tree(path).diagnostics]
    assert code in loaded
    assert [d.code for d in initcfg.compile_init_plan(path, nn.Linear(2, 2)).diagnostics] == loaded
    for model in (nn.Linear(2, 2), None):
        plan = initcfg.compile_train_plan(path, model)
        assert [d.code for d in plan.diagnostics] == loaded
