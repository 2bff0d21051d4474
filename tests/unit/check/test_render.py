"""Renderers: a finding about the whole config names it; counts are in good English."""

from __future__ import annotations

from pathlib import Path

from initcfg import validate
from initcfg.check.render import render_github, render_text
from initcfg.diagnostics import diagnostic


def test_a_finding_without_a_position_names_its_config() -> None:
    whole = diagnostic("IC405", "3 of 10 parameters keep torch's default").at(None, "cfg.py")
    assert render_text([whole]).splitlines()[0] == (
        "cfg.py: info[IC405] 3 of 10 parameters keep torch's default"
    )
    assert render_github([whole]).startswith("::notice file=cfg.py,title=initcfg IC405::")
    assert render_text([diagnostic("IC405", "x")]).startswith("<config>: info[IC405]")


def test_one_class_is_singular(tmp_path: Path) -> None:
    config = tmp_path / "one.py"
    config.write_text(
        "model = dict(roi_head=dict(bbox_head=dict(num_classes=2)))\n"
        "train_dataloader = dict(dataset=dict(metainfo=dict(classes=('cat',))))\n"
    )
    (found,) = validate(config)
    assert found.code == "IC309"
    assert "lists 1 class;" in found.message and "classes;" not in found.message
