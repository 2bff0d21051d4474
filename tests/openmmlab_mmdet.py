"""Real MMDetection 3.3.0 detectors in tests: import mmdet beside mmcv-lite, and build
its detectors from its own shipped configs.

Two things stand between the test extras and ``import mmdet.models``:

* **mmdet and its import-time dependencies are not in the test extras.** mmdet 3.3.0
  and what its model modules import (pycocotools, shapely, scipy, terminaltables, six,
  tqdm) are fetched once with ``pip install --no-deps --target`` into the wheel cache of
  ``tests/openmmlab_wheels.py`` and put on ``sys.path`` only when a test asks for a
  detector. They stay out of the extras on purpose: the extras name what every test run
  installs, and these are a detector test's needs (scipy alone is tens of MB); a machine
  that cannot reach the package index skips those tests with pip's message instead of
  failing to install the whole environment. mmdet asserts ``mmcv>=2.0.0rc4,<2.2.0`` at
  import, which is why the extras pin mmcv-lite 2.1.0 (MMPretrain accepts it too).
* **mmcv-lite has no compiled extension** (``mmcv._ext``). ``mmcv.ops`` modules only
  check, at import, that the operator names exist in it (``ext_loader.load_ext``); they
  call them in ``forward``. :func:`import_mmdet` registers a module ``mmcv._ext`` whose
  every attribute is a function that **raises** ``RuntimeError("compiled mmcv op NAME is
  not available: mmcv-lite")`` when called; it has a module spec, so MMEngine's
  ``mmcv_full_available()`` answers as it would beside the ops the module stands for
  (it then applies ``dcn_offset_lr_mult``). Building a detector and running
  ``init_weights`` call no compiled op (deformable convolutions create their offsets
  with plain ``nn.Conv2d`` and initialize them with ``constant_init``); had either done
  so, the test would fail with that error rather than see a made-up result. Running a
  detector's ``forward`` with such ops is therefore impossible here, and not tested.

This is test set-up only: initcfg itself never installs, imports or fakes any of this;
it builds what the installed registry builds. The torchvision work-around of
``tests/openmmlab.py`` is applied first (MMEngine and mmdet import torchvision).

Usage::

    from openmmlab_mmdet import build_mmdet, from_scratch, model_section
    config = from_scratch("retinanet/retinanet_r50_fpn_1x_coco.py", tmp_path)
    model = build_mmdet(model_section(config))
"""

from __future__ import annotations

import copy
import functools
import importlib.abc
import importlib.machinery
import logging
import sys
import types
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from torch import nn

from openmmlab import make_torchvision_importable, model_section
from openmmlab_wheels import installed_wheel

# mmdet and what `import mmdet.models` needs beyond the test extras, pinned so a cached
# folder is reused (the versions the detector tests were written against).
MMDET_WHEELS = (
    ("mmdet", "3.3.0"),
    ("pycocotools", "2.0.11"),
    ("shapely", "2.2.0"),
    ("scipy", "1.17.1"),
    ("terminaltables", "3.1.10"),
    ("six", "1.17.0"),
    ("tqdm", "4.70.1"),
)


def _missing_op(name: str) -> Any:
    def op(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"compiled mmcv op {name} is not available: mmcv-lite")

    op.__name__ = op.__qualname__ = name
    return op


class _NotLoadable(importlib.abc.Loader):
    """The stand-in's loader: it is registered in ``sys.modules`` and never loaded."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        raise ImportError("mmcv._ext is a test stand-in (tests/openmmlab_mmdet.py)")

    def exec_module(self, module: ModuleType) -> None:
        raise ImportError("mmcv._ext is a test stand-in (tests/openmmlab_mmdet.py)")


def _compiled_ops_raising() -> ModuleType:
    """A stand-in ``mmcv._ext``: every op name exists, and calling any op raises."""
    ext = types.ModuleType("mmcv._ext", "mmcv-lite has no compiled ops; calling one raises")
    # A spec with a loader, as a real extension has: MMEngine's mmcv_full_available()
    # looks it up (pkgutil.find_loader) before it applies dcn_offset_lr_mult to mmcv's
    # deformable convolutions, which exist here because mmcv.ops imported.
    ext.__spec__ = importlib.machinery.ModuleSpec("mmcv._ext", _NotLoadable())

    def lookup(name: str) -> Any:
        if name.startswith("__"):  # module protocol look-ups (__file__, __path__, ...)
            raise AttributeError(name)
        return _missing_op(name)

    ext.__getattr__ = lookup  # type: ignore[method-assign]
    return ext


def _compiled_ops_present() -> bool:
    try:
        import mmcv._ext  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return not getattr(sys.modules["mmcv._ext"], "__doc__", "").startswith("mmcv-lite")


def _bind_deformable_attention() -> None:
    """``mmcv.cnn.bricks.transformer`` try-imports ``MultiScaleDeformableAttention`` from
    ``mmcv.ops`` when it is first imported, and mmdet imports the name from there. When
    MMPretrain was imported first in this process (without ``mmcv._ext``), that import
    failed and the name is missing: bind what the try-import binds now that it works."""
    transformer = sys.modules.get("mmcv.cnn.bricks.transformer")
    if transformer is not None and not hasattr(transformer, "MultiScaleDeformableAttention"):
        from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttention

        transformer.MultiScaleDeformableAttention = MultiScaleDeformableAttention


@functools.cache
def import_mmdet() -> ModuleType:
    """Fetch (once) and import mmdet 3.3.0 with its modules registered (module docstring)."""
    make_torchvision_importable()
    for name, version in MMDET_WHEELS:
        site = str(installed_wheel(name, version))
        if site not in sys.path:
            # In front: the pinned set is what the tests were written against, whatever
            # else the machine has installed.
            sys.path.insert(0, site)
    if not _compiled_ops_present():
        sys.modules["mmcv._ext"] = _compiled_ops_raising()
        _bind_deformable_attention()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mmdet
        import mmdet.models  # imports mmcv.ops: the step that needs mmcv._ext
        from mmdet.utils import register_all_modules

        register_all_modules(init_default_scope=False)
    from mmengine.logging import MMLogger

    MMLogger.get_instance("mmengine").setLevel(logging.ERROR)
    return mmdet


def mmdet_configs() -> Path:
    """The configs folder shipped inside the mmdet wheel."""
    return Path(import_mmdet().__file__).parent / ".mim" / "configs"


def mmdet_config(relative: str) -> Path:
    """A shipped config by its path under the configs folder."""
    path = mmdet_configs() / relative
    assert path.is_file(), f"mmdet 3.3.0 ships no config {relative}"
    return path


def from_scratch(relative: str, folder: Path) -> Path:
    """A config in ``folder`` that is the shipped one with the backbone's Pretrained
    ``init_cfg`` removed, as a train-from-scratch config writes it (``init_cfg=None``:
    mmdet's ResNet then applies its own Kaiming/Constant default)."""
    config = folder / f"scratch_{Path(relative).name}"
    config.write_text(
        f"_base_ = [{str(mmdet_config(relative))!r}]\n"
        "model = dict(backbone=dict(init_cfg=None))\n"
    )
    return config


def build_mmdet(section: dict[str, Any]) -> nn.Module:
    """Build a detector through mmdet's registry from a ``model`` section."""
    import_mmdet()
    from mmengine.config import ConfigDict
    from mmengine.registry import MODELS, DefaultScope

    with DefaultScope.overwrite_default_scope("mmdet"):
        # A ConfigDict, as the runner passes it: detectors read `train_cfg.rpn`.
        model: nn.Module = MODELS.build(ConfigDict(copy.deepcopy(section)))
    return model


__all__ = [
    "MMDET_WHEELS", "build_mmdet", "from_scratch", "import_mmdet", "mmdet_config",
    "model_section",
]
