"""``_scope_`` is treated as MMEngine's registry treats it: popped before a class is
built through a registry, an argument like any other where the Runner calls a class
itself. The ``mmdet::`` cases run on the real mmdet 3.3.0 wheel."""

from __future__ import annotations

from pathlib import Path

import mmengine.optim  # noqa: F401  (importing it registers MMEngine's schedulers)
import pytest
import torch
from mmengine.registry import PARAM_SCHEDULERS

from initcfg import validate
from initcfg.check.settings import Settings
from initcfg.check.validate import check_tree
from initcfg.config.load import load_config

SCOPED = """\
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6, _scope_='mmdet')
val_cfg = dict(type='ValLoop', _scope_='mmdet')
test_cfg = dict(type='TestLoop', _scope_='mmdet')
optim_wrapper = dict(
    type='OptimWrapper', _scope_='mmdet',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, _scope_='mmdet'))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500,
         _scope_='mmdet'),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], _scope_='mmdet'),
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, _scope_='mmdet'))
"""


def test_scope_in_registry_built_dicts_is_no_argument(tmp_path: Path) -> None:
    config = tmp_path / "scoped.py"
    config.write_text(SCOPED)
    found = validate(config, fs_checks=False)
    assert not [d for d in found if "_scope_" in d.message], found
    # With the loop typed, the schedulers are checked: both milestones lie past epoch 6.
    assert [(d.code, d.path) for d in found] == [
        ("IC306", "param_scheduler[1].milestones[0]"),
        ("IC306", "param_scheduler[1].milestones[1]"),
    ]


def test_mmengine_pops_scope_before_building() -> None:
    # The truth the rule follows: the registry builds with `_scope_` and never passes it.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    built = PARAM_SCHEDULERS.build(
        dict(type="MultiStepLR", milestones=[1], _scope_="mmengine"),
        default_args=dict(optimizer=optimizer),
    )
    assert type(built).__name__ == "MultiStepLR"
    assert not validate(
        {"param_scheduler": [dict(type="MultiStepLR", milestones=[1], _scope_="mmengine")]}
    )


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("train_cfg = dict(by_epoch=True, max_epochs=6, _scope_='mmdet')\n",
         "EpochBasedTrainLoop takes no argument '_scope_'"),
        ("val_cfg = dict(_scope_='mmdet')\n", "ValLoop takes no argument '_scope_'"),
    ],
)
def test_scope_where_the_runner_calls_the_class_itself_is_an_error(
    tmp_path: Path, text: str, what: str
) -> None:
    # Runner.build_train_loop calls EpochBasedTrainLoop(**cfg) for the by_epoch
    # shorthand, and build_val_loop calls ValLoop(**cfg) without a type: TypeError.
    config = tmp_path / "shorthand.py"
    config.write_text(text)
    assert [d.code for d in validate(config) if what in d.message] == ["IC301"]


FINETUNE = """\
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
train_cfg = dict(max_epochs=6)
"""


def test_mmdet_package_base_has_no_false_errors_and_keeps_ic306(
    mmdet_site: Path, tmp_path: Path
) -> None:
    package_child = tmp_path / "ft.py"
    package_child.write_text(FINETUNE)
    relative_child = tmp_path / "ft_rel.py"
    base = mmdet_site / "mmdet" / ".mim" / "configs" / "faster_rcnn"
    relative_child.write_text(
        FINETUNE.replace("mmdet::faster_rcnn/", f"{base}/")
    )
    by_package = validate(package_child, fs_checks=False)
    by_path = validate(relative_child, fs_checks=False)
    assert not [d for d in by_package if d.severity == "error"], by_package
    expected = [("IC306", "param_scheduler[1].milestones[0]"),
                ("IC306", "param_scheduler[1].milestones[1]")]
    assert [(d.code, d.path) for d in by_package] == expected
    assert [(d.code, d.path) for d in by_path] == expected
    assert {d.config for d in by_package} == {str(package_child)}
    assert all(d.file is not None and d.file.endswith("schedule_1x.py") for d in by_package)


def test_inherited_finding_is_silenced_on_the_childs_base_line(
    mmdet_site: Path, tmp_path: Path
) -> None:
    child = tmp_path / "ft.py"
    child.write_text(
        "_base_ = [  # initcfg: ignore[IC306]\n"
        "    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',\n]\n"
        "train_cfg = dict(max_epochs=6)  # initcfg: ignore[IC306]\n"
    )
    assert validate(child, fs_checks=False) == []
    # --strict: the comment on line 4 silences nothing (the milestones are not there).
    stale = validate(child, fs_checks=False, strict=True)
    assert [(d.code, d.line) for d in stale] == [("IC004", 4)]


@pytest.mark.parametrize(
    ("config", "optimizer"),
    [
        ("swav/swav_resnet50_8xb32-mcrop-coslr-200e_in1k-224px-96px.py", "LARS"),
        ("spark/spark_sparse-resnet50_8xb512-amp-coslr-800e_in1k.py", "Lamb"),
    ],
)
def test_official_mmpretrain_configs_know_mmpretrain_optimizers(
    mmpretrain_site: Path, config: str, optimizer: str
) -> None:
    # default_scope = 'mmpretrain' builds LARS and Lamb from mmpretrain's OPTIMIZERS,
    # which initcfg reads from the installed package's source.
    path = mmpretrain_site / "mmpretrain" / ".mim" / "configs" / config
    tree = load_config(path)
    assert tree.data["default_scope"] == "mmpretrain"
    assert tree.get(("optim_wrapper", "optimizer", "type")) == optimizer
    assert not [d for d in check_tree(tree, Settings(fs_checks=False)) if d.code == "IC304"]
    # The same config without reading the package's names: the optimizer is unknown.
    unknown = check_tree(tree, Settings(fs_checks=False, registered_names=False))
    assert [d.code for d in unknown if optimizer in d.message] == ["IC304"]
