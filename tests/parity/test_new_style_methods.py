"""New-style (``read_base``) configs and the ConfigDict methods configs call on inherited
values, loaded by initcfg and by MMEngine 0.10.7: the results must be equal.

The tree below is written for these tests; it uses every pattern that MMPretrain's
``mmpretrain/configs`` (v1.2.0) and MMPose's ``mmpose/configs`` (v1.3.2) use: relative
``from .._base_.x import *`` and named imports inside ``with read_base():``, classes
imported from packages (kept as their dotted names), ``merge`` with ``_delete_``,
``update`` with keywords and with a dict, lists built with ``range``/``list``/``tuple``
and extended with ``append``, and a config inheriting a config that inherits bases.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import initcfg
from initcfg.config.loaded import clear_cache
from initcfg.errors import ConfigLoadError

pytest.importorskip("mmengine")


def mmengine_dict(path: Path) -> dict[str, Any]:
    from mmengine.config import Config

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result: dict[str, Any] = Config.fromfile(str(path)).to_dict()
    return result


def normalized(value: Any) -> Any:
    """Tuples as lists (the loaders agree on which is which; this compares values)."""
    if isinstance(value, dict):
        return {key: normalized(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalized(child) for child in value]
    return value


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())


def same_as_mmengine(path: Path) -> dict[str, Any]:
    """initcfg's result for ``path``, after checking it equals MMEngine's."""
    tree = initcfg.load_config(path)
    assert [item for item in tree.diagnostics if item.severity != "info"] == []
    ours = tree.to_dict()
    theirs = mmengine_dict(path)
    assert normalized(ours) == normalized(theirs)
    assert list(ours) == list(theirs), "top-level keys in another order"
    return ours


TREE = {
    "_base_/models/small_net.py": """
        from mmengine.model import NormalInit
        from torch.nn import Hardswish
        from torch.nn import Linear as StackedHead

        model = dict(
            type='ImageClassifier',
            backbone=dict(type='Net', arch='small', act_cfg=dict(type=Hardswish),
                          init_cfg=dict(type=NormalInit, std=0.01, layer=['Conv2d'])),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type=StackedHead, num_classes=1000, in_channels=576,
                      mid_channels=[1280], dropout_rate=0.2,
                      loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)),
        )
    """,
    "_base_/datasets/cifar.py": """
        from mmengine.dataset import DefaultSampler

        dataset_type = 'CIFAR10'
        data_preprocessor = dict(num_classes=10, mean=[125.307, 122.961, 113.8575],
                                 std=[51.5, 50.8, 51.2], to_rgb=False)
        train_pipeline = [
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]
        test_pipeline = [dict(type='PackInputs')]
        train_dataloader = dict(
            batch_size=16, num_workers=2,
            dataset=dict(type=dataset_type, data_root='data/cifar10', split='train',
                         pipeline=train_pipeline),
            sampler=dict(type=DefaultSampler, shuffle=True),
        )
        val_dataloader = dict(
            batch_size=16, num_workers=2,
            dataset=dict(type=dataset_type, data_root='data/cifar10', split='test',
                         pipeline=test_pipeline),
            sampler=dict(type=DefaultSampler, shuffle=False),
        )
        val_evaluator = dict(type='Accuracy', topk=(1,))
        test_dataloader = val_dataloader
        test_evaluator = val_evaluator
    """,
    "_base_/schedules/sgd_200e.py": """
        from mmengine.optim import MultiStepLR, OptimWrapper
        from torch.optim import SGD

        optim_wrapper = dict(type=OptimWrapper,
                             optimizer=dict(type=SGD, lr=0.1, momentum=0.9,
                                            weight_decay=0.0001))
        param_scheduler = dict(type=MultiStepLR, by_epoch=True, milestones=[100, 150],
                               gamma=0.1)
        train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
        val_cfg = dict()
        test_cfg = dict()
        auto_scale_lr = dict(base_batch_size=128)
    """,
    "_base_/default_runtime.py": """
        from mmengine.hooks import CheckpointHook, IterTimerHook, LoggerHook

        default_scope = 'mmpretrain'
        default_hooks = dict(
            timer=dict(type=IterTimerHook),
            logger=dict(type=LoggerHook, interval=100),
            checkpoint=dict(type=CheckpointHook, interval=1),
        )
        env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
        log_level = 'INFO'
        load_from = None
        resume = False
        randomness = dict(seed=None, deterministic=False)
    """,
    # The mobilenet_v3 cifar10 pattern: merge with `_delete_`, merge of schedules.
    "net/net_8xb16_cifar10.py": """
        # A new-style config: bases read with `read_base`, classes imported.
        from mmengine.config import read_base

        with read_base():
            from .._base_.models.small_net import *
            from .._base_.datasets.cifar import *
            from .._base_.schedules.sgd_200e import *
            from .._base_.default_runtime import *

        from mmengine.optim import CosineAnnealingLR

        model.merge(
            dict(
                head=dict(
                    _delete_=True,
                    type=StackedHead,
                    num_classes=10,
                    in_channels=576,
                    mid_channels=[1280],
                    act_cfg=dict(type=Hardswish),
                    loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
                    topk=(1, 5))))
        param_scheduler.merge(dict(type=CosineAnnealingLR, by_epoch=True, T_max=200))
        train_cfg.merge(dict(by_epoch=True, max_epochs=200))
        train_dataloader.merge(dict(batch_size=256))
    """,
    # The swin/vit pattern: update with keywords, with a dict, nested dicts; a
    # pipeline written here and stored into an inherited loader.
    "net/net_large_in1k.py": """
        from mmengine.config import read_base

        with read_base():
            from .._base_.models.small_net import *
            from .._base_.datasets.cifar import *
            from .._base_.schedules.sgd_200e import *
            from .._base_.default_runtime import *

        from mmengine.model import ConstantInit, TruncNormalInit
        from torch.optim import AdamW

        max_epochs = 300
        model.update(
            backbone=dict(arch='large', drop_path_rate=0.5),
            head=dict(num_classes=1000,
                      init_cfg=[dict(type=TruncNormalInit, layer='Linear', std=0.02),
                                dict(type=ConstantInit, layer='LayerNorm', val=1.0)]),
        )
        train_pipeline = [
            dict(type='RandomResizedCrop', scale=224, backend='pillow'),
            dict(type='PackInputs'),
        ]
        train_dataloader.update(batch_size=128, dataset=dict(pipeline=train_pipeline))
        val_dataloader.update(dataset=dict(pipeline=test_pipeline))
        optim_wrapper.update(optimizer=dict(type=AdamW, lr=5e-4 * 1024 / 512,
                                            weight_decay=0.05),
                             clip_grad=dict(max_norm=5.0))
        train_cfg.update(max_epochs=max_epochs, val_interval=10)
        randomness.update(seed=0, diff_rank_seed=True)
        randomness.update(dict(deterministic=True))
        default_hooks.update(checkpoint=dict(max_keep_ckpts=3, save_best='auto'))
        auto_scale_lr.update(base_batch_size=1024)
    """,
    # A config that inherits a config: named and aliased imports, ranges, lists.
    "net/net_8xb16_cifar10_finetune.py": """
        from mmengine.config import read_base

        with read_base():
            from .net_8xb16_cifar10 import *
            from .._base_.default_runtime import default_hooks as hooks

        joints = list(range(3, 9))
        flip_pairs = [(i, i + 1) for i in range(0, 6, 2)] + [(20, 21)]
        sigmas = tuple(round(0.025 * i, 3) for i in range(1, 5))
        extra_pipelines = []
        for name in ('RandomFlip', 'PackInputs'):
            extra_pipelines.append(dict(type=name))
        model.backbone.update(frozen_stages=2)
        model.merge(dict(head=dict(num_classes=5, loss=dict(_delete_=True, type='FocalLoss'))))
        model.merge(dict(data_preprocessor=dict(_delete_=True, num_classes=5)))
        load_from = 'checkpoints/net_8xb16_cifar10.pth'
        hooks.update(logger=dict(interval=10))
        default_hooks = hooks
    """,
}


@pytest.fixture
def tree_root(tmp_path: Path) -> Path:
    write_files(tmp_path / "configs", TREE)
    return tmp_path / "configs"


def test_merge_with_delete_like_mobilenet_v3(tree_root: Path) -> None:
    result = same_as_mmengine(tree_root / "net/net_8xb16_cifar10.py")
    head = result["model"]["head"]
    assert head["num_classes"] == 10 and "dropout_rate" not in head and "_delete_" not in head
    assert head["type"] == "torch.nn.Linear"
    assert result["param_scheduler"]["type"] == "mmengine.optim.CosineAnnealingLR"
    assert result["param_scheduler"]["milestones"] == [100, 150]  # merged, not replaced
    assert result["train_dataloader"]["batch_size"] == 256


def test_update_like_swin_and_vit(tree_root: Path) -> None:
    result = same_as_mmengine(tree_root / "net/net_large_in1k.py")
    assert result["model"]["backbone"]["arch"] == "large"
    assert result["model"]["backbone"]["type"] == "Net"  # update merges nested dicts
    assert result["train_dataloader"]["dataset"]["pipeline"][0]["type"] == "RandomResizedCrop"
    assert result["randomness"] == {"seed": 0, "deterministic": True, "diff_rank_seed": True}


def test_config_inheriting_a_new_style_config(tree_root: Path) -> None:
    result = same_as_mmengine(tree_root / "net/net_8xb16_cifar10_finetune.py")
    assert result["model"]["head"]["loss"] == {"type": "FocalLoss"}
    assert result["model"]["data_preprocessor"] == {"num_classes": 5}
    assert result["joints"] == [3, 4, 5, 6, 7, 8]
    assert result["default_hooks"]["logger"]["interval"] == 10
    assert "hooks" in result  # a name bound by a named base import is a config key


def test_a_failing_method_call_is_not_a_partial_result(tree_root: Path) -> None:
    path = tree_root / "net/broken.py"
    path.write_text(
        "from mmengine.config import read_base\n"
        "with read_base():\n"
        "    from .._base_.models.small_net import *\n"
        "model.merge(dict(head=dict(num_classes=10)))\n"
        "model.no_such_method(1)\n"
    )
    with pytest.raises(Exception):  # noqa: B017 - MMEngine fails too, any way it likes
        mmengine_dict(path)
    with pytest.raises(ConfigLoadError) as caught:
        initcfg.load_config(path)
    [problem] = caught.value.diagnostics
    assert (problem.code, problem.line) == ("IC207", 5)
    assert [item.code for item in initcfg.validate(path)] == ["IC207"]


# ---------------------------------------------------------------------------------------
# Each method against MMEngine, on a value inherited through `read_base()` and (the same
# body) through a classic `_base_`.

METHOD_BASE = """
cfg = dict(
    type='Net',
    depth=50,
    layers=[1, 2, dict(kind='x')],
    inner=dict(a=1, b=dict(c=2, d=[3, 4]), keep='yes'),
    scalar=3,
)
other = dict(k='v')
"""

METHOD_CASES = {
    "merge_nested": "cfg.merge(dict(inner=dict(b=dict(c=20), new=1), added=[5]))",
    "merge_delete_nested": "cfg.merge(dict(inner=dict(b=dict(_delete_=True, z=9))))",
    "merge_delete_top": "cfg.merge(dict(inner=dict(_delete_=True, only=1), depth=101))",
    "merge_delete_everything": "cfg.merge(dict(_delete_=True, type='Other', layers=[]))",
    "merge_delete_false": "cfg.merge(dict(inner=dict(_delete_=False, a=5)))",
    "merge_delete_new_key": (
        "cfg.merge(dict(fresh=dict(_delete_=True, x=1, deeper=dict(_delete_=True, y=2))))"
    ),
    "merge_list_replaces": "cfg.merge(dict(layers=[dict(kind='y')], inner=dict(b=dict(d=[0]))))",
    "merge_dict_over_scalar": "cfg.merge(dict(scalar=dict(_delete_=True, now='dict')))",
    "merge_scalar_over_dict": "cfg.merge(dict(inner=7))",
    "merge_then_mutate_source": (
        "patch = dict(inner=dict(a=100))\ncfg.merge(patch)\npatch['inner']['a'] = -1\n"
        "result = patch"
    ),
    "merge_then_attribute": (
        "cfg.merge(dict(head=dict(num_classes=3)))\ncfg.head.num_classes = 4\n"
        "cfg.head.update(extra=dict(z=1))\ncfg.head.extra.merge(dict(w=2))"
    ),
    "merge_a_config_dict": "cfg.merge(other)",
    "update_keywords": "cfg.update(depth=101, inner=dict(b=dict(c=5)), extra=[1])",
    "update_dict": "cfg.update(dict(inner=dict(a=dict(now='dict')), layers=[0]))",
    "update_keeps_delete": "cfg.update(inner=dict(_delete_=True, a=3))",
    "get": (
        "depth = cfg.get('depth')\nmissing = cfg.get('nope')\nfallback = cfg.get('nope', 7)\n"
        "inner_c = cfg.get('inner').get('b').get('c')"
    ),
    "pop": (
        "depth = cfg.pop('depth')\nmissing = cfg.pop('nope')\nfallback = cfg.pop('nope', 8)\n"
        "c = cfg.inner.b.pop('c')"
    ),
    "setdefault": (
        "old = cfg.setdefault('depth', 1)\nnew = cfg.setdefault('fresh', dict(a=1))\n"
        "new['a'] = 2\nnothing = cfg.setdefault('empty')"
    ),
    "copy": (
        "twin = cfg.copy()\ntwin.depth = 18\ntwin.inner.a = 'shared'\n"
        "twin.layers.append('copy only')"
    ),
    "deepcopy_method": "twin = cfg.deepcopy()\ntwin.inner.a = 'copy only'\ntwin.layers.pop()",
    "to_dict": "plain = cfg.to_dict()\nplain['inner']['a'] = 'copy only'",
    "keys_values_items": (
        "names = list(cfg.keys())\ncount = len(cfg.values())\n"
        "pairs = [k for k, v in cfg.items() if isinstance(v, (int, str))]\n"
        "has = 'depth' in cfg.keys()\nfirst = list(cfg.inner.values())[0]"
    ),
    "clear_and_refill": "cfg.inner.b.clear()\ncfg.inner.b.update(c=0)",
}


def _method_tree(root: Path, style: str, body: str) -> Path:
    if style == "new":
        head = (
            "from mmengine.config import read_base\n"
            "with read_base():\n"
            "    from .base import *\n"
        )
    else:
        head = "_base_ = './base.py'\ncfg = _base_.cfg\nother = _base_.other\n"
    write_files(root, {"base.py": METHOD_BASE, "child.py": head + body + "\n"})
    return root / "child.py"


@pytest.mark.parametrize("style", ["new", "classic"])
@pytest.mark.parametrize("case", sorted(METHOD_CASES))
def test_config_dict_method_as_mmengine(tmp_path: Path, style: str, case: str) -> None:
    path = _method_tree(tmp_path, style, METHOD_CASES[case])
    same_as_mmengine(path)


def test_merge_delete_results(tmp_path: Path) -> None:
    """What the parity above means, spelled out for `_delete_` inside `merge`."""
    path = _method_tree(tmp_path, "new", METHOD_CASES["merge_delete_nested"])
    assert same_as_mmengine(path)["cfg"]["inner"] == {"a": 1, "b": {"z": 9}, "keep": "yes"}
    clear_cache()
    path = _method_tree(tmp_path, "new", METHOD_CASES["merge_delete_new_key"])
    # Nothing to merge into: the outer `_delete_` goes, the one deeper inside stays.
    assert same_as_mmengine(path)["cfg"]["fresh"] == {
        "x": 1, "deeper": {"_delete_": True, "y": 2}
    }


def test_merge_keeps_locations(tmp_path: Path) -> None:
    path = _method_tree(tmp_path, "new", "cfg.merge(dict(inner=dict(a=5)))")
    tree = initcfg.load_config(path)
    assert tree.to_dict()["cfg"]["inner"] == {"a": 5, "b": {"c": 2, "d": [3, 4]}, "keep": "yes"}
    changed = tree.location(("cfg", "inner", "a"))
    kept = tree.location(("cfg", "inner", "keep"))
    assert changed is not None and (Path(changed.file).name, changed.line) == ("child.py", 4)
    assert kept is not None and Path(kept.file).name == "base.py"


PACKAGE = {
    # An installed package's own new-style configs, as `mmdet.configs` and
    # `mmpose.configs` ship them: read through `from <package>.configs... import *`.
    "initcfg_pkg_demo/__init__.py": "",
    "initcfg_pkg_demo/configs/__init__.py": "",
    "initcfg_pkg_demo/configs/_base_/__init__.py": "",
    "initcfg_pkg_demo/configs/_base_/default_runtime.py": """
        from mmengine.hooks import CheckpointHook, LoggerHook
        from initcfg_pkg_demo.engine import PoseVisHook

        default_scope = 'initcfg_pkg_demo'
        default_hooks = dict(logger=dict(type=LoggerHook, interval=50),
                             checkpoint=dict(type=CheckpointHook, interval=10),
                             visualization=dict(type=PoseVisHook, enable=False))
        log_level = 'INFO'
    """,
    "initcfg_pkg_demo/configs/_base_/model.py": """
        from mmengine.config import read_base

        with read_base():
            from .default_runtime import *

        from initcfg_pkg_demo.models import TopdownPoseEstimator

        model = dict(type=TopdownPoseEstimator, head=dict(out_channels=17))
    """,
}


def test_package_bases_and_lazy_package_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_files(site, PACKAGE)
    monkeypatch.syspath_prepend(str(site))
    write_files(tmp_path / "project", {
        "configs/pose.py": """
            from mmengine.config import read_base

            with read_base():
                from initcfg_pkg_demo.configs._base_.model import *
                from .._base_.schedule import *

            from initcfg_pkg_demo.models import RTMCCHead

            codec = dict(type='SimCCLabel', input_size=(192, 256), sigma=(4.9, 5.66))
            model.merge(dict(head=dict(_delete_=True, type=RTMCCHead, out_channels=133,
                                       decoder=codec)))
            default_hooks.update(checkpoint=dict(save_best='coco/AP', rule='greater'))
            train_cfg.update(max_epochs=270)
            custom_hooks = []
            custom_hooks.append(dict(type='EMAHook', momentum=0.0002))
        """,
        "_base_/schedule.py": """
            train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=10)
        """,
    })
    result = same_as_mmengine(tmp_path / "project/configs/pose.py")
    assert result["model"]["type"] == "initcfg_pkg_demo.models.TopdownPoseEstimator"
    assert result["model"]["head"]["type"] == "initcfg_pkg_demo.models.RTMCCHead"
    assert result["default_hooks"]["visualization"]["type"] == "initcfg_pkg_demo.engine.PoseVisHook"
    assert result["default_hooks"]["checkpoint"]["interval"] == 10
    assert result["train_cfg"]["max_epochs"] == 270
