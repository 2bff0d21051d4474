"""Placeholder preprocessing: where each placeholder was written, found in one pass."""

from __future__ import annotations

import initcfg
from fixture_types import MMEngineLoad, WriteFile
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
