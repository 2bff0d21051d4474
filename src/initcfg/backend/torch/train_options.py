"""What a run is asked to do beyond the config (:class:`TrainOptions`) and what it
did (:class:`TrainResult`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to run, beyond what the config says.

    Attributes:
        work_dir: Where checkpoints and the log go (default: the config's ``work_dir``,
            else ``work_dirs/<config name>``).
        resume: Continue from the last checkpoint in ``work_dir``.
        model: ``module:callable`` building the model, replacing the config's factory.
        device: ``"cpu"`` or ``"cuda"``; None picks CUDA when available.
        progress: Show progress (rank 0 only); False for silence.
        tty: Force the progress bar (True) or plain lines (False); None asks stderr.
        stop_after: Stop after this many epochs (iterations when iteration-based) of
            the whole run, writing a checkpoint as Ctrl-C does: a planned interruption.
        skip_init: Do not run the init plan (neither ``init_cfg`` nor ``load_from``): the
            model factory prepared the weights itself.
        trust: Import factories the config names from anywhere, not only from the
            project's own folders.
        overwrite: Start over in a work dir that holds a previous run, removing its
            checkpoints and log first; without it (and without ``resume``) such a work
            dir is refused (IC473).
    """

    work_dir: str | os.PathLike[str] | None = None
    resume: bool = False
    model: str | None = None
    device: str | None = None
    progress: bool = True
    tty: bool | None = None
    stop_after: int | None = None
    skip_init: bool = False
    trust: bool = False
    overwrite: bool = False


@dataclass(slots=True)
class TrainResult:
    """What a run did.

    Attributes:
        work_dir: Where its files are.
        model: The trained model (unwrapped from DDP).
        epoch: Epochs completed.
        iteration: Iterations completed.
        val_history: One dict per validation: ``epoch``, ``iter`` and the metrics.
        last_checkpoint: The newest checkpoint written, if any.
        interrupted: True when it stopped early (Ctrl-C, SIGTERM or ``stop_after``).
        stop_signal: The signal that stopped it (``signal.SIGINT`` or ``SIGTERM``), or
            None.
        load_report: What ``load_from`` loaded (``loaded``/``missing``/``unexpected``/
            ``mismatched`` key lists), when it ran.
        loop_seconds: Wall time spent in the loop (validation and checkpoints included,
            building the model, data and plans excluded).
        already_complete: The run resumed had already finished: nothing was trained and
            ``last_checkpoint`` is the checkpoint it was resumed from.
    """

    work_dir: Path
    model: nn.Module
    epoch: int = 0
    iteration: int = 0
    val_history: list[dict[str, Any]] = field(default_factory=list)
    last_checkpoint: Path | None = None
    interrupted: bool = False
    stop_signal: int | None = None
    load_report: dict[str, list[str]] | None = None
    loop_seconds: float = 0.0
    already_complete: bool = False
