"""Real OpenMMLab packages in tests: import MMPretrain beside the CPU torch, and build
its models from its own shipped configs.

MMPretrain 1.2.0 and mmcv-lite 2.1.0 are pure-Python wheels in the test extras; MMPretrain
imports torchvision (``torchvision.transforms.functional`` in its data transforms). The
torchvision wheel PyPI serves for torch 2.13 is a CUDA build: its compiled ``_C`` library
does not load beside the CPU torch, and ``torchvision/_meta_registrations.py`` then
registers fake kernels for ``torchvision::nms`` and ``torchvision::qnms`` without the
guard its other registrations have, which raises "operator torchvision::nms does not
exist" at import. :func:`import_mmpretrain` defines just those two operator schemas
(no kernels: calling them raises) before importing, and only when the compiled library
cannot be loaded; every other part of torchvision that MMPretrain uses is Python. This is
test set-up only: initcfg itself never imports torchvision for this.

MMDetection 3.3.0 is not in the test extras, and ``mmdet.models`` imports ``mmcv.ops``,
which needs mmcv's compiled extension (mmcv-lite has none): tests/openmmlab_mmdet.py
fetches it and explains how its detectors are built honestly all the same.

Usage::

    from tests.openmmlab import build_mmpretrain, mmpretrain_config
    model = build_mmpretrain(mmpretrain_config("resnet/resnet50_8xb32_in1k.py"))
"""

from __future__ import annotations

import copy
import functools
import glob
import importlib.util
import logging
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

# Kept alive for the whole session: a torch.library.Library drops its definitions when
# it is collected.
_TORCHVISION_SCHEMAS: list[torch.library.Library] = []


def _torchvision_ops_load() -> bool:
    """Whether torchvision's compiled operator library loads (a CPU build does)."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        for library in glob.glob(os.path.join(folder, "_C*.so")):
            try:
                torch.ops.load_library(library)
            except (OSError, RuntimeError):
                return False
            return True
    return False


def make_torchvision_importable() -> None:
    """Define torchvision's ``nms``/``qnms`` schemas when its compiled library cannot
    load (tests/conftest.py calls this once: MMEngine itself imports torchvision when
    it is installed, for its optimizers and transforms)."""
    if _TORCHVISION_SCHEMAS or _torchvision_ops_load():
        return
    library = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        library.define(f"{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _TORCHVISION_SCHEMAS.append(library)


@functools.cache
def import_mmpretrain() -> ModuleType:
    """Import mmpretrain with all its modules registered (see the module docstring)."""
    make_torchvision_importable()
    with warnings.catch_warnings():
        # "Fail to import MultiScaleDeformableAttention": mmcv-lite has no compiled ops.
        warnings.simplefilter("ignore")
        import mmpretrain
        from mmpretrain.utils import register_all_modules

        register_all_modules(init_default_scope=False)
    from mmengine.logging import MMLogger

    MMLogger.get_instance("mmengine").setLevel(logging.ERROR)
    return mmpretrain


def mmpretrain_configs() -> Path:
    """The configs folder shipped inside the mmpretrain wheel."""
    return Path(import_mmpretrain().__file__).parent / ".mim" / "configs"


def mmpretrain_config(relative: str) -> Path:
    """A shipped config by its path under the configs folder."""
    path = mmpretrain_configs() / relative
    assert path.is_file(), f"mmpretrain 1.2.0 ships no config {relative}"
    return path


def model_section(config: str | os.PathLike[str]) -> dict[str, Any]:
    """The config's ``model`` section as MMEngine's ``Config.fromfile`` merges it."""
    from mmengine.config import Config

    return dict(Config.fromfile(str(config)).to_dict()["model"])


def build_mmpretrain(section: dict[str, Any] | str | os.PathLike[str]) -> nn.Module:
    """Build a model through mmpretrain's registry from a ``model`` section or config."""
    import_mmpretrain()
    from mmengine.registry import MODELS, DefaultScope

    cfg = model_section(section) if not isinstance(section, dict) else section
    with DefaultScope.overwrite_default_scope("mmpretrain"):
        model: nn.Module = MODELS.build(copy.deepcopy(cfg))
    return model
