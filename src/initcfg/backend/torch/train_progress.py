"""What a training run shows and records: a progress bar or plain lines, and a JSON-lines log.

Reading a loss forces a device sync, so losses are kept as tensors and read in
batches: once per ``log_interval`` iterations and at the end of each epoch.
"""

from __future__ import annotations

import json
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


class JsonLog:
    """Appends one JSON object per line to ``path``; training records are buffered."""

    def __init__(self, path: Path, *, keep_until_iter: int | None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if keep_until_iter is None:
            path.write_text("")
        elif path.is_file():
            # A resumed run continues the log from its checkpoint: records written after
            # it (by the interrupted run) are dropped, so the log reads as one run.
            kept = [
                line
                for line in path.read_text().splitlines()
                if line.strip() and json.loads(line).get("iter", 0) <= keep_until_iter
            ]
            path.write_text("".join(line + "\n" for line in kept))
        self._handle: TextIO = path.open("a")
        self._pending: list[dict[str, Any]] = []
        self._losses: list[torch.Tensor] = []

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
            self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()
        self._pending.clear()
        self._losses.clear()
        return list(losses)

    def write(self, record: dict[str, Any]) -> None:
        self.flush()
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self.flush()
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

    def message(self, text: str) -> None:
        if not self.quiet:
            # A bar left mid-way (Ctrl-C, a mid-epoch validation) gets its line ended.
            self.stream.write(("\n" if self._open_line else "") + text + "\n")
            self._open_line = False
            self.stream.flush()
