"""``initcfg train`` on a registry config hands the run to MMEngine's Runner with the hook
on: one process, and two under torchrun (gloo on CPU)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.config import Config
from mmengine_toy import toy_config

from torchrun_probe import THREADS_LISTED, gloo_threads_left

HERE = Path(__file__).resolve().parent


def _write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "toy_registry.py"
    Config(config).dump(str(path))
    return path


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    paths = os.pathsep.join([str(HERE), str(HERE.parent)])  # mmengine_toy, openmmlab
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": paths}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_registry_config_trains_through_mmengine_s_runner(tmp_path: Path) -> None:
    work = tmp_path / "work"
    path = _write(tmp_path, toy_config("unused"))
    run = _run(
        [sys.executable, "-m", "initcfg.cli.train", str(path), "--work-dir", str(work)], tmp_path
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Epoch(train) [1][2/2]" in output
    assert "InitcfgHook: init plan: 6 parameters" in output
    assert (work / "epoch_1.pth").is_file() and not (tmp_path / "unused").exists()
    resumed = _run(
        [sys.executable, "-m", "initcfg.cli.train", str(path), "--work-dir", str(work),
         "--resume"],
        tmp_path,
    )
    # max_epochs is reached already: MMEngine resumes, then has nothing left to train
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout + resumed.stderr
    assert "Epoch(train)" not in resumed.stdout + resumed.stderr


def test_two_processes_under_torchrun(tmp_path: Path) -> None:
    work = tmp_path / "ddp"
    path = _write(tmp_path, toy_config(str(work)))
    run = _run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "initcfg.cli.train", str(path)],
        tmp_path,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Distributed training: True" in output
    # 8 samples split over 2 processes, batch 4: one iteration per epoch each
    assert "Epoch(train) [1][1/1]" in output
    assert output.count("InitcfgHook: init plan") == 1  # rank 0 only
    assert (work / "epoch_1.pth").is_file()


def test_an_init_cfg_error_stops_before_the_runner_without_a_traceback(tmp_path: Path) -> None:
    config = toy_config(str(tmp_path / "broken"))
    config["model"]["head"]["init_cfg"]["std"] = -1.0
    path = _write(tmp_path, config)
    run = _run([sys.executable, "-m", "initcfg.cli.train", str(path)], tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "error[IC" in run.stderr and "nothing was trained" in run.stderr
    assert not (tmp_path / "broken").exists()


def test_a_model_error_stops_in_the_hook_without_a_traceback(tmp_path: Path) -> None:
    config = toy_config(str(tmp_path / "broken"))
    config["model"]["head"]["init_cfg"]["override"] = {"name": "fcc"}
    path = _write(tmp_path, config)
    run = _run([sys.executable, "-m", "initcfg.cli.train", str(path)], tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    assert "InitcfgHook: stopped before initialization" in run.stderr
    assert "Epoch(train)" not in output
    assert not list((tmp_path / "broken").glob("*.pth"))


def _threads_left(tmp_path: Path, body: str) -> list[str]:
    paths = os.pathsep.join([str(HERE), str(HERE.parent)])  # mmengine_toy, openmmlab
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": paths}
    return gloo_threads_left(tmp_path, body, env=env, cwd=tmp_path, timeout=300)


@pytest.mark.skipif(not THREADS_LISTED, reason="lists threads from /proc")
def test_the_run_closes_its_process_group_before_the_process_ends(tmp_path: Path) -> None:
    # The Runner's model wrapper holds the gloo group: left open past the run, the group
    # is closed in interpreter shutdown, where it now and then aborted a rank (SIGABRT
    # after a good run). `initcfg train` releases the Runner first, so it closes in time.
    path = _write(tmp_path, toy_config(str(tmp_path / "ddp")))
    body = (
        "from initcfg.config.load import load_config\n"
        "from initcfg.mmengine import run_registry_training\n"
        f"result = run_registry_training(load_config({str(path)!r}))\n"
    )
    assert _threads_left(tmp_path, body) == ["None | False | "] * 2


@pytest.mark.skipif(not THREADS_LISTED, reason="lists threads from /proc")
def test_a_run_the_hook_stops_closes_its_process_group_too(tmp_path: Path) -> None:
    # InitcfgStop (every rank raises it in before_run) ended `initcfg train` with the
    # gloo group still open, to be closed in interpreter shutdown, where it may abort the
    # rank (SIGABRT) instead of exiting 1 with the hook's findings.
    config = toy_config(str(tmp_path / "ddp"))
    config["model"]["head"]["init_cfg"]["override"] = {"name": "fcc"}
    path = _write(tmp_path, config)
    body = (
        "from initcfg.cli.train import _train_with_mmengine\n"
        "from initcfg.config.load import load_config\n"
        "try:\n"
        f"    _train_with_mmengine(load_config({str(path)!r}), None, False, 'initcfg train')\n"
        "except SystemExit as stop:\n"
        "    result = stop.code\n"
    )
    assert _threads_left(tmp_path, body) == ["1 | False | "] * 2
