"""InitcfgHook in MMEngine's real Runner on a real MMPretrain classifier (ResNet-18 for
CIFAR from mmpretrain 1.2.0's shipped config): plan and load report, a fine-tune from a
checkpoint MMEngine wrote with a new ``num_classes``, stops, and unchanged weights."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")
pytest.importorskip("mmpretrain")

from mmengine.config import Config  # noqa: E402
from mmengine.registry import DATASETS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine_toy import SEEN  # noqa: E402  (registers WeightProbe)
from torch.utils.data import Dataset  # noqa: E402

from initcfg.mmengine import InitcfgStop  # noqa: E402
from openmmlab import import_mmpretrain, mmpretrain_config, model_section  # noqa: E402

import_mmpretrain()
from mmpretrain.structures import DataSample  # noqa: E402

_names = itertools.count()


@DATASETS.register_module(force=True)
class TinyImages(Dataset):
    """32×32 uint8 images with labels, in MMPretrain's packed form."""

    def __init__(self, size: int = 4, num_classes: int = 10) -> None:
        generator = torch.Generator().manual_seed(1)
        self.images = torch.randint(0, 256, (size, 3, 32, 32), generator=generator)
        self.labels = torch.randint(0, num_classes, (size,), generator=generator).tolist()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = DataSample().set_gt_label(self.labels[index])
        return {"inputs": self.images[index].to(torch.uint8), "data_samples": sample}


def _config(work_dir: Path, num_classes: int = 10, **changes: Any) -> dict[str, Any]:
    model = model_section(mmpretrain_config("resnet/resnet18_8xb16_cifar10.py"))
    model["head"]["num_classes"] = num_classes
    config: dict[str, Any] = {
        "default_scope": "mmpretrain",
        "custom_imports": {"imports": ["initcfg.mmengine"], "allow_failed_imports": False},
        "custom_hooks": [{"type": "InitcfgHook"}],
        "model": model,
        "train_dataloader": {
            "batch_size": 2,
            "num_workers": 0,
            "dataset": {"type": "TinyImages", "size": 4, "num_classes": num_classes},
            "sampler": {"type": "DefaultSampler", "shuffle": False},
            "collate_fn": {"type": "pseudo_collate"},
        },
        "train_cfg": {"by_epoch": True, "max_epochs": 1},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        "default_hooks": {
            "logger": {"type": "LoggerHook", "interval": 1},
            "checkpoint": {"type": "CheckpointHook", "interval": 1},
        },
        "randomness": {"seed": 0},
        "work_dir": str(work_dir),
    }
    config.update(changes)
    return config


def _runner(tmp_path: Path, config: dict[str, Any], *, hook: bool = True) -> Any:
    config = copy.deepcopy(config)
    if not hook:
        config.pop("custom_imports")
        config["custom_hooks"] = [h for h in config["custom_hooks"] if h["type"] != "InitcfgHook"]
    name = f"mmpretrain_{next(_names)}"
    config["experiment_name"] = name
    path = tmp_path / f"{name}.py"
    Config(config).dump(str(path))
    return Runner.from_cfg(Config.fromfile(str(path)))


def _log(runner: Any) -> str:
    return "\n".join(p.read_text() for p in Path(runner.log_dir).glob("*.log"))


def test_finetune_a_real_classifier_with_a_new_head(tmp_path: Path) -> None:
    pretrain = _runner(tmp_path, _config(tmp_path / "pretrain"), hook=False)
    pretrain.train()
    checkpoint = tmp_path / "pretrain" / "epoch_1.pth"
    config = _config(tmp_path / "ft", num_classes=3, load_from=str(checkpoint))
    runner = _runner(tmp_path, config)
    runner.train()
    log = _log(runner)
    assert "Epoch(train) [1][2/2]" in log
    # the plan names the writers MMPretrain's own default init_cfgs configure
    assert "InitcfgHook: init plan: " in log
    assert "backbone.conv1.weight (64, 3, 3, 3): " in log
    assert "head.fc.weight (3, 512): Normal(std=0.01)" in log
    assert "2 skipped for a shape mismatch" in log
    mismatch = "shape mismatch: head.fc.weight (10, 512) in the checkpoint, (3, 512) in the model"
    assert mismatch in log
    fresh = [line for line in log.splitlines() if "keeps its fresh initialization" in line]
    assert [line.split(": ", 1)[1].split(" ")[0] for line in fresh] == [
        "head.fc.weight", "head.fc.bias",
    ]


def test_weights_are_equal_with_and_without_the_hook(tmp_path: Path) -> None:
    for hook in (False, True):
        config = _config(tmp_path / f"hook_{hook}")
        config["custom_hooks"] = [
            *config["custom_hooks"], {"type": "WeightProbe", "name": f"mmpretrain_{hook}"}
        ]
        _runner(tmp_path, config, hook=hook).train()
    without, with_hook = SEEN["mmpretrain_False"], SEEN["mmpretrain_True"]
    assert without.keys() == with_hook.keys() and len(without) > 100
    for key in without:
        assert torch.equal(without[key], with_hook[key]), key


def test_an_init_cfg_error_stops_before_the_first_iteration(tmp_path: Path) -> None:
    config = _config(tmp_path / "broken")
    config["model"]["head"]["init_cfg"] = {"type": "Normal", "layer": "Linear", "std": -1.0}
    runner = _runner(tmp_path, config)
    with pytest.raises(InitcfgStop) as stopped:
        runner.train()
    codes = {d.code for d in stopped.value.diagnostics}
    assert codes and all(code in str(stopped.value.code) for code in codes)
    log = _log(runner)
    assert any(f"error[{code}]" in log for code in codes)
    assert "Epoch(train)" not in log and not list((tmp_path / "broken").glob("*.pth"))


def test_a_layer_typo_is_a_warning_with_its_suggestion(tmp_path: Path) -> None:
    config = _config(tmp_path / "typo")
    config["model"]["head"]["init_cfg"] = {"type": "Normal", "layer": "linear", "std": 0.01}
    config["custom_hooks"] = [{"type": "InitcfgHook", "fail_on": "warning"}]
    runner = _runner(tmp_path, config)
    with pytest.raises(InitcfgStop):
        runner.train()
    log = _log(runner)
    assert "warning[IC115]" in log and "hint: did you mean 'Linear'?" in log
