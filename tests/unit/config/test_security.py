"""Configs that try to run code: a diagnostic at the construct, and no side effect."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixture_types import MMEngineLoad, WriteFile
from initcfg.config.load import load_tree
from initcfg.config.placeholders import _ENVIRON, _environment_placeholders
from initcfg.diagnostics import Location

# Each payload would create the file PWNED if it ran (or import a module for its side
# effect); ``{target}`` is replaced by that file's path. (line, column) of the refused node.
PAYLOADS = {
    "os_system": ("import os\nos.system('touch {target}')\n", (2, 1), "os.system"),
    "dunder_import": ("x = __import__('os').system('touch {target}')\n", (1, 5), "__import__"),
    "open": ("x = open('{target}', 'w')\n", (1, 5), "open"),
    "eval": ("x = eval(\"open('{target}', 'w')\")\n", (1, 5), "eval"),
    "exec": ("exec(\"open('{target}', 'w')\")\n", (1, 1), "exec"),
    "getattr_class": (
        "x = getattr((), '__class__')\nopen('{target}', 'w')\n", (1, 5), "getattr",
    ),
    "subclasses": (
        "x = ().__class__.__bases__[0].__subclasses__()\nopen('{target}', 'w')\n",
        (1, 5), "dunder attribute",
    ),
    "format_attribute": (
        "x = '{{0.__class__}}'.format(1)\nopen('{target}', 'w')\n", (1, 5), "private attribute",
    ),
    "lambda": ("f = (lambda: open('{target}', 'w'))()\n", (1, 6), "lambda"),
    "function_call": (
        "def f():\n    open('{target}', 'w')\nf()\n", (3, 1), "a call to `f` (the function",
    ),
    "decorator": (
        "@open('{target}', 'w').close\ndef f():\n    pass\n", (1, 2), "decorator",
    ),
    "class_body": ("class A:\n    open('{target}', 'w')\n", (1, 1), "class definition"),
    "while": ("while True:\n    pass\n", (1, 1), "`while` loop"),
    "try": ("try:\n    x = 1\nexcept Exception:\n    pass\n", (1, 1), "`try`"),
    "method_of_import": (
        "import pathlib\npathlib.Path('{target}').touch()\n", (2, 1), "pathlib",
    ),
    "new_style_import_call": (
        "from pathlib import Path\nPath('{target}').touch()\n", (2, 1), "pathlib.Path",
    ),
    "huge_power": ("x = 10 ** 10 ** 10\n", (1, 5), "power"),
    "huge_list": ("x = [0] * 10 ** 9\n", (1, 5), "sequence"),
    "huge_range": ("x = list(range(10 ** 12))\n", (1, 5), "sequence"),
    "sort_key_function": (
        "def f(x):\n    open('{target}', 'w')\nx = sorted([1], key=f)\n", (3, 21), "function",
    ),
    "print": ("print('hello')\n", (1, 1), "print"),
    "globals": ("g = globals()\n", (1, 5), "globals"),
    "dunder_builtins": ("b = __builtins__\n", (1, 5), "__builtins__"),
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_payload_is_refused_without_side_effect(
    name: str, write: WriteFile, tmp_path: Path
) -> None:
    text, (line, column), construct = PAYLOADS[name]
    target = tmp_path / "PWNED"
    path = write("evil.py", text.format(target=target))
    tree = load_tree(path)
    refusals = [d for d in tree.diagnostics if d.code == "IC201"]
    assert len(refusals) == 1, tree.diagnostics
    [refusal] = refusals
    assert (refusal.file, refusal.line, refusal.column) == (str(path), line, column)
    assert construct in refusal.message
    assert "--trust-python" in (refusal.hint or "")
    assert not target.exists()


def test_import_for_side_effects_imports_nothing(write: WriteFile) -> None:
    write("site/initcfg_side_effect_mod.py", "import pathlib\npathlib.Path('PWNED').touch()\n")
    path = write(
        "c.py",
        "import initcfg_side_effect_mod\nfrom initcfg_side_effect_mod import thing\nx = 1\n",
    )
    sys.path.insert(0, str(path.parent / "site"))
    try:
        tree = load_tree(path)
    finally:
        sys.path.remove(str(path.parent / "site"))
    assert "initcfg_side_effect_mod" not in sys.modules
    assert not (Path.cwd() / "PWNED").exists()
    # New-style configs record imported names as dotted strings and import nothing.
    assert tree.to_dict() == {"x": 1}


def test_base_with_payload_is_refused_in_the_base(write: WriteFile, tmp_path: Path) -> None:
    target = tmp_path / "PWNED"
    base = write("base.py", f"import os\nx = os.system('touch {target}')\n")
    path = write("c.py", "_base_ = './base.py'\ny = 1\n")
    tree = load_tree(path)
    [refusal] = [d for d in tree.diagnostics if d.code == "IC201"]
    assert (refusal.file, refusal.line, refusal.column, refusal.config) == (
        str(base), 2, 5, str(path)
    )
    assert not target.exists()


def test_trust_executes_the_way_mmengine_does(
    write: WriteFile, tmp_path: Path, mmengine: MMEngineLoad
) -> None:
    target = tmp_path / "ran"
    write("base.py", "model = dict(depth=50)\n")
    path = write(
        "c.py",
        textwrap.dedent(f"""
            _base_ = './base.py'
            import os
            def scale(x):
                return x * 2
            open({str(target)!r}, 'w').close()
            model = dict(depth=scale(_base_.model.depth), name=os.path.basename('a/b.py'))
        """),
    )
    refused = load_tree(path)
    assert [d.code for d in refused.diagnostics] == ["IC201"]
    assert not target.exists()
    trusted = load_tree(path, trust=True)
    assert target.exists()
    assert [d.code for d in trusted.diagnostics] == ["IC209"]
    # The library's callers never gave --trust-python: the note names both spellings.
    assert trusted.diagnostics[0].message.endswith("(--trust-python, or trust=True)")
    target.unlink()
    assert trusted.to_dict() == mmengine(path) == {"model": {"depth": 100, "name": "b.py"}}
    assert trusted.location(("model",)).line == 7  # type: ignore[union-attr]


def test_trust_hands_new_style_files_to_mmengine(write: WriteFile, mmengine: MMEngineLoad) -> None:
    write("_base_/m.py", "model = dict(depth=50)\n")
    path = write(
        "configs/c.py",
        "from mmengine.config import read_base\nwith read_base():\n"
        "    from .._base_.m import *\nmodel.depth = (lambda: 101)()\n",
    )
    [refusal] = load_tree(path).diagnostics
    assert (refusal.code, refusal.line, refusal.column) == ("IC201", 4, 16)
    trusted = load_tree(path, trust=True)
    assert [d.code for d in trusted.diagnostics] == ["IC209"]
    assert trusted.to_dict() == mmengine(path) == {"model": {"depth": 101}}


@pytest.mark.parametrize(
    "exit_call", ["import sys\nsys.exit(3)\n", "raise SystemExit('bye')\n", "exit()\n"]
)
def test_a_trusted_config_that_exits_is_a_diagnostic(write: WriteFile, exit_call: str) -> None:
    """Executing a config never ends the process that checks it."""
    path = write("c.py", "x = 1\n" + exit_call)
    [problem] = load_tree(path, trust=True).diagnostics
    assert problem.code == "IC207" and "SystemExit" in problem.message
    assert problem.line == exit_call.count("\n") + 1


# Configs that would exhaust memory or time if evaluated naively: refused at the node.
RESOURCE_BOMBS = {
    "iterator_into_list": ("x = list(zip(range(10 ** 12)))\n", (1, 5), "sequence"),
    "sum_of_range": ("x = sum(range(10 ** 12))\n", (1, 5), "sequence"),
    "sum_of_lists": ("x = sum([[0]], [])\n", (1, 5), "sum()"),
    "join": ("x = '-'.join(['x' * 1000000] * 1000000)\n", (1, 5), "characters"),
    "replace": ("x = ('x' * 1000000).replace('x', 'x' * 30)\n", (1, 5), "characters"),
    "fstring_width": ("x = f'{1:>1000000000}'\n", (1, 5), "width"),
    "percent_width": ("x = '%1000000000d' % 1\n", (1, 5), "width"),
    "format_width": ("x = '{:1000000000}'.format(1)\n", (1, 5), "width"),
    "power_tower": ("x = ((2 ** 4096) ** 4096) ** 4096\n", (1, 6), "power"),
    "shift": ("x = 1 << 10 ** 9\n", (1, 5), "shift"),
    "loop": ("x = 0\nfor i in range(10 ** 9):\n    x += 1\n", (2, 1), "iterations"),
    "bytes_width": ("x = b'%1000000000d' % 1\n", (1, 5), "width"),
    "bytes_star_width": ("x = b'%*d' % (1000000000, 1)\n", (1, 5), "`*` width"),
    "set_update_of_range": ("s = set()\ns.update(range(10 ** 9))\n", (2, 1), "sequence"),
    "dict_update_of_zip": (
        "d = {}\nd.update(zip(range(10 ** 9), range(10 ** 9)))\n", (2, 1), "sequence",
    ),
    "union_of_range": ("s = {1}.union(range(10 ** 9))\n", (1, 5), "sequence"),
    "isdisjoint_of_range": ("s = {-1}.isdisjoint(range(10 ** 10))\n", (1, 5), "sequence"),
    "deep_nesting": ("x = []\nfor i in range(100000):\n    x = [x]\n", (1, 1), "nested"),
}


@pytest.mark.parametrize("name", sorted(RESOURCE_BOMBS))
def test_resource_bombs_are_refused(name: str, write: WriteFile) -> None:
    text, (line, column), construct = RESOURCE_BOMBS[name]
    path = write("bomb.py", text)
    [refusal] = load_tree(path).diagnostics
    assert (refusal.code, refusal.line, refusal.column) == ("IC201", line, column)
    assert construct in refusal.message


def test_trust_reruns_from_pristine_bases_and_keeps_base_edits(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    base = write("base.py", "model = dict(depth=50, layers=[1])\nother = dict(a=1)\n")
    path = write(
        "c.py",
        "_base_ = './base.py'\n"
        "_base_.model.layers.append(2)\n"  # evaluated safely, then the file is re-run
        "del _base_.other\n"
        "x = (lambda: 3)()\n",
    )
    trusted = load_tree(path, trust=True)
    assert trusted.to_dict() == mmengine(path) == {"model": {"depth": 50, "layers": [1, 2]},
                                                   "x": 3}
    assert trusted.location(("model", "depth")) == Location(str(base), 1, 14)


def test_only_true_trusts_a_file(write: WriteFile) -> None:
    """``trust`` decides whether the file runs: ``trust="false"`` (an environment
    variable read as text) executed it."""
    import initcfg

    path = write("c.py", "f = lambda x: x\nmodel = dict(depth=f(50))\n")
    for call in (initcfg.load_config, initcfg.validate):
        for wrong in ("false", 1, None):
            with pytest.raises(TypeError, match=r"trust must be True or False, not "):
                call(path, trust=wrong)  # type: ignore[operator]
    assert [d.code for d in initcfg.validate(path)] == ["IC201"]
    assert [d.code for d in initcfg.validate(path, trust=True)] == ["IC209"]


def test_only_true_lets_a_planner_download() -> None:
    torch = pytest.importorskip("torch")
    import initcfg

    for call in (
        lambda flag: initcfg.compile_init_plan(None, torch.nn.Linear(2, 2), download=flag),
        lambda flag: initcfg.compile_train_plan({}, None, download=flag),
    ):
        with pytest.raises(TypeError, match=r"download must be True or False, not 'no'"):
            call("no")
        call(False)


# Pieces of environment placeholders and of what stands around them, so the texts drawn
# hold many whole, broken and overlapping `{{$NAME:default}}`.
_ENVIRON_PIECES = st.sampled_from(
    ["{{", "}}", "{{$A:", "{{'$B :", '{{" $c1: ', "$", "a", ":", " ", "\n", "'", '"', "x/y",
     "\t", "\u00a0", "}", "{"]
)


@given(st.lists(_ENVIRON_PIECES, max_size=30).map("".join))
def test_environment_placeholders_are_found_where_mmengines_pattern_finds_them(
    text: str,
) -> None:
    """The linear scan finds exactly the matches of MMEngine's regex, which took minutes
    on a 200 kB line of `{{$a:` (its lazy default is retried from every `{{`)."""
    expected = [(m.start(), m.end(), m.group(1), m.group(2)) for m in _ENVIRON.finditer(text)]
    assert list(_environment_placeholders(text)) == expected



@pytest.mark.parametrize(
    "nested", ["-" * 100_000 + "1", "not " * 100_000 + "x", "~" * 100_000 + "1"]
)
def test_expressions_too_deep_for_pythons_parser_are_a_syntax_error(
    nested: str, write: WriteFile
) -> None:
    """CPython's parser answers these with MemoryError (or RecursionError), which the
    loader let through as a traceback."""
    path = write("c.py", f"x = 1\ny = {nested}\n")
    [problem] = load_tree(path).diagnostics
    assert (problem.code, problem.file, problem.line) == ("IC002", str(path), 1)
    assert "nested too deeply" in problem.message


def test_round_to_negative_places_gives_pythons_answers(write: WriteFile) -> None:
    cases = [(5, -1), (15, -1), (25, -1), (-15, -1), (149, -2), (150, -2), (10**40, -39),
             (7, -3), (True, -1), (999, -3), (2**200, -61)]
    text = "".join(f"r{i} = round({n}, {d})\n" for i, (n, d) in enumerate(cases))
    path = write("c.py", text + "far = round(5, -10 ** 8)\n")
    expected = {f"r{i}": round(n, d) for i, (n, d) in enumerate(cases)}
    # Python computes 10 ** (10 ** 8) for the last one, minutes of CPU; it is 0.
    assert load_tree(path).to_dict() == {**expected, "far": 0}


@pytest.mark.parametrize(
    "text", ["x = [d.get]\n", "x = {'k': d.items}\n", "x = (1, d.copy)\n", "x = {d.keys: 1}\n"]
)
def test_a_method_stored_in_a_literal_is_refused(text: str, write: WriteFile) -> None:
    """As ``dict(k=d.items)`` always was: the evaluator's stand-in for the method was
    returned in the loaded values (`{'x': [<method dict.get>]}`)."""
    path = write("c.py", "d = dict(a=1)\n" + text)
    [refusal] = load_tree(path).diagnostics
    assert (refusal.code, refusal.line) == ("IC201", 2)
    assert "stored as a value" in refusal.message
