"""What a training run shows and records: a progress bar or plain lines, and a JSON-lines log.

Reading a loss forces a device sync, so losses are kept as tensors and read in
batches: once per ``log_interval`` iterations and at the end of each epoch.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import torch


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _kept_records(path: Path, keep_until_iter: int, notes: list[str]) -> str:
    """The lines of the log at ``path`` up to iteration ``keep_until_iter``.

    A last line cut short (a crash mid-write leaves one) is dropped, with a note; a
    damaged line before it means the log is not one this loop wrote, and is an error.
    """
    from initcfg.errors import TrainError

    text = path.read_bytes().decode("utf-8", "replace")
    lines = text.split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            iteration = record.get("iter", 0) if isinstance(record, dict) else None
            if not isinstance(iteration, int):
                raise ValueError("no iteration number")
        except ValueError:
            if number == len(lines):  # no newline after it: the write was cut short
                notes.append(
                    f"warning[IC475]: {path}: dropped its last line, cut short by a crash "
                    f"mid-write ({len(line)} characters)"
                )
                continue
            raise TrainError(
                f"cannot resume: line {number} of {path} is not a record of this loop",
                hint="move the log aside to resume (the checkpoint holds the run's state)",
                code="IC476",
            ) from None
        if iteration <= keep_until_iter:
            kept.append(line + "\n")
    return "".join(kept)


class JsonLog:
    """Appends one JSON object per line to ``path``; training records are buffered.

    The log is never opened through a symlink, and a write that fails says which file
    and why (TrainError IC478) instead of torch's or the OS's bare error.

    Args:
        path: The log file, in the work dir.
        keep_until_iter: None starts a new log; else the log of a resumed run is kept up
            to this iteration.
        notes: Receives what the caller should tell the user (a torn last line dropped).
    """

    def __init__(
        self, path: Path, *, keep_until_iter: int | None, notes: list[str] | None = None
    ) -> None:
        from initcfg.backend.torch.train_workdir import refuse_special, write_failed
        from initcfg.config.atomic import write_text_atomic

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        refuse_special(path)
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            if keep_until_iter is None:
                flags |= os.O_TRUNC
            elif path.is_file():
                # A resumed run continues the log from its checkpoint: records written
                # after it (by the interrupted run) are dropped, so the log reads as one
                # run.
                kept = _kept_records(path, keep_until_iter, [] if notes is None else notes)
                write_text_atomic(path, kept)
            fd = os.open(path, flags | os.O_APPEND, 0o666)
        except OSError as error:
            raise write_failed(path, error) from None
        self._handle: TextIO = os.fdopen(fd, "a", encoding="utf-8")
        self._pending: list[dict[str, Any]] = []
        self._losses: list[torch.Tensor] = []

    def _emit(self, lines: list[str]) -> None:
        from initcfg.backend.torch.train_workdir import write_failed

        try:
            self._handle.write("".join(lines))
            self._handle.flush()
        except OSError as error:
            raise write_failed(self.path, error) from None

    def train_record(self, record: dict[str, Any], loss: torch.Tensor) -> None:
        self._pending.append(record)
        self._losses.append(loss)

    def flush(self) -> list[float]:
        """Write buffered training records; returns their losses."""
        if not self._pending:
            return []
        losses = torch.stack(self._losses).float().cpu().tolist()
        for record, loss in zip(self._pending, losses, strict=True):
            record["loss"] = loss
        lines = [json.dumps(record) + "\n" for record in self._pending]
        self._pending.clear()
        self._losses.clear()
        self._emit(lines)
        return list(losses)

    def write(self, record: dict[str, Any]) -> None:
        self.flush()
        self._emit([json.dumps(record) + "\n"])

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with contextlib.suppress(OSError):  # what failed was reported by flush
                self._handle.close()


class Progress:
    """Per-epoch progress: a redrawn bar on a terminal, plain lines elsewhere.

    Args:
        stream: Where to write (stderr by default).
        tty: Force the bar on or off; None asks the stream.
        quiet: Print nothing (other ranks, benchmarks).
    """

    def __init__(
        self, stream: TextIO | None = None, tty: bool | None = None, quiet: bool = False
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._label = ""
        self._total = 0
        self._open_line = False
        self._done_before = 0

    def start_epoch(self, label: str, total: int, done: int = 0) -> None:
        """Begin an epoch of ``total`` iterations, ``done`` of them already run (resume)."""
        self._label = label
        self._total = total
        self._done_before = done
        self._start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, done: int, loss: float | None, lr: float, remaining_iters: int) -> None:
        """Show progress after ``done`` iterations of this epoch."""
        if self.quiet:
            return
        now = time.perf_counter()
        per_iter = (now - self._start) / max(done - self._done_before, 1)
        eta = _clock(per_iter * remaining_iters)
        loss_text = "" if loss is None else f" loss {loss:.4f}"
        if self.tty:
            # Redrawing costs a write syscall: at most ten a second.
            if now - self._last_draw < 0.1 and done < self._total:
                return
            self._last_draw = now
            width = 24
            filled = int(width * done / max(self._total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(
                f"\r{self._label} [{bar}] {done}/{self._total}{loss_text} lr {lr:.3g} ETA {eta}"
            )
            self._open_line = done < self._total
            if not self._open_line:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"{self._label} {done}/{self._total}{loss_text} lr {lr:.3g} ETA {eta}\n"
            )
        self.stream.flush()

    def message(self, text: str, *, force: bool = False) -> None:
        """Print ``text`` on its own line; ``force`` prints it even when quiet."""
        if force or not self.quiet:
            # A bar left mid-way (Ctrl-C, a mid-epoch validation) gets its line ended.
            self.stream.write(("\n" if self._open_line else "") + text + "\n")
            self._open_line = False
            self.stream.flush()
