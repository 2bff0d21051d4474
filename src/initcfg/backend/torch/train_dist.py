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


def close_process_group(*, clean: bool) -> None:
    """Leave the default process group and close it, if this process is in one.

    Left open, a gloo group is closed in interpreter shutdown, where it now and then
    aborts the rank (SIGABRT, "terminate called without an active exception") instead
    of letting it exit with its own status. The caller first drops what holds the group
    (a DistributedDataParallel wrapper, a Runner); wrappers in reference cycles are
    collected here, so the group's threads and connections end now.

    Args:
        clean: The run finished on every rank: all meet at a barrier first, since a rank
            that tears gloo down while a peer still talks to it makes that peer abort.
            After a failure there is no barrier: the other ranks may never reach one.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    gc.collect()
    if clean:
        dist.barrier()
    dist.destroy_process_group()


def teardown(ctx: DistContext) -> None:
    """After a clean finish, leave the process group and close it (see
    :func:`close_process_group`; the caller has dropped its DDP wrapper)."""
    if ctx.distributed:
        close_process_group(clean=True)


def abandon(ctx: DistContext, error: BaseException) -> None:
    """After ``error`` stopped this rank, close the process group without a collective.

    The frames of the failed call hold what holds the group (the runner's
    DistributedDataParallel wrapper), so their locals are cleared first; the error
    keeps its message and where it was raised.
    """
    if ctx.distributed:
        traceback.clear_frames(error.__traceback__)
        close_process_group(clean=False)


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
