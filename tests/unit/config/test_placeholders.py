"""Placeholder preprocessing: where each placeholder was written, found in one pass."""

from __future__ import annotations

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
