"""The one suggest() and the one place()."""

from __future__ import annotations

from initcfg.diagnostics import Diagnostic, Location, diagnostic, place, suggest
from initcfg.diagnostics.place import parse_path


def test_suggest_finds_the_closest_and_says_so() -> None:
    assert suggest("Conv2", ["Conv2d", "Linear"]) == "did you mean 'Conv2d'?"
    assert suggest("zzz", ["Conv2d", "Linear"]) is None


def test_suggest_cutoff_refuses_a_far_match() -> None:
    assert suggest("normel", ["normal"], cutoff=0.7) == "did you mean 'normal'?"
    assert suggest("nrml", ["normal"], cutoff=0.95) is None


def test_suggest_shows_the_value_of_a_matched_key() -> None:
    assert suggest("baes", {"base": "base.py"}, shown={"base": "base.py"}) == (
        "did you mean 'base.py'?"
    )


def test_suggest_with_a_matcher_uses_its_answer_only() -> None:
    assert suggest("x", ["y"], matcher=lambda word: "chosen") == "did you mean 'chosen'?"
    assert suggest("Conv2", ["Conv2d"], matcher=lambda word: None) is None


def test_parse_path_inverts_format_path() -> None:
    assert parse_path("model.heads[1].init_cfg") == ("model", "heads", 1, "init_cfg")


def test_place_puts_a_key_path_at_its_location() -> None:
    where = {("model",): Location("cfg.py", 3, 5)}
    item = diagnostic("IC101", "bad", ("model",))
    [placed] = place([item], where.get, "cfg.py")
    assert (placed.file, placed.line, placed.column, placed.config) == ("cfg.py", 3, 5, "cfg.py")


def test_place_keeps_a_base_location_and_names_the_checked_config() -> None:
    item = Diagnostic("IC101", "error", "bad", file="/elsewhere/base.py", line=2, column=1)
    [placed] = place([item], lambda path: None, "/work/cfg.py")
    assert placed.inherited
    assert (placed.file, placed.line, placed.config) == ("/elsewhere/base.py", 2, "/work/cfg.py")


def test_place_reads_text_paths_only_when_asked() -> None:
    where = {("a", 0): Location("cfg.py", 7, 1)}
    item = diagnostic("IC101", "bad", "a[0]")
    assert place([item], where.get, "cfg.py")[0].file is None
    assert place([item], where.get, "cfg.py", text_paths=True)[0].line == 7
