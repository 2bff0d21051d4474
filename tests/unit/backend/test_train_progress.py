"""Progress display and the JSON-lines log."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from initcfg.backend.torch.train_progress import JsonLog, Progress  # noqa: E402


def test_terminal_bar_redraws_one_line_and_ends_it() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.start_epoch("epoch 1/3", total=4)
    for done in range(1, 5):
        progress.update(done, 0.5, 0.01, remaining_iters=12 - done)
    text = stream.getvalue()
    assert text.startswith("\repoch 1/3 [")
    assert text.endswith("4/4 loss 0.5000 lr 0.01 ETA 00:00\n")
    assert text.count("\n") == 1  # redrawn in place, one line per epoch


def test_plain_lines_without_a_terminal_and_message_ends_an_open_bar() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=False)
    progress.start_epoch("epoch 2/3", total=10)
    progress.update(5, 1.25, 0.1, remaining_iters=5)
    assert stream.getvalue().startswith("epoch 2/3 5/10 loss 1.2500 lr 0.1 ETA ")

    bar = io.StringIO()
    progress = Progress(bar, tty=True)
    progress.start_epoch("epoch 1/1", total=10)
    progress.update(3, None, 0.1, remaining_iters=7)
    progress.message("stopping")
    assert bar.getvalue().endswith("\nstopping\n")


def test_quiet_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True, quiet=True)
    progress.start_epoch("epoch 1/1", total=2)
    progress.update(1, 1.0, 0.1, remaining_iters=1)
    progress.message("hello")
    assert stream.getvalue() == ""


def test_json_log_buffers_losses_and_resume_cuts_back(tmp_path: Path) -> None:
    path = tmp_path / "train_log.jsonl"
    log = JsonLog(path, keep_until_iter=None)
    for it in range(1, 5):
        log.train_record({"mode": "train", "iter": it}, torch.tensor(float(it)))
    assert path.read_text() == ""  # nothing read back from the device yet
    assert log.flush() == [1.0, 2.0, 3.0, 4.0]
    log.write({"mode": "val", "iter": 4, "accuracy": 50.0})
    log.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["iter"] for r in records] == [1, 2, 3, 4, 4]
    assert records[2]["loss"] == 3.0 and records[4]["accuracy"] == 50.0

    JsonLog(path, keep_until_iter=2).close()
    assert [json.loads(line)["iter"] for line in path.read_text().splitlines()] == [1, 2]
