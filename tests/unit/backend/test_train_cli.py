"""``initcfg train`` from the command line: Ctrl-C, resume, and bad input without a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from test_train_helpers import REPO, shapes_config, single_thread  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.cli.train import train_command  # noqa: E402
from initcfg.config.load import load_config  # noqa: E402

SLOW_DATASET = (
    "import os, time\n"
    "from examples.shapes.data import ShapesDataset\n"
    "class Slow(ShapesDataset):\n"
    "    def __getitem__(self, index):\n"
    "        if os.environ.get('SHAPES_SLOW'):\n"
    "            time.sleep(0.004)  # time for the test to press Ctrl-C mid-run\n"
    "        return super().__getitem__(index)\n"
)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


def _cli(args: list[str], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "initcfg.cli.train", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _slow_run(tmp_path: Path, hooks: dict[str, Any]) -> tuple[Path, Path]:
    """A 10-epoch run over a slow dataset: its config and work dir."""
    (tmp_path / "slow.py").write_text(SLOW_DATASET)
    config: dict[str, Any] = shapes_config(max_epochs=10, default_hooks=hooks)
    # Beside the config: a factory a config names must be the project's own code.
    config["train_dataloader"]["dataset"]["type"] = "slow.py:Slow"
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, tmp_path / "work"


# How long a run may take before it counts as hung. These runs take seconds, but a
# loaded 2-core machine stretches runs several times over (see test_train_dist.py): the
# 60 s these waits had was a speed limit such a machine can reach, and a run that timed
# out was left running.
HANG_S = 300


def _finish(process: subprocess.Popen[str]) -> str:
    """Wait for the run to end; its stderr. One that hangs is killed and fails the test
    with what it printed (left running, it would go on using the machine)."""
    try:
        _, stderr = process.communicate(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"the run went on past {HANG_S} s:\n{stderr[-3000:]}")
    return stderr


def _signal_after(
    process: subprocess.Popen[str], work: Path, lines: int, number: int
) -> str:
    """Send ``number`` once the run has logged ``lines`` iterations; its stderr."""
    log = work / "train_log.jsonl"
    deadline = time.monotonic() + HANG_S
    while not (log.is_file() and len(log.read_text().splitlines()) >= lines):
        if process.poll() is not None:
            pytest.fail(f"the run ended before its iteration {lines}:\n{_finish(process)}")
        if time.monotonic() > deadline:
            process.kill()
            process.communicate()
            pytest.fail(f"the run logged fewer than {lines} iterations in {HANG_S} s")
        time.sleep(0.02)
    process.send_signal(number)
    return _finish(process)


def test_ctrl_c_writes_a_checkpoint_and_resume_finishes_identically(tmp_path: Path) -> None:
    path, work = _slow_run(tmp_path, {"checkpoint": {"interval": 3}, "logger": {"interval": 1}})
    process = _cli([str(path), "--work-dir", str(work)], SHAPES_SLOW="1")
    stderr = _signal_after(process, work, 6, signal.SIGINT)
    assert process.returncode == 130, stderr
    assert "stopped after" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr
    assert (work / "interrupted.pth").is_file()
    stopped = torch.load(work / "interrupted.pth", weights_only=True)["meta"]["iter"]
    assert 6 <= stopped < 40

    resumed = _cli([str(path), "--work-dir", str(work), "--resume", "--quiet"])
    stderr = _finish(resumed)
    assert resumed.returncode == 0, stderr

    reference = train(
        load_config(path), TrainOptions(work_dir=tmp_path / "ref", progress=False)
    )
    final = torch.load(work / "epoch_10.pth", weights_only=True)["state_dict"]
    for key, value in reference.model.state_dict().items():
        assert torch.equal(final[key], value), key


def test_sigterm_checkpoints_and_exits_143(tmp_path: Path) -> None:
    """What a scheduler sends before it kills a job stops the run as Ctrl-C does."""
    path, work = _slow_run(tmp_path, {"logger": {"interval": 1}})
    process = _cli([str(path), "--work-dir", str(work)], SHAPES_SLOW="1")
    stderr = _signal_after(process, work, 3, signal.SIGTERM)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped after" in stderr and "Traceback" not in stderr
    meta = torch.load(work / "interrupted.pth", weights_only=True)["meta"]
    assert 3 <= meta["iter"] < 40


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"model": {"type": "examples.shapes.model:build_modle"}},
            "model.type: 'examples.shapes.model' has no attribute 'build_modle'",
        ),
        # a registry type goes to MMEngine's Runner, whose refusal is reported in one line
        ({"model": {"type": "build_model"}}, "initcfg train: error: MMEngine's Runner: "),
        ({"train_dataloader": None}, "the config has no train_dataloader"),
        ({"train_cfg": None}, "no train_cfg the loop can run"),
    ],
)
def test_bad_config_is_one_message_not_a_traceback(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    config = shapes_config()
    for key, value in change.items():
        if value is None:
            del config[key]
        else:
            config[key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_failing_init_weights_is_one_message_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "fails.py").write_text(
        "from torch import nn\n"
        "class Fails(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(3, 3)\n"
        "    def init_weights(self):\n"
        "        raise ValueError('Mode fan_inn not supported')\n"
        "def build():\n"
        "    return Fails()\n"
    )
    path = tmp_path / "fails.yaml"
    path.write_text(yaml.safe_dump(shapes_config(model={"type": "fails:build"})))
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert "model.init_weights() raised ValueError: Mode fan_inn not supported" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_init_plan_error_names_its_config_line_and_the_command_that_shows_it(
    tmp_path: Path,
) -> None:
    # The message had neither file:line nor key, and its hint sent the user to
    # `initcfg validate`, which does not read checkpoints and so finds nothing.
    checkpoint = tmp_path / "empty.pth"
    checkpoint.write_bytes(b"")
    path = tmp_path / "empty_ckpt.yaml"
    path.write_text(yaml.safe_dump(shapes_config(load_from=str(checkpoint))))
    line = next(number for number, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith("load_from:"))
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}:1: IC409 {checkpoint} is not a torch checkpoint file" in result.output
    assert "(load_from)" in result.output
    assert "hint: `initcfg plan` on the config" in result.output
    assert "initcfg validate" not in result.output


def test_a_model_built_on_meta_is_named_at_its_type_not_torch_s_copy_error(
    tmp_path: Path,
) -> None:
    # It stopped with torch's "Cannot copy out of meta tensor; no data!" and no place.
    (tmp_path / "metafactory.py").write_text(
        "import torch\n\ndef build(**section):\n    with torch.device('meta'):\n"
        "        return torch.nn.Linear(2, 2)\n")
    path = tmp_path / "meta.yaml"
    path.write_text(yaml.safe_dump(shapes_config(model={"type": "metafactory:build"})))
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert "model.type: the model was built on the meta device" in result.output
    assert "Cannot copy out of meta tensor" not in result.output


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("model: {type: [\n")
    result = CliRunner().invoke(train_command, [str(path)])
    assert result.exit_code == 2
    assert "IC002" in result.output


def test_cli_trains_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(shapes_config(max_epochs=2)))
    result = CliRunner().invoke(
        train_command, [str(path), "--work-dir", str(tmp_path / "w"), "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    assert "trained 2 epochs (8 iterations)" in result.output
    assert (tmp_path / "w" / "epoch_2.pth").is_file()


def test_importing_the_command_does_not_import_torch() -> None:
    code = "import sys, initcfg.cli.train; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_model_option_replaces_a_registry_name(tmp_path: Path) -> None:
    config = shapes_config(max_epochs=1)
    config["model"]["type"] = "ShapesClassifier"  # an MMEngine registry name
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(config))
    args = [str(path), "--work-dir", str(tmp_path / "w"), "--quiet"]
    refused = CliRunner().invoke(train_command, args)  # MMEngine's Runner cannot build it
    assert refused.exit_code == 1
    assert "initcfg train: error: MMEngine's Runner: " in refused.output
    assert "Traceback" not in refused.output
    result = CliRunner().invoke(
        train_command, [*args, "--model", "examples.shapes.model:build_model"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "epoch_1.pth").is_file()


def test_validation_errors_stop_the_run_before_anything_is_built(tmp_path: Path) -> None:
    config = shapes_config()
    config["model"]["backbone"]["init_cfg"] = [{"type": "Kaimin", "layer": "Conv2d"}]
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(config))
    work = tmp_path / "w"
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(work)])
    assert result.exit_code == 1, result.output
    assert "Kaimin" in result.output and "nothing was trained" in result.output
    assert not work.exists()


@pytest.mark.parametrize(
    ("section", "factory", "message"),
    [
        ("train", "def build(**kwargs):\n    raise KeyError('ds boom')\n",
         "boom.py:build(classes, size, split) raised KeyError: 'ds boom'"),
        ("val", "def build(**kwargs):\n    raise RuntimeError('no val set')\n",
         "boom.py:build(classes, size, split) raised RuntimeError: no val set"),
        ("metric", "def build():\n    return object()\n",
         "boom.py:build returned an object of type object without reset(), update(), compute()"),
    ],
)
def test_a_failing_data_or_metric_factory_is_named_where_the_config_names_it(
    tmp_path: Path, section: str, factory: str, message: str
) -> None:
    (tmp_path / "boom.py").write_text(factory)
    config = shapes_config()
    if section == "metric":
        config["val_evaluator"] = {"type": "boom.py:build"}
        key = "val_evaluator.type"
    else:
        config[f"{section}_dataloader"]["dataset"]["type"] = "boom.py:build"
        key = f"{section}_dataloader.dataset.type"
    path = tmp_path / "boom.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(train_command, [str(path), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert message in result.output and f"{key}: " in result.output
    assert f"{path}:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["plan", "train"])
@pytest.mark.parametrize("named_by", ["model.type", "--model"])
def test_a_model_factory_that_is_interrupted_exits_130(
    tmp_path: Path, command: str, named_by: str
) -> None:
    # Ctrl-C while the factory builds the model is an interrupt (130), as it is during
    # training: click's own 'Aborted!' exits 1, which reads as a config with errors.
    (tmp_path / "fac.py").write_text("def build(**kwargs):\n    raise KeyboardInterrupt\n")
    config = shapes_config()
    config["model"] = {"type": "fac:build"}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    model = ["--model", "fac.py:build"] if named_by == "--model" else []
    work = ["--work-dir", str(tmp_path / "w")] if command == "train" else []
    done = subprocess.run(
        [sys.executable, "-m", "initcfg", command, str(path), *model, *work],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
             "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr
    assert "Aborted!" not in done.stderr and "Traceback" not in done.stderr
