"""Validating a clean real-sized YAML config never reads its node positions: the fast
YAML reader leaves them to be read only for a finding that is shown (issue 15). A
finding made but not shown, such as a dataset's registry type that only a factory
config's loop would refuse (IC321), must not make the reader fill them."""

from __future__ import annotations

from pathlib import Path

import pytest

from initcfg.check.validate import validate
from initcfg.config import yaml_loader

CONFIG = """\
default_scope: mmdet
model:
  type: RetinaNet
  backbone: {type: ResNet, depth: 50, init_cfg: {type: Pretrained, checkpoint: x.pth}}
  bbox_head: {type: RetinaHead, num_classes: 80}
train_dataloader:
  batch_size: 2
  dataset: {type: CocoDataset, data_root: data/coco/}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 12, val_interval: 1}
optim_wrapper: {type: OptimWrapper, optimizer: {type: SGD, lr: 0.01, momentum: 0.9}}
"""


def test_a_clean_registry_config_is_validated_without_filling_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fills: list[object] = []
    original = yaml_loader._Positions.fill

    def counted(self: yaml_loader._Positions) -> None:
        fills.append(self)
        original(self)

    monkeypatch.setattr(yaml_loader._Positions, "fill", counted)
    path = tmp_path / "retinanet.yaml"
    path.write_text(CONFIG)
    found = validate(path, fs_checks=False)
    assert [d.code for d in found if d.severity == "error"] == []
    assert fills == []


def test_a_shown_finding_still_gets_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CONFIG.replace("batch_size: 2", "batch_size: 0"))
    [found] = [d for d in validate(path, fs_checks=False) if d.code == "IC319"]
    assert (found.file, found.line) == (str(path), 7)
