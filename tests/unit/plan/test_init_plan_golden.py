"""Init plan JSON format 1, pinned: the compiled plans of a few models equal stored files.

The files under ``golden/`` were written by this module before the planner moved out of
the backend; a change to them is a change of the plan format (or of what the planner
finds) and must be deliberate. Paths that depend on the machine (the repository, the
temporary checkpoint) are replaced by placeholders before comparing.

Regenerate (only for a deliberate format change): ``INITCFG_REGEN_GOLDEN=1 pytest THIS``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import golden_models as models
import pytest
import torch

from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[3]


def _normalised(plan: InitPlan, checkpoint: str | None = None) -> str:
    text = json.dumps(plan.to_json(), indent=1, sort_keys=False)
    if checkpoint is not None:
        text = text.replace(json.dumps(checkpoint)[1:-1], "<checkpoint>")
    return text.replace(json.dumps(str(REPO))[1:-1], "<repo>") + "\n"


def _compare(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("INITCFG_REGEN_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name}: the plan differs from {path}"


def _config_plan() -> InitPlan:
    config: dict[str, Any] = {
        "model": {
            "type": "Net",
            "init_cfg": [
                {"type": "Kaiming", "layer": "Conv2d", "mode": "fan_in"},
                {"type": "Constant", "layer": ["BatchNorm2d"], "val": 1},
                {
                    "type": "Normal",
                    "layer": "Linear",
                    "std": 0.01,
                    "bias_prob": 0.01,
                    "override": [
                        {"name": "head", "type": "Xavier", "distribution": "uniform"},
                        {"name": "cls", "type": "Normal", "std": 0.5},
                    ],
                },
            ],
        }
    }
    return compile_init_plan(config, models.Net())


def test_config_with_override_layer_and_bias_prob() -> None:
    plan = _config_plan()
    assert plan.diagnostics  # the override `cls` is not a child of the root: IC401
    _compare("config_override_layer_bias_prob", _normalised(plan))


def test_pretrained_with_prefix(tmp_path: Path) -> None:
    torch.manual_seed(0)
    checkpoint = tmp_path / "detector.pth"
    state = {f"backbone.{k}": v for k, v in models.Backbone().state_dict().items()}
    state["backbone.extra"] = torch.zeros(2)
    torch.save({"state_dict": state}, checkpoint)
    config = {
        "model": {
            "type": "Detector",
            "backbone": {
                "init_cfg": {"type": "Pretrained", "checkpoint": str(checkpoint),
                             "prefix": "backbone"},
            },
            "init_cfg": {"type": "Normal", "layer": "Linear", "std": 0.02},
        },
        "load_from": str(checkpoint),
    }
    plan = compile_init_plan(config, models.Detector())
    _compare("pretrained_prefix", _normalised(plan, str(checkpoint)))


def test_own_init_weights_traced_on_meta() -> None:
    plan = compile_init_plan(None, build_on_meta(models.Traced))
    assert plan.steps and any(step.traced for step in plan.steps)
    _compare("own_init_weights_traced", _normalised(plan))


@pytest.mark.parametrize("name", ["config_override_layer_bias_prob", "own_init_weights_traced"])
def test_golden_files_load_and_dump_back_equal(name: str) -> None:
    value = json.loads((GOLDEN / f"{name}.json").read_text())
    assert InitPlan.from_json(value).to_json() == value


def test_the_shared_plan_method_set(tmp_path: Path) -> None:
    plan = _config_plan()
    value = plan.to_json()
    assert isinstance(value, dict) and value["format"] == 1
    text = plan.dumps()
    assert text == json.dumps(value, indent=2)
    assert "\n" not in plan.dumps(indent=None)
    assert InitPlan.loads(text).to_json() == value
    target = tmp_path / "plan.json"
    plan.save(target)
    assert target.read_text() == text
    assert plan.render_text().splitlines()[0].startswith("parameter")
    with pytest.raises(ValueError):
        InitPlan.loads("{not json")
