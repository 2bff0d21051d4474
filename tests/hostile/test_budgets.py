"""Resource bombs (issue 11, part 2): every input gets a diagnostic within the limits.

Each case writes its files into a fresh folder, runs ``initcfg validate`` on one of them
in a subprocess under the harness's CPU and memory limits, and checks that the run is
clean (no traceback, no limit hit), that no canary file appeared, that no input
changed, and that the expected diagnostic code is reported. The classes are those of
the issue; each has variants beyond the issue's own example.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from harness import Inputs, assert_no_canary, run_limited

CANARY = "canary"  # a payload that ran would create this file in the case's folder

Files = dict[str, str]


@dataclass(frozen=True)
class Case:
    """A hostile input: its files, the one validated, and the code it must get."""

    files: Callable[[], Files]
    code: str
    target: str = "c.py"
    # Further checks on the diagnostics (JSON objects): a count, a column.
    check: Callable[[list[dict[str, object]]], None] | None = field(default=None, compare=False)


def one(text: str, target: str = "c.py") -> Callable[[], Files]:
    return lambda: {target: text}


def loop(body: str, start: str, times: int = 40) -> str:
    return f"{start}\nfor _ in range({times}):\n    {body}\n"


# -- 1. doubling by concatenation and augmented assignment --------------------------------

DOUBLING = {
    "list_augassign": Case(one(loop("x += x", "x = [0]")), "IC214"),
    "list_concat": Case(one(loop("x = x + x", "x = [0]")), "IC214"),
    "str_augassign": Case(one(loop("s += s", "s = 'ab'")), "IC214"),
    "str_concat_unrolled": Case(one("s = 'ab'\n" + "s = s + s\n" * 40), "IC214"),
    "tuple_concat": Case(one(loop("t = t + t", "t = (0, 1)")), "IC214"),
    "fstring_doubling": Case(one(loop("s = f'{s}{s}'", "s = 'ab'")), "IC214"),
    "nested_list_augassign": Case(one(loop("x[0] += x[0]", "x = [[0]]")), "IC214"),
    "dict_value_augassign": Case(one(loop("d['k'] += d['k']", "d = dict(k='ab')")), "IC214"),
    "extend_copy": Case(one(loop("x.extend(x[:])", "x = [0]")), "IC201"),
    "join_doubling": Case(one(loop("s = ''.join([s, s])", "s = 'ab'")), "IC201"),
    "int_squaring": Case(one(loop("x = x * x", "x = 3")), "IC201"),
    "bytes_augassign": Case(one(loop("b += b", "b = b'ab'")), "IC214"),
    "bytes_concat": Case(one(loop("b = b + b", "b = b'ab'")), "IC214"),
    "percent_doubling": Case(one(loop("s = '%s%s' % (s, s)", "s = 'ab'")), "IC214"),
}

# -- 2. format widths from arguments ----------------------------------------------------

WIDTHS = {
    "keyword_width": Case(one("a = '{:>{w}}'.format('a', w=10**9)\n"), "IC201"),
    "positional_width": Case(one("a = '{:{}}'.format('a', 10**9)\n"), "IC201"),
    "indexed_width": Case(one("a = '{0:>{1}}'.format('a', 999999999)\n"), "IC201"),
    "zero_padded_width": Case(one("a = '{:0{w}d}'.format(1, w=10**8)\n"), "IC201"),
    "precision": Case(one("a = '{:.{p}f}'.format(1.0, p=10**8)\n"), "IC201"),
    "width_from_name": Case(one("w = 10**9\na = '{x:^{w}}'.format(x='a', w=w)\n"), "IC201"),
    "fstring_nested_width": Case(one("w = 10**9\na = f'{1:>{w}}'\n"), "IC201"),
}

# -- 3. aliasing: small values, huge trees ----------------------------------------------

ALIAS_LEVELS = "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\nd = [c] * 1000\n"

ALIASING = {
    "list_levels": Case(one(ALIAS_LEVELS), "IC214"),
    "dict_doubling": Case(one(loop("a = dict(l=a, r=a)", "a = dict(x=1)")), "IC214"),
    "square_list": Case(one("a = [[0] * 999999] * 999999\n"), "IC214"),
    "tuple_levels": Case(
        one("t = (0,) * 1000\nu = (t,) * 1000\nv = (u,) * 1000\n"), "IC214"
    ),
    "comprehension_alias": Case(
        one("a = [0] * 2000\nb = [a for _ in range(2000)]\n"), "IC214"
    ),
    "dict_comprehension_alias": Case(
        one("a = [0] * 2000\nb = {str(i): a for i in range(2000)}\n"), "IC214"
    ),
    "str_of_alias": Case(
        one("a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\ns = len(str(c))\ndel a, b, c\n"),
        "IC214",
    ),
    "fstring_of_alias": Case(
        one("a = ['x' * 1000] * 1000\nb = [a] * 1000\ns = len(f'{b}')\ndel a, b\n"), "IC214"
    ),
    "compare_alias": Case(
        one("a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\n"
            "d = [[[0] * 1000] * 1000] * 1000\nsame = c == d\ndel a, b, c, d\n"), "IC214"
    ),
    "hash_alias": Case(
        one("t = (0,) * 1000\nu = (t,) * 1000\nv = (u,) * 1000\ns = len({v})\n"
            "del t, u, v\n"), "IC214"
    ),
    "through_base": Case(
        lambda: {
            "base.py": "a = [[0] * 1000] * 1000\n",
            "c.py": "_base_ = './base.py'\nb = dict(x=_base_.a, y=_base_.a, z=_base_.a)\n",
        },
        "IC214",
    ),
    "yaml_anchor_levels": Case(
        one("a: &a [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
            + "".join(f"l{i}: &l{i} [{', '.join(['*' + ('a' if i == 0 else f'l{i - 1}')] * 10)}]\n"
                      for i in range(8)), "c.yaml"),
        "IC214", target="c.yaml",
    ),
}

# -- 4. integers, each under its bound ---------------------------------------------------

INTEGERS = {
    "set_of_powers": Case(one("s = {2**i for i in range(100000)}\n"), "IC214"),
    "list_of_powers_of_ten": Case(one("s = [10**i for i in range(60000)]\n"), "IC214"),
    "shifts": Case(one("s = [1 << i for i in range(150000)]\n"), "IC214"),
    # Python's round() of an int to -n places computes 10 ** n first.
    "round_to_far_tens": Case(one("x = round(5, -10 ** 9)\ny = undefined\n"), "IC207"),
    "loop_of_powers": Case(one("s = []\nfor i in range(100000):\n    s.append(7**i)\n"),
                           "IC214"),
}

# -- 5. many small statements (under the file-size cap) -----------------------------------

SIXTEEN_MB = 16 * 1024 * 1024 - 1024

SOURCE = {
    "assignments": Case(lambda: {"c.py": "a=1\n" * (SIXTEEN_MB // 4)}, "IC214"),
    "expression_statements": Case(lambda: {"c.py": "a;" * (SIXTEEN_MB // 2)}, "IC214"),
    "one_long_list": Case(
        lambda: {"c.py": "a = [" + "1," * (7 * 1024 * 1024) + "]\n"}, "IC214"
    ),
    "many_bases": Case(
        lambda: {
            **{f"b{i}.py": f"k{i} = [" + "1," * 60_000 + "]\n" for i in range(40)},
            "c.py": "_base_ = [" + ", ".join(f"'./b{i}.py'" for i in range(40)) + "]\n",
        },
        "IC214",
    ),
}

# -- 6. JSON and YAML item bounds --------------------------------------------------------

DATA = {
    "json_list": Case(one("{\"a\": [" + "0," * (SIXTEEN_MB // 2 - 16) + "0]}", "c.json"),
                      "IC214", target="c.json"),
    "json_object": Case(
        one("{" + ",".join(f'"k{i}":{i}' for i in range(600_000)) + "}", "c.json"),
        "IC214", target="c.json",
    ),
    "json_deep": Case(one("[" * 1_000_000 + "]" * 1_000_000, "c.json"), "IC002",
                      target="c.json"),
    "yaml_flow_list": Case(one("a: [" + "0," * (SIXTEEN_MB // 2 - 16) + "0]\n", "c.yaml"),
                           "IC214", target="c.yaml"),
    "yaml_block_list": Case(one("a:\n" + "- 0\n" * 2_000_000, "c.yaml"), "IC214",
                            target="c.yaml"),
    "yaml_mapping": Case(one("".join(f"k{i}: {i}\n" for i in range(300_000)), "c.yaml"),
                         "IC214", target="c.yaml"),
    # libyaml's own bound (1,000 flow levels) answers first.
    "yaml_deep_flow": Case(one("a: " + "[" * 1_000_000 + "]" * 1_000_000 + "\n", "c.yaml"),
                           "IC002", target="c.yaml"),
    "yaml_deep_block": Case(
        one("a:\n" + "".join("  " * i + "- \n" for i in range(1, 900)) + "  " * 900 + "- 1\n",
            "c.yaml"), "IC214", target="c.yaml",
    ),
    "yaml_billion_laughs": Case(
        one("a0: &a0 [1, 2]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n"
                                        for i in range(1, 30)) + "m: *a29\n", "c.yaml"),
        "IC214", target="c.yaml",
    ),
    "json_base_of_python": Case(
        lambda: {
            "base.json": "{\"a\": [" + "0," * (4 * 1024 * 1024) + "0]}",
            "c.py": "_base_ = './base.json'\nb = 1\n",
        },
        "IC214",
    ),
}


# -- 7. long lines of multibyte text -----------------------------------------------------

def _wide_line(prefix: str, items: int) -> str:
    return f"x = ['{prefix}'" + ", 1" * items + ", undefined_name]\n"


def _column_after(prefix: str, items: int) -> Callable[[str], None]:
    # The error is at `undefined_name`: its column counts characters, not bytes.
    column = len(f"x = ['{prefix}'" + ", 1" * items + ", ") + 1

    def check(found: list[dict[str, object]]) -> None:
        [error] = found
        assert (error["code"], error["line"], error["column"]) == ("IC207", 1, column)

    return check


MULTIBYTE = {
    "cjk_line": Case(one(_wide_line("日" * 500_000, 300_000)), "IC207",
                     check=_column_after("日" * 500_000, 300_000)),
    "accented_line": Case(one(_wide_line("é" * 1_000_000, 200_000)), "IC207",
                          check=_column_after("é" * 1_000_000, 200_000)),
    "emoji_line": Case(one(_wide_line("😀" * 300_000, 300_000)), "IC207",
                       check=_column_after("😀" * 300_000, 300_000)),
    "yaml_wide_flow": Case(one("a: [" + "日日, " * 1_500_000 + "x]\n", "c.yaml"), "IC214",
                           target="c.yaml"),
}


# -- 8. one finding per inclusion path ---------------------------------------------------

def _levels(bottom: Callable[[int], str], suffix: str = ".py") -> Files:
    """Six levels of eight files, each inheriting all eight of the next level."""
    files: Files = {}
    for level in range(6):
        for index in range(8):
            name = f"l{level}_{index}{suffix}"
            if level == 5:
                files[name] = bottom(index)
            elif suffix == ".py":
                bases = ", ".join(f"'./l{level + 1}_{i}.py'" for i in range(8))
                files[name] = f"_base_ = [{bases}]\n"
            else:
                bases = ", ".join(f"./l{level + 1}_{i}{suffix}" for i in range(8))
                files[name] = f"_base_: [{bases}]\n"
    top = "_base_ = [" + ", ".join(f"'./l0_{i}{suffix}'" for i in range(8)) + "]\n"
    files["c.py"] = top
    return files


def _each_once(code: str, most: int) -> Callable[[list[dict[str, object]]], None]:
    """Each finding once: no two diagnostics alike, and no more than the distinct
    findings the files hold (``most``), however many paths include them."""

    def check(found: list[dict[str, object]]) -> None:
        keys = [json.dumps(item, sort_keys=True) for item in found if item["code"] == code]
        assert keys and len(keys) == len(set(keys)), keys[:3]
        assert len(keys) <= most, len(keys)

    return check


INCLUSION = {
    # Seven clashes in each file above the bottom (6 levels of 8, and the top): 287.
    "same_key_at_the_bottom": Case(
        lambda: _levels(lambda index: "k = 1\n"), "IC204", check=_each_once("IC204", 287)
    ),
    "refused_bottom": Case(
        lambda: _levels(lambda index: f"import os\nx = os.system('touch {CANARY}')\n"),
        "IC201", check=_each_once("IC201", 8),
    ),
    "failing_bottom": Case(
        lambda: _levels(lambda index: f"x = missing_{index}\n"), "IC207",
        check=_each_once("IC207", 8),
    ),
    "yaml_levels": Case(
        lambda: _levels(lambda index: "k: 1\n", ".yaml"), "IC204",
        check=_each_once("IC204", 287),
    ),
}


# -- 9. YAML tags naming Python, however spelled -----------------------------------------

def _tagged(text: str) -> Callable[[], Files]:
    return one(text.replace("CMD", f"touch {CANARY}"), "c.yaml")


TAGS = {
    "sequence_apply": Case(_tagged("a: !!python/object/apply:os.system ['CMD']\n"), "IC215",
                           target="c.yaml"),
    "sequence_new": Case(_tagged("a: !!python/object/new:os.system ['CMD']\n"), "IC215",
                         target="c.yaml"),
    "mapping_apply": Case(_tagged("a: !!python/object/apply:os.system {args: ['CMD']}\n"),
                          "IC215", target="c.yaml"),
    "tag_directive": Case(
        _tagged("%TAG !p! tag:yaml.org,2002:python/\n---\na: !p!object/apply:os.system "
                "['CMD']\n"), "IC215", target="c.yaml",
    ),
    "verbatim_tag": Case(
        _tagged("a: !<tag:yaml.org,2002:python/object/apply:os.system> ['CMD']\n"), "IC215",
        target="c.yaml",
    ),
    "escaped_tag": Case(_tagged("a: !!python%2Fobject/apply:os.system ['CMD']\n"), "IC215",
                        target="c.yaml"),
    "scalar_name": Case(_tagged("a: !!python/name:os.system ''\n"), "IC215", target="c.yaml"),
    "scalar_module": Case(_tagged("a: !!python/module:os ''\n"), "IC215", target="c.yaml"),
    "nested_deep": Case(
        _tagged("model:\n  a: [1, {b: !!python/object/apply:os.system ['CMD']}]\n"), "IC215",
        target="c.yaml",
    ),
    "in_a_base": Case(
        lambda: {
            "base.yaml": f"a: !!python/object/apply:os.system ['touch {CANARY}']\n",
            "c.py": "_base_ = './base.yaml'\nb = 1\n",
        },
        "IC215",
    ),
    "block_sequence": Case(_tagged("a: !!python/object/apply:os.system\n  - 'CMD'\n"),
                           "IC215", target="c.yaml"),
}

# -- 10. text placeholders, substituted before anything is parsed -------------------------

# Each file ends in an environment placeholder that is not set and has no default, the
# IC205 that shows the text before it was read through.
UNSET = "x = '{{$INITCFG_SURELY_UNSET:}}'\n"

PLACEHOLDERS = {
    "unfinished_environment_run": Case(one("# " + "{{$a:" * 200_000 + "\n" + UNSET), "IC205"),
    "environment_run_then_spaces": Case(
        one("# " + "{{$a:" * 200_000 + " " * 1_000_000 + "y\n" + UNSET), "IC205"
    ),
    "quoted_environment_run": Case(one("# " + "{{'$a:" * 200_000 + "\n" + UNSET), "IC205"),
    "environment_run_in_yaml": Case(
        one("# " + "{{$a:" * 200_000 + "\n" + UNSET.replace(" = ", ": "), "c.yaml"),
        "IC205", target="c.yaml",
    ),
    "unfinished_base_run": Case(one("# " + "{{_base_.a" * 200_000 + "\n" + UNSET), "IC205"),
}

# -- 11. walks a small value stands for: ranges, iterators, `key=` builtins ----------------

WALKS = {
    "sum_of_ranges": Case(one("x = [sum(range(10**6)) for i in range(1000)]\n"), "IC214"),
    "max_of_iterators": Case(
        one("x = [max(zip(range(10**6))) for i in range(1000)]\n"), "IC214"
    ),
    "key_sorted": Case(one("r = range(10**6)\nc = max([r] * 1000, key=sorted)\n"), "IC214"),
    "key_str": Case(
        one("a = ['x' * 1000000] * 100\nb = [a] * 100\nc = sorted([b, b], key=str)\n"),
        "IC214",
    ),
    "sort_key_str": Case(
        one("a = ['x' * 1000000] * 100\nb = [a] * 100\nc = [b, b]\nc.sort(key=str)\n"),
        "IC214",
    ),
    "key_dict": Case(one("c = max([zip(range(10**9), range(10**9))], key=dict)\n"), "IC201"),
}

CLASSES: dict[str, dict[str, Case]] = {
    "doubling": DOUBLING,
    "format_width": WIDTHS,
    "aliasing": ALIASING,
    "integers": INTEGERS,
    "source_size": SOURCE,
    "data_items": DATA,
    "multibyte_line": MULTIBYTE,
    "inclusion_paths": INCLUSION,
    "yaml_python_tags": TAGS,
    "text_placeholders": PLACEHOLDERS,
    "amplified_walks": WALKS,
}

CASES = [
    pytest.param(case, id=f"{kind}-{name}")
    for kind, cases in CLASSES.items()
    for name, case in cases.items()
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_bomb_gets_one_diagnostic_within_the_limits(case: Case, tmp_path: Path) -> None:
    written = []
    for name, text in case.files().items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    inputs = Inputs(written)
    outcome = run_limited(["validate", "--format", "json", case.target], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(1,))
    assert_no_canary(tmp_path / CANARY)
    inputs.assert_unchanged()
    found = json.loads(outcome.stdout)
    codes = [item["code"] for item in found]
    assert case.code in codes, outcome.output[-3000:]
    if case.code in ("IC214", "IC215"):
        assert codes.count(case.code) == 1, outcome.output[-3000:]
    if case.check is not None:
        case.check(found)


def test_every_class_has_variants() -> None:
    assert all(len(cases) >= 4 for cases in CLASSES.values())
