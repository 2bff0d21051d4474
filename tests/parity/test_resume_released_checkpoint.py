"""Differential: ``resume=True`` with ``load_from`` a released checkpoint, which
OpenMMLab's ``publish_model`` tool strips to ``meta`` and ``state_dict``: MMEngine
0.10.7's Runner resumes from ``load_from`` and fails on what the file no longer holds,
after everything is built; ``resume=False`` loads it. initcfg validate says so (IC338)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.runner import Runner  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import initcfg  # noqa: E402
from runner_toy import Toy  # noqa: E402

logging.getLogger("mmengine").setLevel(logging.ERROR)


def _runner(work_dir: Path, **settings: Any) -> Runner:
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(2)], batch_size=1)
    return Runner(
        model=Toy(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        default_hooks=dict(logger=None),
        log_level="ERROR",
        default_scope=None,
        experiment_name=f"resume-{uuid.uuid4().hex}",
        **settings,
    )


def _published(tmp_path: Path) -> Path:
    """A checkpoint of a finished run as OpenMMLab releases it: MMDetection 3.3.0's
    tools/model_converters/publish_model.py keeps its ``meta`` and ``state_dict`` only
    (``save_keys``; the tool itself cannot run here, its ``torch.load`` predates
    ``weights_only``)."""
    _runner(tmp_path / "run").train()
    full = torch.load(tmp_path / "run" / "epoch_1.pth", weights_only=False)
    assert {"meta", "state_dict", "message_hub", "optimizer"} <= set(full)
    released = tmp_path / "released.pth"
    torch.save({key: full[key] for key in ("meta", "state_dict")}, released)
    return released


def _findings(load_from: str, resume: bool, **config: Any) -> list[tuple[str, str | None]]:
    body = {"model": {"type": "RetinaNet"}, "default_scope": "mmdet",
            "load_from": load_from, "resume": resume, **config}
    return [(d.code, d.path) for d in initcfg.validate(body, fs_checks=False)
            if d.code in ("IC338", "IC317")]


def test_resuming_from_a_released_checkpoint_fails_after_the_build(tmp_path: Path) -> None:
    released = _published(tmp_path)
    _runner(tmp_path / "load", load_from=str(released), resume=False).train()
    with pytest.raises(KeyError, match="message_hub"):
        _runner(tmp_path / "resume", load_from=str(released), resume=True).train()


@pytest.mark.parametrize(
    ("load_from", "reported"),
    [
        ("https://download.openmmlab.com/mmdetection/v3.0/rtmdet/rtmdet_tiny_8xb32-300e_coco/"
         "rtmdet_tiny_8xb32-300e_coco_20220902_112414-78e30dcc.pth", True),
        ("http://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k.pth",
         True),
        ("torchvision://resnet50", True),
        ("open-mmlab://detectron2/resnet50_caffe", True),
        # A run's own checkpoint, or one on a server initcfg knows nothing about.
        ("work_dirs/retinanet/epoch_6.pth", False),
        ("https://example.com/checkpoints/epoch_6.pth", False),
    ],
)
def test_resume_with_a_released_checkpoint_is_ic338(load_from: str, reported: bool) -> None:
    assert _findings(load_from, True) == ([("IC338", "resume")] if reported else [])
    assert _findings(load_from, False) == []
