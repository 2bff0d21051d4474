"""Distributed: two processes under torchrun on CPU train what one process does with the
same global batch, and a failing rank stops the run instead of leaving the other waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

torch = pytest.importorskip("torch")

from test_train_helpers import REPO, shapes_config, single_thread  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402
from torchrun_probe import THREADS_LISTED, gloo_threads_left  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


# How long a rank waits in a collective for the others (INITCFG_DIST_TIMEOUT), and how
# long a run may take before it counts as hung. Neither is a speed limit: on a 2-core
# machine the same-global-batch test took 21 s, 58-97 s beside six busy processes and
# 133 s beside ten, and beside fourteen its torchrun run alone passed the old limit of
# 120 s. A rank stuck in a collective fails on its own timeout, with its message,
# before the hang limit.
DIST_TIMEOUT_S = 300
HANG_S = DIST_TIMEOUT_S + 180


def _torchrun(
    config: dict[str, Any], tmp_path: Path, work_dir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": str(REPO),
        "INITCFG_DIST_TIMEOUT": str(DIST_TIMEOUT_S),
        # A rank that crashes (SIGSEGV, SIGABRT) prints where its threads were.
        "PYTHONFAULTHANDLER": "1",
    }
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "initcfg.cli.train", str(path), "--work-dir", str(work_dir), "--device", "cpu",
        "--quiet", *extra,
    ]
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=HANG_S)
        except subprocess.TimeoutExpired:
            # SIGTERM, not SIGKILL: torchrun then stops its workers, which run in
            # sessions of their own (killed alone, it would leave them running and
            # holding the pipes), and the output so far says where the run hung.
            process.terminate()
            try:
                stdout, stderr = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = "", "(torchrun did not stop on SIGTERM within 60 s)"
            pytest.fail(f"torchrun ran past {HANG_S} s:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_two_processes_match_one_with_the_same_global_batch(tmp_path: Path) -> None:
    # No BatchNorm: its statistics are per process under DDP, so they would differ.
    common: dict[str, Any] = {
        "norm": False,
        "size": 64,
        "max_epochs": 3,
        "optim_wrapper": {
            "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-4},
            "clip_grad": {"max_norm": 5.0},
            "accumulative_counts": 2,
        },
    }
    single = train(
        tree_from_mapping(shapes_config(batch_size=16, **common)),
        TrainOptions(work_dir=tmp_path / "single", progress=False, device="cpu"),
    )
    run = _torchrun(shapes_config(batch_size=8, **common), tmp_path, tmp_path / "ddp")
    assert run.returncode == 0, run.stderr[-3000:]

    saved = torch.load(tmp_path / "ddp" / "epoch_3.pth", weights_only=True)
    assert saved["meta"]["world_size"] == 2 and saved["meta"]["iter"] == 12
    reference = single.model.state_dict()
    assert saved["state_dict"].keys() == reference.keys()
    for key, value in saved["state_dict"].items():
        torch.testing.assert_close(value, reference[key], rtol=1e-4, atol=1e-5)
    # Only rank 0 writes: one log, one set of checkpoints.
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == sorted(
        p.name for p in (tmp_path / "single").iterdir()
    )


def test_resume_gives_each_rank_its_own_pending_gradients(tmp_path: Path) -> None:
    # Accumulating 3 iterations with a checkpoint every 4: iter_4.pth is written with one
    # iteration's gradients pending, and they differ between the two ranks.
    config = shapes_config(
        norm=False,
        batch_size=8,
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": 12, "val_interval": 100},
        optim_wrapper={
            "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9},
            "accumulative_counts": 3,
        },
        param_scheduler=[],
        default_hooks={"checkpoint": {"interval": 4, "by_epoch": False}},
    )
    work = tmp_path / "ddp"
    first = _torchrun(config, tmp_path, work)
    assert first.returncode == 0, first.stderr[-3000:]
    pending = torch.load(work / "iter_4.pth", weights_only=True)["grads"]
    assert len(pending) == 2 and pending[0].keys() == pending[1].keys() != set()
    name = next(iter(pending[0]))
    assert not torch.equal(pending[0][name], pending[1][name])
    uninterrupted = torch.load(work / "iter_12.pth", weights_only=True)["state_dict"]

    # Pretend the run stopped right after iter_4.pth and resume it.
    (work / "last_checkpoint").write_text("iter_4.pth")
    resumed = _torchrun(config, tmp_path, work, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    final = torch.load(work / "iter_12.pth", weights_only=True)["state_dict"]
    for key, value in uninterrupted.items():
        assert torch.equal(final[key], value), key


def _threads_left(tmp_path: Path, body: str) -> list[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return gloo_threads_left(tmp_path, body, env=env, cwd=REPO, timeout=HANG_S)


@pytest.mark.skipif(not THREADS_LISTED, reason="lists threads from /proc")
def test_a_finished_run_closes_its_process_group(tmp_path: Path) -> None:
    # A gloo group left open past train() is closed in interpreter shutdown, where it
    # now and then aborted the rank that exited first (SIGABRT after a good run). Closed
    # in train(), its threads (gloo_tcp_loop, pt_gloo_runloop) are gone when it returns.
    config = shapes_config(norm=False, batch_size=8, max_epochs=1)
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    body = (
        "from initcfg.backend.torch.train import TrainOptions, train\n"
        "from initcfg.config.load import load_config\n"
        f"options = TrainOptions(work_dir=Path({str(tmp_path / 'work')!r}), progress=False,"
        " device='cpu')\n"
        f"result = train(load_config({str(tmp_path / 'ddp.yaml')!r}), options).iteration\n"
    )
    assert _threads_left(tmp_path, body) == ["4 | False | "] * 2  # 64 samples, 2x8


@pytest.mark.parametrize("failing", ["0", "1"])
def test_a_failing_rank_stops_every_rank(tmp_path: Path, failing: str) -> None:
    # One rank's dataset fails on its 5th item, while the other is inside a collective.
    # Rank 0's message named no rank ('initcfg train: error: ...'), as if the run had one.
    (tmp_path / "flaky.py").write_text(
        "import os\n"
        "from examples.shapes.data import ShapesDataset\n"
        "class Flaky(ShapesDataset):\n"
        "    calls = 0\n"
        "    def __getitem__(self, index):\n"
        "        Flaky.calls += 1\n"
        f"        if os.environ.get('RANK') == {failing!r} and Flaky.calls > 4:\n"
        "            raise RuntimeError('disk on fire')\n"
        "        return super().__getitem__(index)\n"
    )
    config = shapes_config(norm=False, batch_size=4, max_epochs=2)
    config["train_dataloader"]["dataset"]["type"] = f"{tmp_path / 'flaky.py'}:Flaky"
    start = time.monotonic()
    run = _torchrun(config, tmp_path, tmp_path / "fail")
    # Left waiting, rank 0 would fail only when its collective timed out.
    assert time.monotonic() - start < DIST_TIMEOUT_S
    assert run.returncode != 0
    assert f"initcfg train [rank {failing}]: error: RuntimeError: disk on fire" in run.stderr


@pytest.mark.parametrize(("size", "world"), [(1, 3), (2, 5), (3, 8), (5, 3)])
def test_every_rank_gets_a_full_share_of_a_set_smaller_than_the_world(
    size: int, world: int
) -> None:
    # MMEngine's DefaultSampler (round_up) repeats the order as often as the padding
    # needs; padding with one partial copy left the last ranks of a 3-process run over
    # a 1-sample set with nothing, so they stopped with "no batch" while the others
    # waited in DDP's first all-reduce.
    from initcfg.backend.torch.train_build import _EpochSampler
    from initcfg.backend.torch.train_dist import DistContext

    per_rank = -(-size // world)
    shares = []
    for rank in range(world):
        sampler = _EpochSampler(size, DistContext(rank, world, rank, torch.device("cpu")),
                                shuffle=False, seed=0)
        shares.append(list(sampler))
        assert len(shares[-1]) == len(sampler) == per_rank, rank
    padded = (list(range(size)) * world)[: per_rank * world]
    assert [i for step in zip(*shares, strict=True) for i in step] == padded


def test_a_resume_with_more_processes_finishes_its_last_epoch(tmp_path: Path) -> None:
    # One process stops inside epoch 1 at its 6th of 8 iterations; two processes have 4
    # iterations an epoch. The position was kept in one process's units, so the second
    # run took 6 >= 4 as the end of epoch 1 and ran out of iterations 2 into epoch 2:
    # exit 0 without the last validation or epoch_2.pth.
    (tmp_path / "stopping.py").write_text(
        "import os, signal\n"
        "from examples.shapes.data import ShapesDataset\n"
        "class Stopping(ShapesDataset):\n"
        "    calls = 0\n"
        "    def __getitem__(self, index):\n"
        "        Stopping.calls += 1\n"
        "        if Stopping.calls == int(os.environ.get('STOP_AT_ITEM', '0')):\n"
        "            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C inside iteration 6\n"
        "        return super().__getitem__(index)\n"
    )
    config = shapes_config(norm=False, size=32, batch_size=4, max_epochs=2,
                           param_scheduler=[])
    config["train_dataloader"]["dataset"]["type"] = "stopping.py:Stopping"
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    single = subprocess.run(
        [sys.executable, "-m", "initcfg.cli.train", str(tmp_path / "ddp.yaml"),
         "--work-dir", str(work), "--device", "cpu", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=HANG_S, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
             "STOP_AT_ITEM": "22"},
    )
    assert single.returncode == 130, single.stderr[-3000:]
    stopped = torch.load(work / "interrupted.pth", weights_only=True)["meta"]
    assert (stopped["epoch"], stopped["iter_in_epoch"], stopped["world_size"]) == (0, 6, 1)

    resumed = _torchrun(config, tmp_path, work, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    meta = torch.load(work / "epoch_2.pth", weights_only=True)["meta"]
    assert (meta["epoch"], meta["iter"], meta["iter_in_epoch"]) == (2, 8, 0)
    records = [json.loads(line) for line in (work / "train_log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records if r["mode"] == "val"] == [1, 2]
    assert [r["iter"] for r in records if r["mode"] == "train"] == list(range(1, 9))
    # 24 samples of epoch 1 were trained: 3 of the two processes' 8-sample iterations.
    assert "continues at iteration 3 of 8" in resumed.stderr


def test_a_signal_to_one_worker_stops_every_rank_with_its_status(tmp_path: Path) -> None:
    # SIGTERM reaches rank 1 alone (a `kill` of one worker, a scheduler signalling one
    # task). Every rank stops after the same iteration; rank 0, which no signal reached,
    # reported Ctrl-C (exit 130) where the run was stopped by SIGTERM (143).
    (tmp_path / "signalled.py").write_text(
        "import os, signal\n"
        "from examples.shapes.data import ShapesDataset\n"
        "class Signalled(ShapesDataset):\n"
        "    calls = 0\n"
        "    def __getitem__(self, index):\n"
        "        Signalled.calls += 1\n"
        "        if os.environ.get('RANK') == '1' and Signalled.calls == 10:\n"
        "            os.kill(os.getpid(), signal.SIGTERM)\n"
        "        return super().__getitem__(index)\n"
    )
    config = shapes_config(norm=False, size=32, batch_size=4, max_epochs=2)
    config["train_dataloader"]["dataset"]["type"] = "signalled.py:Signalled"
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    script = tmp_path / "run.py"
    script.write_text(
        "import json, os\n"
        "from pathlib import Path\n"
        "from initcfg.backend.torch.train import TrainOptions, train\n"
        "from initcfg.config.load import load_config\n"
        f"options = TrainOptions(work_dir=Path({str(tmp_path / 'work')!r}), progress=False,"
        " device='cpu')\n"
        f"result = train(load_config({str(tmp_path / 'ddp.yaml')!r}), options)\n"
        f"out = Path({str(tmp_path)!r}) / ('result-' + os.environ['RANK'])\n"
        "out.write_text(json.dumps([result.interrupted, result.stop_signal, result.iteration]))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO),
           "INITCFG_DIST_TIMEOUT": str(DIST_TIMEOUT_S)}
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=HANG_S, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads((tmp_path / f"result-{rank}").read_text()) for rank in (0, 1)]
    assert results[0] == results[1] == [True, 15, 3], results
    assert (tmp_path / "work" / "interrupted.pth").is_file()


@pytest.mark.skipif(not THREADS_LISTED, reason="lists threads from /proc")
def test_a_failed_run_closes_its_process_group(tmp_path: Path) -> None:
    # As after a good run (above): a gloo group left open into interpreter shutdown may
    # abort the rank there, so a config problem would end in SIGABRT instead of its
    # message and exit 1. Every rank fails here after the group and DDP exist.
    config = shapes_config(norm=False, size=4, batch_size=8, max_epochs=1)
    config["train_dataloader"]["drop_last"] = True  # 2 samples a rank: no batch
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    body = (
        "from initcfg.backend.torch.train import TrainOptions, train\n"
        "from initcfg.config.load import load_config\n"
        "from initcfg.errors import TrainError\n"
        f"options = TrainOptions(work_dir=Path({str(tmp_path / 'work')!r}), progress=False,"
        " device='cpu')\n"
        "try:\n"
        f"    train(load_config({str(tmp_path / 'ddp.yaml')!r}), options)\n"
        "except TrainError as error:\n"
        "    result = str(error)\n"
    )
    assert _threads_left(tmp_path, body) == [
        "the training set gives no batch | False | "
    ] * 2


def test_a_rank_that_does_not_see_the_checkpoint_stops_the_resume(tmp_path: Path) -> None:
    # Rank 1's view of the work dir is empty (a folder on rank 0's disk only; here a
    # folder of its own). It trained from scratch while rank 0 resumed at iteration 4:
    # the ranks ran different numbers of iterations until a collective timed out.
    config = shapes_config(norm=False, size=32, batch_size=8, max_epochs=2,
                           param_scheduler=[])
    (tmp_path / "ddp.yaml").write_text(yaml.safe_dump(config))
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    train(tree_from_mapping(config), TrainOptions(work_dir=work, progress=False,
                                                  device="cpu", stop_after=1))
    elsewhere.mkdir()
    script = tmp_path / "run.py"
    script.write_text(
        "import os\n"
        "from pathlib import Path\n"
        "from initcfg.backend.torch.train import TrainOptions, train\n"
        "from initcfg.config.load import load_config\n"
        "from initcfg.errors import TrainError\n"
        "rank = os.environ['RANK']\n"
        f"work = Path({str(work)!r} if rank == '0' else {str(elsewhere)!r})\n"
        "options = TrainOptions(work_dir=work, progress=False, device='cpu', resume=True)\n"
        "try:\n"
        f"    train(load_config({str(tmp_path / 'ddp.yaml')!r}), options)\n"
        "    message = 'trained'\n"
        "except TrainError as error:\n"
        "    message = str(error)\n"
        f"Path({str(tmp_path)!r}, 'message-' + rank).write_text(message)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO),
           "INITCFG_DIST_TIMEOUT": str(DIST_TIMEOUT_S)}
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=HANG_S, check=False,
    )
    assert time.monotonic() - start < DIST_TIMEOUT_S
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "message-1").read_text() == (
        f"cannot resume: rank 0 resumes from {work / 'epoch_1.pth'}, but this process "
        f"finds no checkpoint in {elsewhere}"
    )
    assert (tmp_path / "message-0").read_text().startswith(
        "cannot resume: another process sees a different checkpoint"
    )
    assert not list(elsewhere.iterdir())  # rank 1 wrote nothing there
