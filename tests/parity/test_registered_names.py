"""What validate knows of a scope package's registered names, read from its source
without importing it: checked against mmpretrain 1.2.0's real registries, and used for
optimizer, scheduler and layer names (accepted, and the source of "did you mean")."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.check.registered import scope_names
from initcfg.cli import main
from openmmlab import import_mmpretrain

CONFIG = """\
{scope}
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, init_cfg=[
        dict(type='Kaiming', layer={conv!r}),
        dict(type='Constant', val=1, layer={scale!r}),
    ]),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=512))
optim_wrapper = dict(optimizer=dict(type={optimizer!r}, lr=0.1))
param_scheduler = [dict(type={scheduler!r}, T_max=10)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
train_dataloader = dict(batch_size=2, dataset=dict(type='ImageNet', data_root='data'))
"""
NAMES = dict(
    conv="ConvModule",  # mmcv's, in MMEngine's root registry
    scale="LayerScale",  # an mmpretrain module class, not registered
    optimizer="LARS",  # mmpretrain's OPTIMIZERS
    scheduler="CosineAnnealingWeightDecay",  # mmpretrain's PARAM_SCHEDULERS
)


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # not the user's


def _validate(tmp_path: Path, scope: str = "default_scope = 'mmpretrain'", **names: str) -> list[
    dict[str, object]
]:
    config = tmp_path / "config.py"
    config.write_text(CONFIG.format(scope=scope, **{**NAMES, **names}))
    result = CliRunner().invoke(main, ["validate", "--strict", "--format", "json", str(config)])
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, object]] = json.loads(result.output)
    return found


def test_the_names_read_from_source_cover_mmpretrain_s_real_registries() -> None:
    import_mmpretrain()  # imports mmpretrain and runs register_all_modules
    from mmpretrain.registry import MODELS, OPTIMIZERS, PARAM_SCHEDULERS

    names = scope_names(frozenset({"mmpretrain"}))
    for registry, read in (
        (MODELS, names.models),
        (OPTIMIZERS, names.optimizers),
        (PARAM_SCHEDULERS, names.schedulers),
    ):
        # mmpretrain's own registry and MMEngine's root one it falls back to, where
        # mmcv registers its layers; the classes of those two packages (MMEngine's own
        # and torch's are initcfg's tables; placeholders for missing extras are not
        # classes).
        real = {
            name
            for level in (registry, registry.parent)
            for name, value in level.module_dict.items()
            if inspect.isclass(value) and value.__module__.split(".")[0] in ("mmpretrain", "mmcv")
        }
        assert real, registry.name
        assert real <= read, sorted(real - read)
    assert {"LARS", "Lamb", "Adan"} <= names.optimizers
    assert "MViT" in names.models  # registered as @BACKBONES.register_module()
    assert "LayerScale" in names.classes


def test_registered_names_are_accepted_under_the_scope(tmp_path: Path) -> None:
    assert _validate(tmp_path) == []


def test_without_the_scope_they_are_unknown(tmp_path: Path) -> None:
    found = _validate(tmp_path, scope="")
    assert {(d["code"], d["path"]) for d in found} == {
        ("IC304", "optim_wrapper.optimizer.type"),
        ("IC119", "model.backbone.init_cfg[0].layer"),
        ("IC119", "model.backbone.init_cfg[1].layer"),
    }
    optimizer = next(d for d in found if d["code"] == "IC304")
    assert "must be registered by your project" in str(optimizer["message"])


def test_a_scope_type_spelling_names_the_scope(tmp_path: Path) -> None:
    found = _validate(tmp_path, scope="", optimizer="mmpretrain.LARS")
    assert not [d for d in found if d["code"] == "IC304"]


@pytest.mark.parametrize(
    ("key", "typo", "meant", "path"),
    [
        ("optimizer", "LRAS", "LARS", "optim_wrapper.optimizer.type"),
        ("scheduler", "CosineAnnealingWeightDecy", "CosineAnnealingWeightDecay",
         "param_scheduler[0].type"),
        ("conv", "ConvModul", "ConvModule", "model.backbone.init_cfg[0].layer"),
        ("scale", "LayerScal", "LayerScale", "model.backbone.init_cfg[1].layer"),
    ],
)
def test_a_typo_gets_the_registered_name_as_its_hint(
    tmp_path: Path, key: str, typo: str, meant: str, path: str
) -> None:
    found = _validate(tmp_path, **{key: typo})
    assert [(d["path"], d["hint"]) for d in found] == [(path, f"did you mean {meant!r}?")]


@pytest.mark.parametrize("scope", ["", "default_scope = 'mmpretrain'"], ids=["none", "scoped"])
def test_validate_imports_no_package_and_no_torch(tmp_path: Path, scope: str) -> None:
    # The names are read from the package's files: nothing of it (nor torch) is
    # imported, with a scope or without one.
    config = tmp_path / "config.py"
    config.write_text(CONFIG.format(scope=scope, **NAMES))
    probe = (
        "import sys, initcfg; initcfg.validate(sys.argv[1]); "
        "print(sorted(m for m in ('torch', 'mmengine', 'mmcv', 'mmpretrain') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(config)], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]", run.stderr
