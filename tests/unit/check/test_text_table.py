"""The one plain-text table: every table initcfg prints comes from text_table."""

from __future__ import annotations

from initcfg.check.render import text_table


def test_columns_are_padded_and_trailing_blanks_cut() -> None:
    assert text_table([["a", "bb"], ["ccc", ""]], indent="  ") == ["  a    bb", "  ccc"]


def test_rule_under_the_header() -> None:
    assert text_table([["key", "v"], ["x", "long"]], rule=True) == [
        "key  v", "---  ----", "x    long",
    ]


def test_cap_and_free_last_column() -> None:
    rows = [["name", "last"], ["a" * 8, "a long last cell"]]
    assert text_table(rows, rule=True, cap=5, free_last=True) == [
        "name   last", "-----  ----", "aaaaaaaa  a long last cell",
    ]
