"""MMDetection 3.3.0 configs with the real wheel: what works without mmcv's compiled ops
(validate reads mmdet's registered names from its source) and what does not (building
a detector needs ``import mmdet.models``, which loads mmcv's compiled extension), said
plainly (exit 2, no traceback). See docs/plans.md, "Registry models"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.check.registered import registered_names
from initcfg.cli import main
from openmmlab_wheels import installed_wheel, put_on_path

TESTS = Path(__file__).resolve().parents[1]
RETINANET = "retinanet/retinanet_r50_fpn_1x_coco.py"
# mmdet's own dependencies that the test extras do not install (numpy and matplotlib
# they do); register_all_modules imports mmdet.datasets, which needs them, first.
MMDET_DEPS = [
    ("pycocotools", "2.0.11"), ("shapely", "2.2.0"), ("scipy", "1.17.1"), ("six", "1.17.0"),
    ("terminaltables", "3.1.10"), ("tqdm", "4.70.1"),
]


@pytest.fixture
def mmdet_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    site = installed_wheel("mmdet", "3.3.0")
    put_on_path(site, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return site


def _finetune(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "retinanet_ft.py"
    config.write_text(f"_base_ = ['mmdet::{RETINANET}']\n{body}")
    return config


def test_mmdet_s_names_are_read_without_importing_it(mmdet_site: Path, tmp_path: Path) -> None:
    names = registered_names("mmdet")
    assert names is not None
    assert {"RetinaNet", "FasterRCNN", "RetinaHead", "FPN"} <= names.models
    assert "QuadraticWarmupLR" in names.schedulers
    config = _finetune(
        tmp_path,
        "model = dict(bbox_head=dict(num_classes=3, init_cfg=dict(type='Normal', "
        "layer='ConvModul', std=0.01)))\n"
        "param_scheduler = [dict(type='QuadraticWarmupLR', end=500, by_epoch=False),\n"
        "                   dict(type='QuadraticWarmupLRR', end=500, by_epoch=False)]\n",
    )
    # The detector tests may have imported mmdet into this process already: what counts
    # is that validate imports no module of it.
    loaded = set(sys.modules)
    result = CliRunner().invoke(main, ["validate", "--strict", "--format", "json", str(config)])
    found = json.loads(result.output)
    assert [(d["path"], d["hint"]) for d in found] == [
        ("model.bbox_head.init_cfg.layer", "did you mean 'ConvModule'?"),
        ("param_scheduler[1].type", "did you mean 'QuadraticWarmupLR'?"),
    ]
    assert not [name for name in set(sys.modules) - loaded if name.partition(".")[0] == "mmdet"]


def _plan_in_a_process(site_paths: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    # A process of its own: mmcv is imported here already (another version), and a
    # failed `import mmdet` leaves half a package in sys.modules.
    probe = (
        "import sys; from openmmlab import make_torchvision_importable; "
        "make_torchvision_importable(); from initcfg.cli import main; "
        "main(sys.argv[1:], prog_name='initcfg')"
    )
    paths = os.pathsep.join([*map(str, site_paths), str(TESTS)])
    return subprocess.run(
        [sys.executable, "-c", probe, "plan", *args],
        env={**os.environ, "PYTHONPATH": paths, "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )


def test_building_a_detector_with_mmcv_lite_stops_with_what_is_missing(
    mmdet_site: Path, tmp_path: Path
) -> None:
    config = _finetune(tmp_path, "model = dict(bbox_head=dict(num_classes=3))\n")
    # mmcv-lite 2.1.0 passes mmdet's version check; mmdet.models then imports mmcv.ops,
    # whose every op loads the compiled mmcv._ext that mmcv-lite does not ship.
    lite = installed_wheel("mmcv-lite", "2.1.0")
    deps = [installed_wheel(name, version) for name, version in MMDET_DEPS]
    run = _plan_in_a_process([lite, mmdet_site, *deps], str(config), "--train")
    assert run.returncode == 2, run.stderr[-2000:]
    assert "No module named 'mmcv._ext'" in run.stderr
    assert "install mmcv, not mmcv-lite" in run.stderr and "--no-model" in run.stderr
    assert "Traceback" not in run.stderr
    # mmcv-lite 2.2.0 (what mmpretrain alone would take) is past what mmdet 3.3.0 accepts.
    newer = installed_wheel("mmcv-lite", "2.2.0")
    run = _plan_in_a_process([newer, mmdet_site], str(config))
    assert run.returncode == 2
    assert "MMCV==2.2.0 is used but incompatible" in run.stderr
    # The schedule needs no model.
    run = _plan_in_a_process(
        [lite, mmdet_site, *deps], str(config), "--train", "--no-model", "--iters-per-epoch", "10"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Train plan: (no model)" in run.stdout and "12 epochs × 10 iterations" in run.stdout
