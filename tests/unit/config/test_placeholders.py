"""Placeholder preprocessing: where each placeholder was written, found in one pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import initcfg
from fixture_types import MMEngineLoad, WriteFile
from initcfg.config.load import load_tree
from initcfg.config.placeholders import _offset_location, _Offsets, preprocess
from initcfg.diagnostics import Location


class _CountingText(str):
    """A text that counts the characters its ``count`` and ``rfind`` calls read."""

    read = 0

    def count(self, sub: str, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        _CountingText.read += (len(self) if end is None else end) - (start or 0)
        return str.count(self, sub, start, end)

    def rfind(self, sub: str, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        _CountingText.read += (len(self) if end is None else end) - (start or 0)
        return str.rfind(self, sub, start, end)


def test_placeholder_locations_are_where_they_were_written() -> None:
    text = (
        "a = 1\n"
        "b = '{{_base_.x}}'\n"
        "\n"
        "c = dict(é='{{_base_.y.z}}', d='{{_base_.x}}', e='{{ _base_.w }}')\n"
        "f = '{{$INITCFG_NOT_SET_ANYWHERE:}}'\n"
    )
    _, placeholders, problems = preprocess(text, "/c.py")
    found = {item.dotted: item.location for item in placeholders.values()}
    assert found == {
        "x": Location("/c.py", 2, 6),
        "y.z": Location("/c.py", 4, 13),
        "w": Location("/c.py", 4, 51),
    }
    assert [problem.location for problem in problems] == [Location("/c.py", 5, 6)]


def test_offsets_agree_with_counting_from_the_start() -> None:
    text = "ab\ncd\n\néé\nlast line"
    offsets = _Offsets(text, "/c.py")
    wanted = [0, 1, 2, 3, 6, 7, 8, 9, 10, len(text)]
    assert [offsets.location(at) for at in wanted] == [
        _offset_location(text, at, "/c.py") for at in wanted
    ]
    # Asked out of order, it still answers right.
    assert offsets.location(4) == _offset_location(text, 4, "/c.py")


def test_many_placeholders_read_the_text_once() -> None:
    lines = [f"x{index} = '{{{{_base_.a{index}}}}}'\n" for index in range(2000)]
    text = _CountingText("".join(lines))
    offsets = _Offsets(text, "/c.py")
    starts = []
    position = 0
    for line in lines:
        starts.append(position + line.index("{{"))
        position += len(line)
    _CountingText.read = 0
    located = [offsets.location(at) for at in starts]
    assert located[-1] == Location("/c.py", 2000, lines[-1].index("{{") + 1)
    # Counting from the start for each one would read about 2000 * len(text) / 2.
    assert _CountingText.read <= 2 * len(text)


def test_a_placeholder_that_is_no_whole_value_is_reported_where_it_is_written(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """MMEngine substitutes ``{{_base_.x}}`` only as a whole value; in quotes or in an
    expression its random stand-in name stays in the value (IC216, a warning)."""
    write("base.py", "lr = 0.01\nmodel = dict(type='Net')\n")
    path = write(
        "c.py",
        "_base_ = './base.py'\n"
        "work_dir = 'runs/{{_base_.model.type}}'\n"
        "lr2 = {{_base_.lr}} * 2\n"
        "whole = {{_base_.lr}}\n"
        "keys = { {{_base_.model.type}}: 1}\n",
    )
    theirs = mmengine(path)
    assert theirs["work_dir"].startswith('runs/"_model.type_')  # MMEngine's random text
    assert theirs["lr2"].startswith("_lr_") and theirs["whole"] == 0.01
    found = [(d.code, d.severity, d.line, d.column) for d in initcfg.load_config(path).diagnostics]
    assert found == [("IC216", "warning", 2, 18), ("IC216", "warning", 3, 7)]
    # The key repeats the first placeholder: one finding per placeholder.


def test_whole_value_placeholders_are_no_ic216(write: WriteFile) -> None:
    write("base.yaml", "lr: 0.01\nnames: [a, b]\n")
    path = write(
        "c.yaml", "_base_: ./base.yaml\nlr: {{_base_.lr}}\nn: [{{_base_.names}}, 1]\n"
    )
    tree = initcfg.load_config(path)
    assert tree.to_dict()["n"] == [["a", "b"], 1]
    assert tree.diagnostics == []


def test_a_base_s_leftover_marker_is_not_taken_for_the_child_s_placeholder(
    write: WriteFile,
) -> None:
    """The base's quoted placeholder leaves its marker in ``a``; the child's whole-value
    ``{{_base_.a}}`` copies that text and is no IC216 of its own."""
    write("aa.py", "q = 1\n")
    base = write("a.py", "_base_ = './aa.py'\na = 'x{{_base_.q}}'\n")
    child = write("c.py", "_base_ = './a.py'\nb = {{_base_.a}}\n")
    found = [(d.code, d.file, d.line) for d in initcfg.load_config(child).diagnostics]
    assert found == [("IC216", str(base), 2)]



def _errors(path: Path) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in load_tree(path).diagnostics
            if d.severity == "error"]


def test_an_environment_value_is_a_replacement_template_as_in_mmengine(
    write: WriteFile, mmengine: MMEngineLoad, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine substitutes ``{{$NAME:default}}`` with ``re.sub``, the value as its
    replacement template: ``\\n`` in a variable is a newline escape there, and a Windows
    path (``C:\\data``: ``\\d``) makes MMEngine fail."""
    monkeypatch.setenv("INITCFG_ESCAPED", "C:\\\\n")  # C:\\n: the template for C:\n
    monkeypatch.setenv("INITCFG_WINDOWS", "C:\\data")
    monkeypatch.delenv("INITCFG_UNSET", raising=False)
    good = write("good.py", "a = '{{$INITCFG_ESCAPED:x}}'\n")
    # The template gives C:\n, which the Python string then reads as a newline.
    assert load_tree(good).to_dict() == mmengine(good) == {"a": "C:\n"}
    bad = write("bad.py", "a = 1\nroot = '{{$INITCFG_WINDOWS:data}}'\n")
    with pytest.raises(re.error):
        mmengine(bad)
    assert _errors(bad) == [("IC205", 2, 9)]


def test_an_environment_default_is_a_regular_expression_as_in_mmengine(
    write: WriteFile, mmengine: MMEngineLoad, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine finds each ``{{$NAME:default}}`` again with a regular expression built
    from its default, unescaped: a ``.`` there is a wildcard, so the first placeholder
    also replaces a later one of the same variable that it matches; a default that is no
    valid expression makes MMEngine fail; one that does not match itself (``a+b``) is
    left in the value, which initcfg reports rather than return."""
    monkeypatch.delenv("INITCFG_UNSET", raising=False)
    dotted = write(
        "dotted.py",
        "a = '{{$INITCFG_UNSET:v1.0}}'\nb = '{{$INITCFG_UNSET:v1_0}}'\n"
        "c = '{{$INITCFG_UNSET:v2_0}}'\nd = '{{$INITCFG_UNSET:v1x0}}'\n",
    )
    assert load_tree(dotted).to_dict() == mmengine(dotted) == {
        "a": "v1.0", "b": "v1.0", "c": "v2_0", "d": "v1.0"
    }
    later = write("later.py", "b = '{{$INITCFG_UNSET:v1_0}}'\na = '{{$INITCFG_UNSET:v1.0}}'\n")
    assert load_tree(later).to_dict() == mmengine(later) == {"b": "v1_0", "a": "v1.0"}
    invalid = write("invalid.py", "x = 1\nroot = '{{$INITCFG_UNSET:data(1}}'\n")
    with pytest.raises(re.error):
        mmengine(invalid)
    assert _errors(invalid) == [("IC205", 2, 9)]
    kept = write("kept.py", "root = '{{$INITCFG_UNSET:a+b}}'\n")
    assert mmengine(kept) == {"root": "{{$INITCFG_UNSET:a+b}}"}
    assert _errors(kept) == [("IC205", 1, 9)]
    # Taken by the wildcard before it, an invalid default still makes MMEngine fail.
    taken = write("taken.py", "a = '{{$INITCFG_UNSET:a.c}}'\nb = '{{$INITCFG_UNSET:a(c}}'\n")
    with pytest.raises(re.error):
        mmengine(taken)
    assert _errors(taken) == [("IC205", 2, 6)]


def test_comparing_with_wildcard_defaults_is_bounded() -> None:
    """Each placeholder is compared with the different wildcard defaults of its
    variable before it: a file of thousands of them stops at a bound (IC214)."""
    text = "# " + "".join(f"{{{{$INITCFG_UNSET:.{index}}}}}" for index in range(20_000)) + "\n"
    _, _, problems = preprocess(text, "/c.py")
    assert [problem.code for problem in problems] == ["IC214"]


def test_a_placeholder_where_mmengine_substitutes_none_is_reported(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """MMEngine substitutes the file's own dict values, list and tuple items only: a
    whole-value placeholder stored into a base's value or written in a set keeps its
    random text there. initcfg returned its internal marker there, unreported."""
    write("base.py", "model = dict(x=1)\nlr = 0.5\n")
    path = write(
        "c.py",
        "_base_ = './base.py'\n"
        "_base_.model.x = {{_base_.lr}}\n"
        "s = { {{_base_.model}} }\n"
        "kept = [{{_base_.lr}}]\n",
    )
    theirs = mmengine(path)
    assert theirs["model"]["x"].startswith("_lr_") and theirs["kept"] == [0.5]
    assert next(iter(theirs["s"])).startswith("_model_")
    found = [(d.code, d.line, d.column) for d in load_tree(path).diagnostics]
    assert found == [("IC216", 2, 18), ("IC216", 3, 7)]


def test_a_python_config_must_parse_before_its_placeholders_are_substituted(
    write: WriteFile, mmengine: MMEngineLoad, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine parses a Python file as written (to tell new-style from classic) before
    it substitutes anything: a bare ``{{$NAME:default}}`` is no Python there, so it
    fails, in the config and in a base alike; the quoted form of its documentation
    (``{{'$NAME:80'}}``) and a bare ``{{_base_.x}}`` (a set of a set) parse."""
    monkeypatch.delenv("INITCFG_UNSET", raising=False)
    write("base.py", "classes = 3\nlr = {{$INITCFG_UNSET:0.1}}\n")
    path = write("c.py", "_base_ = './base.py'\nx = 1\n")
    with pytest.raises(SyntaxError):
        mmengine(path)
    problems = [d for d in load_tree(path).diagnostics if d.severity == "error"]
    assert [(d.code, Path(d.file or "").name, d.line) for d in problems] == [
        ("IC002", "base.py", 2)
    ]
    assert "before its placeholders are substituted" in problems[0].message
    write("quoted.py", "classes = 3\nlr = {{'$INITCFG_UNSET:0.1'}}\n")
    good = write("good.py", "_base_ = './quoted.py'\nn = {{_base_.classes}}\n")
    assert load_tree(good).to_dict() == mmengine(good) == {"classes": 3, "lr": 0.1, "n": 3}


def test_a_new_style_config_gets_no_placeholder_substituted(
    write: WriteFile, mmengine: MMEngineLoad, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine reads a ``with read_base():`` config, and the files it imports, without
    any text substitution: predefined variables, environment and ``{{_base_.x}}``
    placeholders stay as written. initcfg substituted them (and left its marker for
    ``{{_base_.x}}``)."""
    monkeypatch.setenv("INITCFG_SET", "from-env")
    write("base.py", "lr = 0.1\nroot = '{{$INITCFG_SET:data}}'\n")
    path = write(
        "c.py",
        "with read_base():\n    from .base import *\n"
        "name = '{{fileBasename}}'\nwork = '{{$INITCFG_SET:runs}}'\nbase_lr = '{{_base_.lr}}'\n",
    )
    expected = {
        "lr": 0.1, "root": "{{$INITCFG_SET:data}}", "name": "{{fileBasename}}",
        "work": "{{$INITCFG_SET:runs}}", "base_lr": "{{_base_.lr}}",
    }
    tree = load_tree(path)
    assert tree.to_dict() == mmengine(path) == expected
    assert tree.diagnostics == []


def test_a_placeholder_as_a_top_level_key_of_a_data_file_is_reported(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """A YAML or JSON file's top-level key may be a placeholder, which MMEngine never
    substitutes: its random name becomes the key. initcfg's marker was the key, with no
    IC216 (a nested key had one)."""
    write("base.yaml", "lr: 0.5\n")
    path = write("c.yaml", "_base_: ./base.yaml\n{{_base_.lr}}: 1\nn:\n  {{_base_.lr}}: 2\n")
    theirs = mmengine(path)
    assert [key for key in theirs if key.startswith("_lr_")] != []
    found = [(d.code, d.line, d.column) for d in load_tree(path).diagnostics]
    assert found == [("IC216", 2, 1)]
    json_path = write("c.json", '{"_base_": "./base.yaml", {{_base_.lr}}: 1}')
    assert [d.code for d in load_tree(json_path).diagnostics] == ["IC216"]


@pytest.mark.parametrize(
    ("default", "outcome"),
    [("a]b", "a]b"), ("x{y}", "x{y}"), ("v{1", "v{1"), ("a{2}b", "kept"),
     ("a{5,2}b", "fails"), ("a{99999999999}b", "fails")],
)
def test_braces_in_an_environment_default_are_plain_unless_a_repeat_count(
    write: WriteFile, mmengine: MMEngineLoad, monkeypatch: pytest.MonkeyPatch,
    default: str, outcome: str,
) -> None:
    """In MMEngine's regular expression `]`, `}` and a `{` that starts no repeat count
    are plain characters: such a default is substituted (initcfg refused `]` and `{1`).
    A repeat count makes the expression miss the placeholder, or fail (a count out of
    order, or too large: OverflowError, which initcfg did not catch)."""
    monkeypatch.delenv("INITCFG_UNSET", raising=False)
    path = write("c.py", f"root = '{{{{$INITCFG_UNSET:{default}}}}}'\n")
    errors = _errors(path)
    if outcome == "fails":
        with pytest.raises((re.error, OverflowError)):
            mmengine(path)
        assert errors == [("IC205", 1, 9)]
    elif outcome == "kept":
        assert mmengine(path) == {"root": f"{{{{$INITCFG_UNSET:{default}}}}}"}
        assert errors == [("IC205", 1, 9)]
    else:
        assert load_tree(path).to_dict() == mmengine(path) == {"root": outcome}
        assert errors == []
