"""``initcfg plan --train CONFIG`` on OpenMMLab configs: the model is built by the
package's registry on the meta device, with the refusals of the init plan, and nothing
is downloaded unless ``--download``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from initcfg.cli import main
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config

RESNET18 = "resnet/resnet18_8xb32_in1k.py"
RESNET50 = "resnet/resnet50_8xb32_in1k.py"
URL = "https://download.invalid/initcfg/resnet18.pth"


@pytest.fixture(autouse=True)
def _mmpretrain() -> None:
    import_mmpretrain()  # the test set-up that lets mmpretrain import here


def _derived(tmp_path: Path, body: str, base: str = RESNET18) -> Path:
    config = tmp_path / "finetune.py"
    config.write_text(f"_base_ = [{str(mmpretrain_config(base))!r}]\n{body}")
    return config


def _plan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", *args])
    return result.exit_code, result.output


def test_a_shipped_config_gets_its_parameter_groups_from_the_registry_model() -> None:
    code, output = _plan(str(mmpretrain_config(RESNET50)), "--train")
    assert code == 0, output
    assert "Train plan: ImageClassifier" in output
    # ResNet-50 with its 1000-class head: 161 tensors, 25.56M elements, one group
    assert "161 tensors trained, 0 frozen" in output and "25,557,032" in output
    assert "backbone.conv1.weight" in output
    assert "31-60   0.01" in output
    assert "IC482" not in output  # planned with the model, not without


def test_no_model_still_plans_the_schedule_alone() -> None:
    code, output = _plan(str(mmpretrain_config(RESNET50)), "--train", "--no-model")
    assert code == 0, output
    assert "Train plan: (no model)" in output and "info[IC482]" in output


def test_a_remote_load_from_is_planned_as_loaded_not_inspected(tmp_path: Path) -> None:
    config = _derived(tmp_path, f"load_from = {URL!r}\nmodel = dict(head=dict(num_classes=3))\n")
    code, output = _plan(str(config), "--train")
    assert code == 0, output
    assert f"loads {URL} (not inspected)" in output
    assert "cannot download" not in output
    code, output = _plan(str(config), "--train", "--format", "json")
    assert code == 0, output
    load = json.loads(output)["load"]
    assert load["uninspected"] is True and load["readable"] is False
    code, output = _plan(str(config), "--train", "--download")
    assert "cannot download" in output  # asked to: it tried


def test_a_local_load_from_maps_the_new_head_to_its_registry_init(tmp_path: Path) -> None:
    # A checkpoint of the 1000-class model, fine-tuned with 3 classes: the head's
    # weight and bias are skipped for shape and keep the head's own Normal init.
    checkpoint = tmp_path / "in1k.pth"
    torch.save(build_mmpretrain(mmpretrain_config(RESNET18)).state_dict(), checkpoint)
    # The backbone's Pretrained URL would be downloaded by a planner that ignores
    # --download while it plans the load map after init_weights.
    config = _derived(
        tmp_path,
        f"load_from = {str(checkpoint)!r}\n"
        "model = dict(head=dict(num_classes=3), backbone=dict(init_cfg=dict("
        f"type='Pretrained', checkpoint={URL!r}, prefix='backbone')))\n",
    )
    code, output = _plan(str(config), "--train")
    assert code == 0, output
    assert "skipped for shape" in output and "cannot download" not in output
    assert "head.fc.weight  shape (3, 512), checkpoint (1000, 512)" in output
    fresh = next(line for line in output.splitlines() if "head.fc.weight  shape" in line)
    assert "Normal" in fresh  # LinearClsHead's default init_cfg, as the registry built it


@pytest.mark.parametrize("subcommand", [["--train"], ["train"]], ids=["alias", "plan-train"])
def test_dotted_paths_are_refused_without_trust(tmp_path: Path, subcommand: list[str]) -> None:
    config = _derived(
        tmp_path, "model = dict(backbone=dict(_delete_=True, type='os.system', command='x'))\n"
    )
    args = [*subcommand[:1], str(config)] if subcommand == ["train"] else [str(config), "--train"]
    code, output = _plan(*args)
    assert code == 2, output
    assert "refused to import" in output and "'os.system'" in output
    assert "--trust-python" in output and "--no-model" in output


def test_custom_imports_are_not_imported_and_the_message_says_so(tmp_path: Path) -> None:
    config = _derived(
        tmp_path,
        "custom_imports = dict(imports=['initcfg_no_such_plugin'])\n"
        "model = dict(backbone=dict(_delete_=True, type='PluginBackbone'))\n",
    )
    code, output = _plan(str(config), "--train")
    assert code == 2
    assert "custom_imports (initcfg_no_such_plugin) were not imported" in output
    code, output = _plan(str(config), "--train", "--trust-python")
    assert code == 2 and "cannot import 'initcfg_no_such_plugin'" in output


def test_a_registered_optimizer_is_known_to_the_training_plan(tmp_path: Path) -> None:
    config = _derived(
        tmp_path,
        "optim_wrapper = dict(optimizer=dict(_delete_=True, type='LARS', lr=0.3, "
        "momentum=0.9, weight_decay=1e-6))\n",
    )
    code, output = _plan(str(config), "--train")
    assert code == 0, output
    assert "optimizer: LARS(lr=0.3, momentum=0.9, weight_decay=1e-06)" in output
    assert "IC304" not in output  # mmpretrain registers LARS: validate knows it, so does plan
