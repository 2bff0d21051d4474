"""Process-group setup for runs under ``torchrun``, and the single-process stand-in.

``torchrun`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; with them present and
a world larger than one, the loop joins a process group (NCCL on CUDA, gloo on CPU).
If one rank fails, torchrun's agent stops the others; the timeout bounds the wait of
ranks started by other launchers.
"""

from __future__ import annotations

import gc
import os
import traceback
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True, slots=True)
class DistContext:
    """Where this process stands: rank, world size and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: str | None = None) -> DistContext:
    """Join the process group when launched by torchrun, else describe one process.

    Args:
        device: ``"cpu"`` or ``"cuda"`` to force one; None picks CUDA when available.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        target = torch.device("cuda", local_rank)
    else:
        target = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        import_group_defaults()
        timeout = timedelta(seconds=float(os.environ.get("INITCFG_DIST_TIMEOUT", "600")))
        dist.init_process_group(
            backend="nccl" if use_cuda else "gloo",
            rank=rank,
            world_size=world_size,
            timeout=timeout,
        )
    return DistContext(rank, world_size, local_rank, target)


def import_group_defaults() -> None:
    """Import ``torch.distributed.nn.functional`` before any process group exists.

    Its functions default to ``group=group.WORLD``, a value taken when the module is
    first imported, and DistributedDataParallel imports it while it is built: from then
    on those defaults hold the default group for the life of the process, so
    ``destroy_process_group`` cannot close it. A gloo group still open is closed while
    the interpreter shuts down, and now and then that aborts the rank
    ("terminate called without an active exception", SIGABRT) after a run that
    succeeded. Imported first, the defaults hold None.
    """
    import torch.distributed.nn.functional  # noqa: F401


def teardown(ctx: DistContext) -> None:
    """Leave the process group and close it (only after a clean finish: a collective
    after a failure on another rank would wait for it).

    The caller drops what holds the group (the DistributedDataParallel wrapper) first:
    the group's threads and connections then end here, not in interpreter shutdown.
    """
    if ctx.distributed and dist.is_initialized():
        gc.collect()  # wrappers in reference cycles let go of the group now
        # Every rank reaches this point before any closes its connections: a rank that
        # tears gloo down while a peer still talks to it makes that peer abort.
        dist.barrier()
        dist.destroy_process_group()


def abandon(ctx: DistContext, error: BaseException) -> None:
    """After ``error`` stopped this rank, close the process group without a collective.

    Left open, the group would be closed in interpreter shutdown, where closing gloo
    now and then aborts the rank (SIGABRT, a C++ message instead of this rank's own
    error and exit status). No barrier: the other ranks may never reach one. The
    frames of the failed call hold what holds the group (the runner's
    DistributedDataParallel wrapper), so their locals are cleared first; the error
    keeps its message and where it was raised.
    """
    if not (ctx.distributed and dist.is_initialized()):
        return
    traceback.clear_frames(error.__traceback__)
    gc.collect()
    dist.destroy_process_group()


def broadcast_int(ctx: DistContext, value: int) -> int:
    """Rank 0's ``value`` on every rank."""
    if not ctx.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=ctx.device)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def any_rank(ctx: DistContext, flag: bool) -> bool:
    """True on every rank when ``flag`` is true on at least one."""
    if not ctx.distributed:
        return flag
    tensor = torch.tensor([1 if flag else 0], dtype=torch.int32, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def max_over_ranks(ctx: DistContext, *values: int) -> list[int]:
    """The largest of each of ``values`` over every rank (one collective for all)."""
    if not ctx.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.int64, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return [int(v) for v in tensor.tolist()]


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()
