"""The work dir of a training run: one run at a time, no file written through a symlink,
no input overwritten, no leftovers of a crash, a write failure that names its file.

A run owns these files in its work dir: ``train_log.jsonl``, ``last_checkpoint``,
``epoch_N.pth``, ``iter_N.pth``, ``interrupted.pth``, the atomic writer's temp files
and the lock file ``.initcfg-train.lock``. Rank 0 holds the lock (``flock``, which the
kernel releases when the process ends, however it ends) for the whole run.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from initcfg.config.atomic import stale_temp_files
from initcfg.errors import TrainError

try:  # flock is POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:  # pragma: no cover - the tests run on Linux
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".initcfg-train.lock"
LOG_NAME = "train_log.jsonl"
POINTER_NAME = "last_checkpoint"
_RUN_FILE = re.compile(
    r"^(?:(?:epoch|iter)_\d+\.pth|interrupted\.pth|train_log\.jsonl|last_checkpoint)$"
)


def is_run_file(name: str) -> bool:
    """Whether a run writes (or rotates away) a file of this name in its work dir."""
    return bool(_RUN_FILE.match(name))


def run_files(work_dir: Path) -> list[Path]:
    """The files of a previous run in ``work_dir`` (any kind of file, links included)."""
    try:
        entries = list(os.scandir(work_dir))
    except OSError:
        return []
    return sorted(Path(entry.path) for entry in entries if is_run_file(entry.name))


def kind_of(path: Path) -> str | None:
    """``None`` for a regular file (or a missing one), else what it is instead."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def refuse_special(path: Path) -> None:
    """Raise TrainError IC474 when ``path`` exists and is not a regular file: a write
    would follow a symlink out of the work dir or block on a fifo."""
    kind = kind_of(path)
    if kind is not None:
        raise TrainError(
            f"{path} is {kind}, not a regular file: a run never writes through one",
            hint="remove it, or choose another --work-dir",
            code="IC474",
        )


def describe_write_error(path: Path, error: OSError) -> str:
    """``cannot write PATH: CAUSE`` in the user's words (file-size limit, full disk)."""
    cause = error.strerror or str(error)
    if error.errno == errno.EFBIG:
        cause = "the file would exceed the file-size limit"
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
            if soft != resource.RLIM_INFINITY:
                cause += f" (ulimit -f: {soft} bytes)"
        except (ImportError, OSError, ValueError):
            pass
    elif error.errno == errno.ENOSPC:
        cause = "no space is left on the device"
    elif error.errno == errno.EDQUOT:
        cause = "the disk quota is exhausted"
    return f"cannot write {path}: {cause}"


def write_failed(path: Path, error: OSError) -> TrainError:
    """The TrainError (IC478) for a write in the work dir that failed."""
    full = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return TrainError(
        describe_write_error(path, error),
        # Freeing space only helps a write that ran out of it (not a permission, say).
        hint="free space or raise the limit, then continue with --resume" if full
        else "make the work dir writable, or choose another --work-dir",
        code="IC478",
    )


def refuse_inputs_in_work_dir(work_dir: Path, inputs: Iterable[str | None], what: str) -> None:
    """Raise TrainError IC472 when an input is a file the run would overwrite or rotate
    away (``load_from='wd/epoch_3.pth'`` with ``--work-dir wd``)."""
    root = work_dir.resolve()
    for name in inputs:
        if not name or "://" in name:
            continue
        resolved = Path(name).expanduser().resolve()
        if resolved.parent == root and is_run_file(resolved.name):
            raise TrainError(
                f"refusing to train into {work_dir}: {what} {name} is a file this run "
                "writes there, and it would be overwritten",
                hint="copy the checkpoint elsewhere first, or choose another --work-dir",
                code="IC472",
            )


class WorkDirLock:
    """An exclusive lock on a work dir, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, work_dir: Path) -> None:
        self.path = work_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise TrainError IC471 when another run holds it."""
        if fcntl is None:  # pragma: no cover
            return
        refuse_special(self.path)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o666)
        except OSError as error:
            raise TrainError(
                f"cannot lock {self.path.parent}: {error.strerror or error}", code="IC471"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise TrainError(
                f"{self.path.parent} is in use by another training run{who}",
                hint="wait for it to finish, or choose another --work-dir",
                code="IC471",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (the file stays: removing it would race a new run)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None


def clear_stale_temp_files(work_dir: Path) -> list[Path]:
    """Remove the temp files an interrupted atomic write left (kill -9 mid-checkpoint).

    Called with the lock held, so no write of another run is under way.
    """
    removed = []
    for temp in stale_temp_files(work_dir):
        try:
            temp.unlink()
        except OSError:
            continue
        removed.append(temp)
    return removed
