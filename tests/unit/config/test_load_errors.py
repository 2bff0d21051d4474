"""Problems while loading: each a diagnostic at file:line:col in the right file, no traceback."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import initcfg
from fixture_types import MMEngineLoad, WriteFile
from initcfg.config.evaluator import is_new_style
from initcfg.config.load import load_tree


def _only(tree, code: str):  # type: ignore[no-untyped-def]
    found = [d for d in tree.diagnostics if d.code == code]
    assert len(found) == 1, tree.diagnostics
    return found[0]


def test_missing_base(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("real_base.py", "x = 1\n")
    path = write("c.py", "_base_ = [\n    './real_base.py',\n    './reel_base.py',\n]\n")
    with pytest.raises(FileNotFoundError):
        mmengine(path)
    problem = _only(load_tree(path), "IC202")
    assert (problem.file, problem.line, problem.column) == (str(path), 3, 5)
    assert "reel_base.py" in problem.message and problem.hint == "did you mean 'real_base.py'?"


def test_a_base_that_is_no_config_file_is_named_as_such(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """MMEngine refuses a base of another suffix ('Only py/yml/yaml/json type are supported
    now!'); it was read as YAML and reported as a root that is not a mapping."""
    write("base.txt", "x = 1\n")
    path = write("c.py", "_base_ = './base.txt'\n")
    with pytest.raises(OSError, match="Only py/yml/yaml/json"):
        mmengine(path)
    tree = load_tree(path)
    problem = _only(tree, "IC211")
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 10)
    assert "'./base.txt' is not a .py, .yaml, .yml or .json file" in problem.message
    assert not any(d.code == "IC005" for d in tree.diagnostics)


def test_a_base_that_is_a_broken_link_says_so(write: WriteFile, tmp_path: Path) -> None:
    (tmp_path / "base.py").symlink_to(tmp_path / "gone.py")
    path = write("c.py", "_base_ = './base.py'\n")
    problem = _only(load_tree(path), "IC202")
    assert "a symbolic link to" in problem.message and "gone.py" in problem.message
    assert problem.hint != "did you mean 'base.py'?"  # never the name it was given


def test_cycle_of_bases(write: WriteFile) -> None:
    write("a.py", "_base_ = './b.py'\na = 1\n")
    b = write("b.py", "x = 0\n_base_ = ['./c.py']\n")
    write("c.py", "_base_ = './a.py'\n")
    tree = load_tree(b.parent / "a.py")
    problem = _only(tree, "IC203")
    assert (problem.file, problem.line, problem.column) == (str(b.parent / "c.py"), 1, 10)
    assert "a.py → b.py → c.py → a.py" in problem.message
    assert problem.config == str(b.parent / "a.py")


def test_duplicate_key_across_bases(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("m1.py", "model = dict(a=1)\nlr = 1\n")
    write("m2.py", "model = dict(b=2)\n")
    path = write("c.py", "_base_ = ['./m1.py',\n          './m2.py']\n")
    with pytest.raises(KeyError, match="Duplicate key"):
        mmengine(path)
    problem = _only(load_tree(path), "IC204")
    assert (problem.file, problem.line, problem.column, problem.path) == (str(path), 2, 11, "model")
    assert "./m1.py" in problem.message and "./m2.py" in problem.message


def test_bad_placeholder(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("base.py", "optimizer = dict(lr=0.1)\n")
    path = write("c.py", "_base_ = './base.py'\nlr = dict(value={{_base_.optimizer.lrr}})\n")
    with pytest.raises(KeyError):
        mmengine(path)
    problem = _only(load_tree(path), "IC205")
    assert (problem.file, problem.line, problem.column) == (str(path), 2, 17)
    assert "_base_.optimizer has no key 'lrr'" in problem.message
    assert problem.hint == "did you mean 'lr'?"


def test_placeholder_without_bases(write: WriteFile) -> None:
    path = write("c.py", "x = {{_base_.a}}\n")
    problem = _only(load_tree(path), "IC205")
    assert "no bases" in problem.message and (problem.line, problem.column) == (1, 5)


def test_environment_variable_without_default(
    write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INITCFG_NOT_SET", raising=False)
    path = write("c.py", "x = 1\nroot = '{{$INITCFG_NOT_SET:}}'\n")
    problem = _only(load_tree(path), "IC205")
    assert (problem.line, problem.column) == (2, 9) and "INITCFG_NOT_SET" in problem.message


def test_syntax_error_in_a_base(write: WriteFile, mmengine: MMEngineLoad) -> None:
    base = write("base.py", "model = dict(\n    depth=50,\n    style='x'\n    frozen=1)\n")
    path = write("c.py", "_base_ = './base.py'\n")
    with pytest.raises(SyntaxError):
        mmengine(path)
    tree = load_tree(path)
    problem = _only(tree, "IC002")
    assert (problem.file, problem.line) == (str(base), 3)
    assert problem.column is not None and problem.config == str(path)
    assert str(base) in tree.files


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("model = dict(type='X', backbone=dict(depth=50,\n    depth=101))\n", 2, 5),
        ("x = sorted([3, 1], key=None, key=None)\n", 1, 30),
        # Python refuses the file before any of it runs: no ZeroDivisionError first
        ("x = dict(a=1 / 0, a=2)\n", 1, 19),
        ("x = list((1,), a=1 / 0, a=2)\n", 1, 25),
    ],
)
def test_a_keyword_written_twice_in_a_call_fails_as_python_compiling_it(
    write: WriteFile, mmengine: MMEngineLoad, text: str, line: int, column: int
) -> None:
    # ast.parse, which the evaluator reads, accepts f(a=1, a=2); Python's compiler,
    # and so MMEngine, refuses the file. The last value used to win silently.
    path = write("c.py", text)
    with pytest.raises(SyntaxError, match="keyword argument repeated"):
        mmengine(path)
    problem = _only(load_tree(path), "IC207")
    assert "SyntaxError: keyword argument repeated" in problem.message
    assert (problem.line, problem.column) == (line, column)


def test_a_keyword_repeated_through_a_spread_fails_at_run_time(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    path = write("c.py", "x = dict(a=1, **dict(a=2))\n")
    with pytest.raises(TypeError, match="multiple values"):
        mmengine(path)
    assert "TypeError: got multiple values" in _only(load_tree(path), "IC207").message


def test_syntax_error_in_a_yaml_base(write: WriteFile) -> None:
    base = write("base.yaml", "model:\n  depth: [1, 2\n")
    path = write("c.py", "_base_ = './base.yaml'\n")
    problem = _only(load_tree(path), "IC002")
    assert problem.file == str(base) and problem.line is not None


def test_merge_of_dict_into_list(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("base.py", "optimizer = [dict(type='SGD')]\n")
    path = write("c.py", "_base_ = './base.py'\noptimizer = dict(lr=0.1)\n")
    with pytest.raises(TypeError):
        mmengine(path)
    problem = _only(load_tree(path), "IC210")
    assert (problem.line, problem.column, problem.path) == (2, 1, "optimizer")


def test_delete_with_nothing_to_delete_warns(write: WriteFile) -> None:
    write("base.py", "x = 1\n")
    path = write("c.py", "_base_ = './base.py'\noptim = dict(\n    _delete_=True, lr=1)\n")
    problem = _only(load_tree(path), "IC212")
    assert (problem.severity, problem.line, problem.column) == ("warning", 3, 5)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("_base_ = dict(a='x.py')\n", 1, 10),
        ("_base_ = ['./x.py', 3]\n", 1, 21),
    ],
)
def test_malformed_base_list(write: WriteFile, text: str, line: int, column: int) -> None:
    path = write("c.py", text)
    problem = _only(load_tree(path), "IC211")
    assert (problem.line, problem.column) == (line, column)


def test_unreadable_and_unknown_suffix(tmp_path: Path) -> None:
    missing = load_tree(tmp_path / "nope.py")
    assert [d.code for d in missing.diagnostics] == ["IC001"]
    odd = load_tree(tmp_path / "config.toml")
    assert [d.code for d in odd.diagnostics] == ["IC001"]


def test_validate_runs_on_python_configs_with_base_locations(write: WriteFile) -> None:
    base = write(
        "base.py",
        "model = dict(\n    backbone=dict(\n"
        "        init_cfg=dict(type='Kaiming', layer='Conv2D')))\n",
    )
    path = write("c.py", "_base_ = './base.py'\n")
    problems = initcfg.validate(path)
    assert problems, "the lead's validate walks .py configs through load_tree"
    located = [p for p in problems if p.file == str(base)]
    assert located and all(p.line and p.column for p in located)


def test_reserved_top_level_key(write: WriteFile, mmengine: MMEngineLoad) -> None:
    path = write("c.py", "x = 1\nfilename = 'a.json'\n")
    with pytest.raises(KeyError, match="reserved"):
        mmengine(path)
    problem = _only(load_tree(path), "IC213")
    assert (problem.line, problem.column, problem.path) == (2, 1, "filename")


def test_classic_and_new_style_do_not_mix(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("new.py", "from mmengine.config import read_base\nwith read_base():\n"
          "    from .plain import *\n")
    write("plain.py", "x = 1\n")
    classic = write("classic.py", "_base_ = './new.py'\n")
    with pytest.raises(RuntimeError):
        mmengine(classic)
    problem = _only(load_tree(classic), "IC211")
    assert (problem.line, problem.column) == (1, 10)
    write("inherits.py", "_base_ = './plain.py'\ny = 2\n")
    new = write("new2.py", "from mmengine.config import read_base\nwith read_base():\n"
                "    from .inherits import *\n")
    with pytest.raises(Exception):  # noqa: B017 - MMEngine's ConfigParsingError
        mmengine(new)
    problem = _only(load_tree(new), "IC211")
    assert (problem.line, problem.column) == (3, 5)


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n",
        "_base_ = './a.py'\nimport numpy\n",
        "import numpy\n_base_ = './a.py'\n",
        "x = 1; import numpy\n",  # a statement after `;`
        "from mmengine import Config\nx = 1\n",
        "from mmengine.config import read_base\n",
        "from . import x\n",
        "if True:\n    import numpy\n_base_ = './a.py'\n",  # `_base_` is met first
        "if True:\n    _base_ = './a.py'\nimport numpy\n",
        "if True:\n    if True:\n        _base_ = './a.py'\nelse:\n    import numpy\n",
        "try:\n    x = 1\nexcept ImportError:\n    from mmdet.models import A\n",
        "for i in range(2):\n    pass\nelse:\n    import torch\n",
        "def f():\n    import numpy\n",
        "class A:\n    _base_ = 1\n",
        "match 1:\n    case 1:\n        import numpy\n",
        "x = [i for i in range(3)]\nwhile False:\n    from .a import *\n",
    ],
)
def test_new_style_detection_walks_as_mmengine_does(write: WriteFile, text: str) -> None:
    """The classic / new-style decision equals MMEngine's walk of every node."""
    from mmengine.config import Config

    path = write("c.py", text)
    assert is_new_style(ast.parse(text)) == Config._is_lazy_import(str(path))


@pytest.mark.parametrize(
    "text",
    [
        "import json\nfrom math import pi\n",
        "import collections.abc\n",
        "from copy import deepcopy\nx = 1\n",
        "import os\n",  # frozen on 3.11: MMEngine calls it third-party (docs/config-loading.md)
        "import json, math\n_base_ = './a.py'\n",
    ],
)
def test_new_style_detection_takes_stdlib_imports_for_classic(write: WriteFile, text: str) -> None:
    """Importing the standard library keeps a config classic, wherever Python lives.

    MMEngine calls a module standard library only when its file lies under
    ``dirname(dirname(sys.executable))`` or ``/usr``, so inside a virtual environment
    its answer for ``import json`` depends on how the environment was made. initcfg's
    rule is a fixed list of standard modules; MMEngine is compared only where this
    environment gives it the same view of every module the text imports.
    """
    from mmengine.config import Config
    from mmengine.config.utils import _is_builtin_module

    module = ast.parse(text)
    assert is_new_style(module) is False
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(module) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    if all(_is_builtin_module(str(name)) for name in imported):
        assert Config._is_lazy_import(str(write("c.py", text))) is False


@pytest.mark.parametrize(
    "statement",
    [
        "from .sub.nonexistent import *",
        "from .missing import model",
        "from ....too.far.up import *",
        "from ..missing.x import a, b",
    ],
)
def test_a_missing_new_style_base_is_reported_once(write: WriteFile, statement: str) -> None:
    path = write("deep/er/c.py", f"from mmengine.config import read_base\nwith read_base():\n"
                 f"    {statement}\n")
    tree = load_tree(path)
    assert [d.code for d in tree.diagnostics] == ["IC202"], tree.diagnostics
    assert (tree.diagnostics[0].line, tree.diagnostics[0].column) == (3, 5)


def test_a_missing_new_style_base_two_levels_down_is_reported_once(write: WriteFile) -> None:
    head = "from mmengine.config import read_base\nwith read_base():\n"
    write("a.py", head + "    from .nope import *\nmodel = dict(a=1)\n")
    child = write("b.py", head + "    from .a import *\nx = model.a\n")
    tree = load_tree(child)
    assert [d.code for d in tree.diagnostics] == ["IC202"], tree.diagnostics
    assert tree.diagnostics[0].file is not None and tree.diagnostics[0].file.endswith("a.py")


def test_delete_kept_in_a_list_item_or_a_new_nested_dict_warns(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    write("base.py", "model = dict(type='X', neck=[dict(a=1), dict(b=2)])\n")
    path = write(
        "c.py",
        "_base_ = './base.py'\n"
        "model = dict(neck=[dict(_delete_=True, x=1)])\n"
        "neck2 = [dict(_delete_=True, x=1)]\n"
        "new = dict(inner=dict(_delete_=True, y=2))\n"
        "fine = dict(inner=dict(_delete_=False, y=2))\n",
    )
    tree = load_tree(path)
    found = [(d.path, d.line, d.column) for d in tree.diagnostics if d.code == "IC212"]
    assert found == [
        ("model.neck[0]._delete_", 2, 25),
        ("neck2[0]._delete_", 3, 15),
        ("new.inner._delete_", 4, 23),
    ]
    # MMEngine keeps every one of them in the value, as initcfg does
    assert tree.to_dict()["model"]["neck"] == mmengine(path)["model"]["neck"]
    assert tree.to_dict()["neck2"] == [{"_delete_": True, "x": 1}]


def test_a_base_name_used_bare_says_how_to_read_it(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """MMEngine runs a classic config alone, so its bases' names are not its own; the
    IC207 says how to reach the value instead of only that the name is undefined."""
    write("base.py", "data_root = 'data/coco/'\n")
    path = write("c.py", "_base_ = './base.py'\nann = data_root + 'ann.json'\nx = nope\n")
    with pytest.raises(NameError):
        mmengine(path)
    problem = _only(load_tree(path), "IC207")
    assert (problem.line, problem.column) == (2, 7)
    assert problem.message.endswith(
        "NameError: name 'data_root' is not defined; the bases define it: read it as "
        "_base_.data_root (or {{_base_.data_root}})"
    )
    other = write("d.py", "_base_ = './base.py'\nx = nope\n")
    assert _only(load_tree(other), "IC207").message.endswith("name 'nope' is not defined")


@pytest.mark.parametrize(
    ("text", "line", "column", "block"),
    [
        ("if False:\n    _base_ = ['./base.py']\nx = 1\n", 2, 5, "`if`"),
        ("for i in range(1):\n    _base_ = ['./base.py']\n", 2, 5, "`for`"),
        ("_base_ = ['./base.py']\nif True:\n    _base_ = ['./base.py']\n", 3, 5, "`if`"),
        ("x = 1\nif x:\n    pass\nelif x:\n    _base_ = './base.py'\n", 5, 5, "`if`"),
        ("def f():\n    _base_ = 1\nx = 1\n", 2, 5, "`def`"),
    ],
)
def test_a_block_holding_only_base_is_refused_as_mmengine_refuses_it(
    write: WriteFile, mmengine: MMEngineLoad, text: str, line: int, column: int, block: str
) -> None:
    """MMEngine removes every `_base_ = ...` before running the file; a block left empty
    does not compile. initcfg took the file for valid."""
    write("base.py", "model = dict(type='M')\n")
    path = write("c.py", text)
    with pytest.raises(ValueError, match="empty body"):
        mmengine(path)
    problem = _only(load_tree(path), "IC211")
    assert (problem.file, problem.line, problem.column) == (str(path), line, column)
    assert f"leaves this {block} block empty" in problem.message
    with pytest.raises(ValueError):
        initcfg.load_config(path)


@pytest.mark.parametrize(
    ("text", "line", "column", "where"),
    [
        ("if True:\n    _base_ = ['./base.py']\n    y = 2\nx = 1\n", 2, 5, "nested"),
        ("x = 1\nfor i in range(2):\n    y = i\n    _base_ = './base.py'\n", 4, 5, "nested"),
        ("_base_ = []\nz = 'é'\nif z:\n    w = 'ü'; _base_ = './base.py'\n", 4, 14, "nested"),
        ("_base_ = []\nx = 1\n_base_ = ['./base.py']\n", 3, 1, "second top-level"),
    ],
)
def test_a_base_that_names_no_base_is_told(
    write: WriteFile, mmengine: MMEngineLoad, text: str, line: int, column: int, where: str
) -> None:
    """MMEngine loads these files but inherits nothing from the dropped `_base_`; both
    loaders agree on the values, and initcfg says why `model` is missing."""
    write("base.py", "model = dict(type='M')\n")
    path = write("c.py", text)
    expected = mmengine(path)
    assert "model" not in expected
    tree = load_tree(path)
    assert tree.to_dict() == expected
    problem = _only(tree, "IC217")
    assert problem.severity == "warning"
    assert (problem.file, problem.line, problem.column) == (str(path), line, column)
    assert f"this is a {where} `_base_ = ...`" in problem.message


def test_the_first_top_level_base_is_not_told(write: WriteFile) -> None:
    write("base.py", "model = dict(type='M')\n")
    path = write("c.py", "x = 1\n_base_ = ['./base.py']\nif x:\n    y = 2\n")
    tree = load_tree(path)
    assert tree.to_dict()["model"] == {"type": "M"}
    assert not [d for d in tree.diagnostics if d.code in {"IC211", "IC217"}]


@pytest.mark.parametrize(
    ("text", "code", "at"),
    [
        ("_base_ = ['./é.py', './missing.py']\n", "IC202", "'./missing.py'"),
        ("x = 'é'; _base_ = ['./é.py', 3]\n", "IC211", "3]"),
        ("x = 'ü'; _base_ = [open('x')]\n", "IC201", "open("),
    ],
)
def test_base_entries_are_placed_in_characters_on_a_non_ascii_line(
    write: WriteFile, text: str, code: str, at: str
) -> None:
    """The entries were placed in bytes: one column too far per accented letter."""
    write("é.py", "x = 1\n")
    path = write("c.py", text)
    problem = _only(load_tree(path), code)
    assert (problem.line, problem.column) == (1, text.index(at) + 1)


@pytest.mark.parametrize(
    ("written", "fails"),
    [
        ("dict(expected='new.py')", False),
        ("'see the docs'", False),
        ("['a', 'b']", False),
        ("1", True),
        ("None", True),
        ("'expected soon'", True),
        ("['reference']", True),
    ],
)
def test_a_deprecation_value_mmengine_cannot_read_is_an_error(
    write: WriteFile, mmengine: MMEngineLoad, written: str, fails: bool
) -> None:
    """MMEngine pops `_deprecation_` and reads it with ``'expected' in value`` and
    ``value['expected']``: an int or None has no ``in``, and a string or list holding the
    key no subscript by it, so MMEngine raises; initcfg dropped the key silently."""
    write("base.yaml", "lr: 0.1\n")
    path = write("c.py", f"_base_ = './base.yaml'\nx = 1\n_deprecation_ = {written}\n")
    tree = load_tree(path)
    if not fails:
        assert tree.to_dict() == mmengine(path) == {"lr": 0.1, "x": 1}
        assert tree.diagnostics == []
        return
    with pytest.raises(TypeError):
        mmengine(path)
    problem = _only(tree, "IC207")
    assert (problem.file, problem.line, problem.column, problem.severity) == (
        str(path), 3, 1, "error"
    )
    assert "_deprecation_" in problem.message
