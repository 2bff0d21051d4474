"""The one did-you-mean helper: near-misses are suggested, unrelated names are not."""

from __future__ import annotations

from pathlib import Path

import pytest

import initcfg
from initcfg.diagnostics import closest, did_you_mean, plausible_typo


@pytest.mark.parametrize(
    ("word", "options", "expected"),
    [
        ("bais", ["bias", "bias_prob", "layer"], "bias"),  # a swap
        ("fan_inn", ["fan_in", "fan_out"], "fan_in"),  # an extra letter
        ("max_epoch", ["max_epochs", "val_interval"], "max_epochs"),  # a missing letter
        ("Conv2D", ["Conv2d", "Conv3d"], "Conv2d"),  # case only
        ("fc_clss", ["fc_cls", "fc_reg"], "fc_cls"),
        ("schedule_1x", ["schedules_1x", "default_runtime"], "schedules_1x"),
        # difflib scores these >= 0.6, yet no one types one for the other.
        ("nope", ["nobase", "wrongtype"], None),
        ("nope.py", ["nobase.py", "wrongtype.py"], None),
        ("lr", ["lr_mult", "momentum"], None),
        ("distrib", ["distribution", "gain"], "distribution"),  # cut short
    ],
)
def test_only_plausible_typos_are_suggested(
    word: str, options: list[str], expected: str | None
) -> None:
    assert closest(word, options) == expected
    hint = did_you_mean(word, options)
    assert hint == (None if expected is None else f"did you mean {expected!r}?")


def test_plausible_typo_scales_with_the_length() -> None:
    assert plausible_typo("std", "sdt") and not plausible_typo("std", "mean")
    assert plausible_typo("faster_rcnn_r50", "faster-rcnn_r5O")
    assert not plausible_typo("faster_rcnn_r50", "retinanet_r50")


def _missing_base_hint(tmp_path: Path, base: str, others: list[str]) -> str | None:
    for name in others:
        (tmp_path / name).write_text("a = 1\n")
    config = tmp_path / "child.py"
    config.write_text(f"_base_ = './{base}'\n")
    (found,) = [d for d in initcfg.validate(config) if d.code == "IC202"]
    return found.hint


def test_missing_base_gets_no_far_fetched_suggestion(tmp_path: Path) -> None:
    assert _missing_base_hint(tmp_path, "nope.py", ["wrongtype.py", "nobase.py"]) is None


@pytest.mark.parametrize(
    ("base", "others", "expected"),
    [
        ("shedule_1x.py", ["schedule_1x.py", "runtime.py"], "schedule_1x.py"),
        ("base.py", ["base.yaml", "bases_more.py"], "base.yaml"),  # same name, other suffix
        ("faster_rcnn_r50.py", ["faster-rcnn_r50.py"], "faster-rcnn_r50.py"),
    ],
)
def test_missing_base_suggests_a_near_miss(
    tmp_path: Path, base: str, others: list[str], expected: str
) -> None:
    assert _missing_base_hint(tmp_path, base, others) == f"did you mean {expected!r}?"
