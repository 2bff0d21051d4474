"""Stopping a run and continuing it: the first Ctrl-C or SIGTERM, which checkpoint every
rank resumes from, and where a position written by another number of processes goes on."""

from __future__ import annotations

import math
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import torch.distributed as dist

from initcfg.backend.torch.train_dist import DistContext, any_rank
from initcfg.errors import TrainError


class _Interrupt:
    """First Ctrl-C or SIGTERM (what schedulers send before they kill a job): finish
    the iteration, checkpoint, stop. A second one of either: stop at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.signal_number = signum

    def __enter__(self) -> _Interrupt:
        for number in self.SIGNALS:
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                break
        return self

    def __exit__(self, *exc: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()


def agree_on_resume(ctx: DistContext, own_choice: Path | None, work_dir: Path) -> None:
    """Every rank resumes from the checkpoint rank 0 resumes from, or none does (collective).

    Each rank looks for the checkpoint itself and reads it itself, so each must see
    the work dir as rank 0 does. A rank that found another checkpoint, or none (a
    work dir on a disk of rank 0's machine only), trained from another position
    with other weights: the ranks then ran different numbers of iterations and
    stopped only when a collective timed out. Such a run stops at once instead.

    Raises:
        TrainError: On every rank, when any rank's choice differs from rank 0's.
    """
    if not ctx.distributed:
        return
    own = None if own_choice is None else str(own_choice)
    chosen: list[str | None] = [own]
    dist.broadcast_object_list(chosen, src=0)
    if not any_rank(ctx, own != chosen[0]):
        return
    hint = ("every process reads the work dir: it must be on a file system all of "
            "them see, with the same contents")
    if own == chosen[0]:
        raise TrainError(
            "cannot resume: another process sees a different checkpoint in "
            f"{work_dir} (its message says which)", hint=hint,
        )
    theirs = chosen[0] or "no checkpoint (it starts from scratch)"
    raise TrainError(
        f"cannot resume: rank 0 resumes from {theirs}, but this process finds "
        f"{own or 'no checkpoint'} in {work_dir}", hint=hint,
    )


def position_in_epoch(
    iter_in_epoch: int,
    written_by: int,
    world_size: int,
    *,
    batch: int,
    size: int,
    drop_last: bool,
    iters_per_epoch: int,
) -> int:
    """Where in its epoch a position counted with ``written_by`` processes goes on here.

    An epoch has another number of iterations in another world size. Left in the
    old units, a position inside an epoch ran past the new epoch's end, and an
    epoch loop then ended its iterations inside its last epoch: no last
    validation, no last checkpoint. The part of the epoch already trained is
    carried over in samples (rounded down to a whole batch, so no sample of the
    epoch is left out); a finished epoch stays finished.
    """
    per_rank_before = math.ceil(size / written_by)
    iters_before = (
        per_rank_before // batch if drop_last else math.ceil(per_rank_before / batch)
    )
    if iter_in_epoch >= iters_before:
        return iters_per_epoch
    seen = iter_in_epoch * batch * written_by
    return min(seen // (batch * world_size), iters_per_epoch)
