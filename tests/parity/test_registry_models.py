"""``initcfg plan CONFIG`` on OpenMMLab configs: the model is built by the package's
MMEngine registry (on meta for planning), only registered classes, nothing downloaded."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from test_init_harness import assert_same

from initcfg.cli import main
from initcfg.config.load import load_config
from initcfg.errors import FactoryError
from initcfg.plan.registry_model import build_registry_model, registry_scope
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config, model_section

RESNET18 = "resnet/resnet18_8xb32_in1k.py"


@pytest.fixture(autouse=True)
def _mmpretrain() -> None:
    import_mmpretrain()  # the test set-up that lets mmpretrain import here


def _derived(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "derived.py"
    config.write_text(f"_base_ = [{str(mmpretrain_config(RESNET18))!r}]\n{body}")
    return config


def test_the_scope_comes_from_default_scope_scope_key_or_a_scoped_type() -> None:
    assert registry_scope(load_config(mmpretrain_config(RESNET18))) == "mmpretrain"
    from initcfg.config.load import tree_from_mapping

    assert registry_scope(tree_from_mapping({"model": {"type": "mmdet.RetinaNet"}})) == "mmdet"
    scoped = {"model": {"type": "RetinaNet", "_scope_": "mmdet"}}
    assert registry_scope(tree_from_mapping(scoped)) == "mmdet"
    assert registry_scope(tree_from_mapping({"model": {"type": "pkg.mod:build"}})) is None
    assert registry_scope(tree_from_mapping({"model": {"type": "os.system"}})) is None


def test_registry_build_is_on_meta_by_default() -> None:
    model = build_registry_model(load_config(mmpretrain_config(RESNET18)))
    assert type(model).__name__ == "ImageClassifier"
    assert all(t.is_meta for t in [*model.parameters(), *model.buffers()])


def test_plan_prints_the_plan_of_a_shipped_config() -> None:
    result = CliRunner().invoke(main, ["plan", str(mmpretrain_config(RESNET18))])
    assert result.exit_code == 0, result.output
    assert "backbone.conv1.weight" in result.output
    assert "62 parameters" in result.output


def test_plan_apply_is_bit_exact_with_mmengine(tmp_path: Path) -> None:
    output = tmp_path / "weights.pth"
    config = str(mmpretrain_config(RESNET18))
    result = CliRunner().invoke(
        main, ["plan", config, "--apply", "--seed", "5", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    # --seed seeds before the build, as MMEngine's Runner does: every tensor, the ones
    # the constructor alone makes included, is MMEngine's
    torch.manual_seed(5)
    theirs = build_mmpretrain(copy.deepcopy(model_section(config)))
    theirs.init_weights()
    ours = build_mmpretrain(copy.deepcopy(model_section(config)))
    ours.load_state_dict(torch.load(output, weights_only=True))
    assert_same(theirs, ours)


@pytest.mark.parametrize(
    "body",
    [
        "model = dict(type='os.system')\n",
        "model = dict(backbone=dict(_delete_=True, type='collections.OrderedDict'))\n",
    ],
    ids=["model", "backbone"],
)
def test_dotted_paths_are_refused_without_trust(tmp_path: Path, body: str) -> None:
    config = _derived(tmp_path, body)
    with pytest.raises(FactoryError, match="refused to import"):
        build_registry_model(load_config(config))
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 2
    assert "refused to import" in result.output and "--trust-python" in result.output


def test_custom_imports_are_not_imported_and_the_message_says_so(tmp_path: Path) -> None:
    config = _derived(
        tmp_path,
        "custom_imports = dict(imports=['initcfg_no_such_plugin'])\n"
        "model = dict(backbone=dict(_delete_=True, type='PluginBackbone'))\n",
    )
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 2
    assert "custom_imports (initcfg_no_such_plugin) were not imported" in result.output
    trusted = CliRunner().invoke(main, ["plan", str(config), "--trust-python"])
    assert trusted.exit_code == 2 and "initcfg_no_such_plugin" in trusted.output
    assert "were not imported" not in trusted.output


def test_remote_checkpoints_are_not_downloaded_while_planning(tmp_path: Path) -> None:
    url = "https://download.invalid/initcfg/resnet18.pth"
    config = _derived(
        tmp_path,
        "model = dict(head=dict(init_cfg=dict(type='Pretrained', "
        f"checkpoint={url!r}, prefix='head')))\n",
    )
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 0, result.output
    assert f"loads {url} (not inspected)" in result.output
    downloading = CliRunner().invoke(main, ["plan", str(config), "--download"])
    assert downloading.exit_code == 1
    assert "cannot download" in downloading.output


def test_a_torchvision_built_for_another_torch_is_named_as_the_cause() -> None:
    # Run as a user would, without the test set-up that makes this torchvision import:
    # mmpretrain imports it, and its registration against torch's C++ library fails.
    import subprocess
    import sys

    from openmmlab import _torchvision_ops_load

    if _torchvision_ops_load():
        pytest.skip("this torchvision matches torch: nothing to report")
    run = subprocess.run(
        [sys.executable, "-m", "initcfg", "plan", str(mmpretrain_config(RESNET18))],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert "torchvision::nms" in run.stderr
    assert f"built for another torch than {torch.__version__}" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("body", "name", "hint"),
    [
        ("model = dict(backbone=dict(type='ResNett'))\n", "ResNett", "did you mean 'ResNet'?"),
        ("model = dict(type='ImageClassifer')\n", "ImageClassifer",
         "did you mean 'ImageClassifier'?"),
        ("model = dict(neck=dict(type='NoSuchNeckAtAll'))\n", "NoSuchNeckAtAll",
         "check the spelling, or register the class"),
    ],
)
def test_an_unregistered_type_is_named_and_not_sent_to_trust_python(
    tmp_path: Path, body: str, name: str, hint: str
) -> None:
    config = _derived(tmp_path, body)
    with pytest.raises(FactoryError) as raised:
        build_registry_model(load_config(config))
    assert raised.value.message.startswith(f"type {name!r} is not registered in mmpretrain's")
    assert raised.value.hint == hint
    where = raised.value.path
    assert where[-1] == "type" and load_config(config).location(where).file == str(config)
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 2
    assert "--trust-python" not in result.output and hint in result.output
