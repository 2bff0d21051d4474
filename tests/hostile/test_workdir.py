"""Hostile work dirs and faults during training: a run never hangs, never writes through
a symlink, never overwrites its own input or a previous run, never shares its work dir,
cleans up after a crash, and names the file and the cause when a write fails.

Each case runs `initcfg train` (or `plan --output`) in a subprocess under the harness's
CPU and memory limits, and checks: no traceback, the inputs (files outside the work dir,
and the work dir's files where the case must not touch them) unchanged, and the expected
diagnostic code (IC471-IC478).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import Inputs, Outcome, assert_no_canary, run_limited

pytest.importorskip("torch")

PROJECT = """\
import os
import time

import torch


def build(width=4, init_cfg=None):
    return torch.nn.Linear(width, 2)


class Data(torch.utils.data.Dataset):
    def __init__(self, size=8):
        generator = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, 4, generator=generator)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


class Held(Data):
    # After its first epoch, waits while the file HOLD exists: the test decides when a
    # run may go on (a second run tried meanwhile, or the process killed). HELD says it
    # waits: everything epoch 1 writes (its checkpoint, then last_checkpoint) is done.
    calls = 0

    def __getitem__(self, index):
        Held.calls += 1
        if Held.calls > len(self):
            if not os.path.exists('HELD'):
                open('HELD', 'w').close()
            limit = time.monotonic() + 300
            while os.path.exists('HOLD') and time.monotonic() < limit:
                time.sleep(0.05)
        return super().__getitem__(index)


class Accuracy:
    def reset(self):
        self.right = self.total = 0

    def update(self, outputs, targets):
        self.right += int((outputs.argmax(1) == targets).sum())
        self.total += len(targets)

    def compute(self):
        return {'accuracy': 100.0 * self.right / max(self.total, 1)}
"""

CONFIG = """\
model = dict(type='proj.py:build', width=4)
train_dataloader = dict(batch_size=4, dataset=dict(type='proj.py:{dataset}'))
val_dataloader = dict(batch_size=8, dataset=dict(type='proj.py:Data'))
val_evaluator = dict(type='proj.py:Accuracy')
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
randomness = dict(seed=0)
"""

# Two epochs of two iterations, a validation after each: the log of one run.
RECORDS_OF_A_RUN = 6


def _project(folder: Path, dataset: str = "Data") -> Path:
    (folder / "proj.py").write_text(PROJECT)
    config = folder / "cfg.py"
    config.write_text(CONFIG.format(dataset=dataset))
    return config


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with an interrupted run (``part``: epoch 1 of 2) and a finished one
    (``done``), trained once for the module; each test works on its own copy."""
    from initcfg.backend.torch.train import TrainOptions, train

    folder = tmp_path_factory.mktemp("runs")
    config = _project(folder)
    train(str(config), TrainOptions(work_dir=folder / "part", progress=False, stop_after=1))
    train(str(config), TrainOptions(work_dir=folder / "done", progress=False))
    return folder


@pytest.fixture
def project(runs: Path, tmp_path: Path) -> Path:
    for entry in runs.iterdir():
        target = tmp_path / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target)
    return tmp_path


def _train(project: Path, *args: str, **kwargs: object) -> Outcome:
    return run_limited(["train", "cfg.py", *args], cwd=project, **kwargs)  # type: ignore[arg-type]


def _records(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _files(folder: Path) -> list[Path]:
    """The files a case must leave as they are: all but the lock, whose content is the
    process id of the run that last held it."""
    return sorted(
        p for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name != ".initcfg-train.lock"
    )


# --------------------------------------------------------------- resume reads


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
@pytest.mark.parametrize("kind", ["fifo", "device link", "folder", "pointer fifo"])
def test_resume_passes_over_what_is_not_a_regular_checkpoint(kind: str, project: Path) -> None:
    work = project / "part"
    newest = work / "epoch_9.pth"
    if kind == "fifo":
        os.mkfifo(newest)
    elif kind == "device link":
        newest.symlink_to("/dev/zero")
    elif kind == "folder":
        newest.mkdir()
    else:  # the pointer itself is a fifo; reading it would block forever
        (work / "last_checkpoint").unlink()
        os.mkfifo(work / "last_checkpoint")
    if kind != "pointer fifo":
        (work / "last_checkpoint").unlink()
    outcome = _train(project, "--work-dir", "part", "--resume")
    if kind == "pointer fifo":  # resumed from the newest checkpoint, then refused to write
        outcome.assert_clean(exit_codes=(1,))
        assert "[IC474]" in outcome.output and "last_checkpoint is a fifo" in outcome.output
        return
    outcome.assert_clean(exit_codes=(0,))
    assert "warning[IC474]" in outcome.output and "epoch_9.pth" in outcome.output
    assert "resumed from part/epoch_1.pth" in outcome.output
    assert len(_records(work / "train_log.jsonl")) == RECORDS_OF_A_RUN


@pytest.mark.parametrize(
    "tail",
    [b'{"mode": "train", "epoch": 2, "it', b"{", b'{"mode": "val", "accuracy": "\xe2\x82'],
    ids=["cut-in-a-key", "one-brace", "cut-in-a-utf8-character"],
)
def test_a_torn_last_log_line_is_dropped_and_said(tail: bytes, project: Path) -> None:
    log = project / "part" / "train_log.jsonl"
    with log.open("ab") as stream:
        stream.write(tail)
    outcome = _train(project, "--work-dir", "part", "--resume", "--quiet")
    outcome.assert_clean(exit_codes=(0,))
    assert "warning[IC475]" in outcome.output and "cut short" in outcome.output
    records = _records(log)  # every line parses again
    assert len(records) == RECORDS_OF_A_RUN


@pytest.mark.parametrize("damage", ["<<<<<<< HEAD", "[1, 2]", '{"iter": "three"}'])
def test_a_damaged_log_line_before_the_last_stops_the_resume(damage: str, project: Path) -> None:
    log = project / "part" / "train_log.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join([damage, *lines]) + "\n")
    inputs = Inputs(_files(project))
    outcome = _train(project, "--work-dir", "part", "--resume", "--quiet")
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC476]" in outcome.output and "line 1" in outcome.output
    inputs.assert_unchanged()


# ------------------------------------------------------------ writes stay inside


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("train_log.jsonl", ("--resume",)),
        ("train_log.jsonl", ()),
        ("last_checkpoint", ("--resume",)),
        (".initcfg-train.lock", ("--resume",)),
    ],
    ids=["log-resume", "log-fresh", "pointer-resume", "lock"],
)
def test_no_file_of_the_work_dir_is_written_through_a_symlink(
    name: str, flags: tuple[str, ...], project: Path
) -> None:
    outside = project / "outside.txt"
    outside.write_text("not the run's\n")
    work = project / "part"
    (work / name).unlink(missing_ok=True)
    (work / name).symlink_to(outside)
    inputs = Inputs([outside, *_files(work)])
    outcome = _train(project, "--work-dir", "part", *flags, "--quiet")
    outcome.assert_clean(exit_codes=(1,))
    code = "IC473" if not flags else "IC474"  # a fresh run: the dir holds a run anyway
    assert f"error[{code}]" in outcome.output, outcome.output
    inputs.assert_unchanged()


def test_overwrite_replaces_a_symlinked_log_without_writing_through_it(project: Path) -> None:
    outside = project / "outside.txt"
    outside.write_text("not the run's\n")
    log = project / "part" / "train_log.jsonl"
    log.unlink()
    log.symlink_to(outside)
    outcome = _train(project, "--work-dir", "part", "--overwrite", "--quiet")
    outcome.assert_clean(exit_codes=(0,))
    assert outside.read_text() == "not the run's\n"
    assert not log.is_symlink() and len(_records(log)) == RECORDS_OF_A_RUN


@pytest.mark.parametrize(
    ("line", "flags"),
    [
        ("load_from = 'done/epoch_2.pth'", ()),
        ("load_from = 'done/../done/epoch_1.pth'", ("--overwrite",)),
        ("model = dict(init_cfg=dict(type='Pretrained', checkpoint='done/epoch_2.pth'))",
         ("--overwrite",)),
    ],
    ids=["load_from", "load_from-respelled-overwrite", "pretrained-overwrite"],
)
def test_an_input_checkpoint_in_the_work_dir_is_refused(
    line: str, flags: tuple[str, ...], project: Path
) -> None:
    config = project / "ft.py"
    config.write_text(f"_base_ = 'cfg.py'\n{line}\n")
    inputs = Inputs([config, *_files(project / "done")])
    outcome = run_limited(
        ["train", "ft.py", "--work-dir", "done", "--quiet", *flags], cwd=project
    )
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC472]" in outcome.output and "would be overwritten" in outcome.output
    inputs.assert_unchanged()


# ------------------------------------------------------------- previous runs


def test_a_work_dir_holding_a_run_is_refused_then_overwritten_on_request(
    project: Path,
) -> None:
    inputs = Inputs(_files(project / "done"))
    outcome = _train(project, "--work-dir", "done")
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC473]" in outcome.output and "--overwrite" in outcome.output
    inputs.assert_unchanged()
    (project / "done" / "epoch_7.pth").write_bytes(b"a longer run's")
    outcome = _train(project, "--work-dir", "done", "--overwrite", "--quiet")
    outcome.assert_clean(exit_codes=(0,))
    assert not (project / "done" / "epoch_7.pth").exists()
    assert len(_records(project / "done" / "train_log.jsonl")) == RECORDS_OF_A_RUN


def test_resuming_a_finished_run_names_its_checkpoint(project: Path) -> None:
    inputs = Inputs(_files(project / "done"))
    outcome = _train(project, "--work-dir", "done", "--resume", "--quiet")
    outcome.assert_clean(exit_codes=(0,))
    assert "nothing to train" in outcome.output
    assert "checkpoint done/epoch_2.pth" in outcome.output and "None" not in outcome.output
    inputs.assert_unchanged()


# ------------------------------------------------------------ one run at a time


def _start_held_run(project: Path) -> subprocess.Popen[str]:
    """A run that trains epoch 1 (writing epoch_1.pth), then waits while HOLD exists.

    Returned once the run waits, not once epoch_1.pth appears: last_checkpoint is written
    after it (with an fsync), and a run killed in between leaves that write's temp file
    behind, which the next run reports (IC477) where the test expects no report.
    """
    _project(project, dataset="Held")
    (project / "HOLD").write_text("")
    (project / "HELD").unlink(missing_ok=True)
    shutil.rmtree(project / "held", ignore_errors=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "initcfg.cli", "train", "cfg.py", "--work-dir", "held",
         "--quiet"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 240
    while not (project / "HELD").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the held run never finished epoch 1"
        time.sleep(0.1)
    assert (project / "held" / "epoch_1.pth").is_file()
    return process


def test_a_second_run_on_a_locked_work_dir_refuses(project: Path) -> None:
    first = _start_held_run(project)
    try:
        outcome = _train(project, "--work-dir", "held", "--resume", "--quiet")
    finally:
        (project / "HOLD").unlink()
        out, err = first.communicate(timeout=240)
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC471]" in outcome.output and f"process {first.pid}" in outcome.output
    assert first.returncode == 0, out + err
    records = _records(project / "held" / "train_log.jsonl")
    assert len(records) == RECORDS_OF_A_RUN  # the first run's log alone, not interleaved


@pytest.mark.parametrize("leftover", ["checkpoint temp", "none"])
def test_a_killed_run_leaves_no_lock_and_its_temp_files_are_cleared(
    leftover: str, project: Path
) -> None:
    first = _start_held_run(project)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    work = project / "held"
    outside = project / "outside.bin"
    outside.write_bytes(b"keep")
    kept = [work / ".notes.tmp"]  # not a name the atomic writer gives: left alone
    kept[0].write_text("mine")
    link = work / ".epoch_3.pth.zzzzzzzz.tmp"  # a temp name, but a link: left alone
    link.symlink_to(outside)
    if leftover == "checkpoint temp":  # what kill -9 during torch.save leaves
        (work / ".epoch_2.pth.k3j4h5g6.tmp").write_bytes(b"PK\x03\x04 half a zip")
    (project / "HOLD").unlink()
    outcome = _train(project, "--work-dir", "held", "--resume", "--quiet")
    outcome.assert_clean(exit_codes=(0,))
    assert "IC471" not in outcome.output  # the lock went with the killed process
    assert ("info[IC477]" in outcome.output) == (leftover == "checkpoint temp")
    assert not (work / ".epoch_2.pth.k3j4h5g6.tmp").exists()
    assert kept[0].read_text() == "mine" and link.is_symlink() and outside.read_bytes() == b"keep"
    assert (work / "epoch_2.pth").is_file()


# ----------------------------------------------------------- failing writes

WITH_FILE_SIZE_LIMIT = (
    "import resource, sys; "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000)); "
    "from initcfg.cli import main; main()"
)


def test_a_file_size_limit_names_the_file_and_the_cause(project: Path) -> None:
    outcome = run_limited(
        ["train", "cfg.py", "--work-dir", "small", "--quiet"], cwd=project,
        python_args=("-c", WITH_FILE_SIZE_LIMIT),
    )
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC478]" in outcome.output
    assert "cannot write small/epoch_1.pth" in outcome.output
    assert "file-size limit" in outcome.output and "10000 bytes" in outcome.output
    assert "inline_container" not in outcome.output
    assert not list((project / "small").glob(".*.tmp"))  # the temp file went too


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_written_files_follow_the_umask(umask: int, project: Path) -> None:
    code = f"import os; os.umask({umask}); from initcfg.cli import main; main()"
    outcome = run_limited(
        ["train", "cfg.py", "--work-dir", "fresh", "--quiet"], cwd=project,
        python_args=("-c", code),
    )
    outcome.assert_clean(exit_codes=(0,))
    expected = 0o666 & ~umask
    for name in ("epoch_1.pth", "epoch_2.pth", "last_checkpoint", "train_log.jsonl"):
        assert stat.S_IMODE((project / "fresh" / name).stat().st_mode) == expected, name


@pytest.mark.parametrize("output", ["missing/w.pth", "missing/deeper/w.pth"])
def test_plan_output_into_a_missing_folder_is_refused(output: str, project: Path) -> None:
    outcome = run_limited(["plan", "cfg.py", "--apply", "--output", output], cwd=project)
    outcome.assert_clean(exit_codes=(2,))
    assert "does not exist" in outcome.output
    assert not (project / "missing").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_resume_from_a_load_from_fifo_is_refused_not_waited_on(project: Path) -> None:
    # MMEngine's `resume = True` with `load_from` resumes from that file.
    os.mkfifo(project / "pipe.pth")
    config = project / "res.py"
    config.write_text("_base_ = 'cfg.py'\nresume = True\nload_from = 'pipe.pth'\n")
    outcome = run_limited(["train", "res.py", "--work-dir", "new", "--quiet"], cwd=project)
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC474]" in outcome.output and "not a regular file" in outcome.output
    assert stat.S_ISFIFO((project / "pipe.pth").stat().st_mode)


@pytest.mark.parametrize(
    ("work_dir", "says"),
    [
        ("/dev/null", "the work dir /dev/null is a device, not a folder"),
        ("cfg.py/sub", "the work dir cfg.py/sub cannot be made: a part of its path is a file"),
    ],
)
def test_a_work_dir_that_is_no_folder_is_ic474_not_a_full_disk(
    work_dir: str, says: str, project: Path
) -> None:
    # mkdir's "File exists" came with the hint to free space and resume.
    outcome = _train(project, "--work-dir", work_dir, "--quiet")
    outcome.assert_clean(exit_codes=(1,))
    assert f"error[IC474]: {says}" in outcome.output
    assert "free space" not in outcome.output


def test_resume_from_a_pickle_that_would_run_code_is_one_line_and_runs_nothing(
    project: Path,
) -> None:
    # The resume reader passed torch's own text through: paragraphs that advise
    # weights_only=False ("will likely succeed"), which initcfg never does.
    canary = project / "ran"
    payload = (
        "import os, torch\n"
        "class Payload:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {canary}',))\n"
        "torch.save({'meta': Payload()}, 'evil.pth')\n"
    )
    subprocess.run([sys.executable, "-c", payload], cwd=project, check=True)
    (project / "res.py").write_text("_base_ = 'cfg.py'\nresume = True\nload_from = 'evil.pth'\n")
    outcome = run_limited(["train", "res.py", "--work-dir", "new", "--quiet"], cwd=project)
    outcome.assert_clean(exit_codes=(1,))
    [line] = [text for text in outcome.output.splitlines() if "cannot resume" in text]
    assert "evil.pth is not a weights-only checkpoint (it holds a " in line and "system)" in line
    assert "weights_only=False" not in outcome.output
    assert_no_canary(canary)


def test_plan_apply_on_a_model_its_factory_built_on_meta_writes_no_empty_weights(
    tmp_path: Path,
) -> None:
    # --meta with --apply is refused, but a factory that builds on the meta device
    # itself got "wrote out.pth", exit 0: a state dict of tensors that hold no data.
    (tmp_path / "metafactory.py").write_text(
        "import torch\n\ndef build(**section):\n    with torch.device('meta'):\n"
        "        return torch.nn.Linear(2, 2)\n")
    (tmp_path / "c.py").write_text(
        "model = dict(type='metafactory:build', "
        "init_cfg=dict(type='Constant', layer='Linear', val=1))\n")
    outcome = run_limited(["plan", "c.py", "--apply", "--output", "out.pth"], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(2,))
    assert "--apply needs a model with real tensors" in outcome.output
    assert "weight holds no data" in outcome.output
    assert not (tmp_path / "out.pth").exists()
