"""Atomic writes: a temp file in the target's folder, then a rename over the target.

A crash or Ctrl-C mid-write leaves the previous file intact, never a truncated one.
A crash can leave the temp file (``.NAME.XXXXXXXX.tmp``) behind: :func:`stale_temp_files`
finds such leftovers so the next run can clear them.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pathlib import Path
# pathlib is imported where a Path is returned: `initcfg schema` writes without it.

_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
_TEMP_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"
# mkstemp's flags: a new file only, never through a symlink, not inherited by children.
_TEMP_FLAGS = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _make_temp(folder: str, name: str) -> tuple[int, str]:
    """Create ``.NAME.XXXXXXXX.tmp`` in ``folder`` (mode 0600, never an existing file),
    as ``tempfile.mkstemp`` would: that module's import costs more than a small write."""
    for _ in range(100):
        letters = "".join(_TEMP_LETTERS[byte % len(_TEMP_LETTERS)] for byte in os.urandom(8))
        temp = os.path.join(folder, f".{name}.{letters}.tmp")
        try:
            return os.open(temp, _TEMP_FLAGS, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the umask."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no way to read it without setting it
    os.umask(mask)
    return 0o666 & ~mask


class _RecordingStream:
    """A write-only view of a stream that keeps the first OSError a write raised.

    torch.save reports a failed write as its own RuntimeError (``inline_container.cc``
    text) that hides the cause; the recorded error says which (file size limit, disk
    full) so it can be reported instead.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except OSError as error:
            self.error = self.error or error
            raise

    def flush(self) -> None:
        self._stream.flush()


def write_atomic(
    target: str | os.PathLike[str],
    write: Callable[[BinaryIO], object],
    *,
    create_folders: bool = True,
) -> None:
    """Call ``write`` with a binary stream that becomes ``target`` once it returns.

    The new file gets the mode a plain ``open()`` would give it (the umask applies),
    or keeps the mode of the file it replaces. A symlink at ``target`` is replaced, not
    written through.

    Args:
        target: The file to write.
        write: Writes the content to the stream it is given.
        create_folders: Create the target's folder when missing; when False a missing
            folder is a FileNotFoundError naming it.

    Raises:
        OSError: the target is a folder, fifo or device, or the write failed; the
            error of the failed write itself (``EFBIG``, ``ENOSPC``), also when the
            writer (torch) replaced it with its own.
    """
    path = os.fspath(target)
    path = path.rstrip(os.sep) or path  # as Path() reads "out/": the file "out"
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    if status is not None and not (stat.S_ISREG(status.st_mode) or stat.S_ISLNK(status.st_mode)):
        # os.replace would put a regular file where a device, fifo or folder was.
        raise IsADirectoryError(f"{path} exists and is not a regular file")
    folder, name = os.path.split(path)
    folder = folder or "."
    if not os.path.isdir(folder):
        if not create_folders:
            raise FileNotFoundError(f"the folder {folder} does not exist")
        os.makedirs(folder, exist_ok=True)
    if status is not None and stat.S_ISREG(status.st_mode):
        mode = stat.S_IMODE(status.st_mode)
    else:
        mode = _new_file_mode()
    handle, temp = _make_temp(folder, name)
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # the temp file is made 0600
            recording = _RecordingStream(stream)
            try:
                write(recording)  # type: ignore[arg-type]
            except Exception:
                if recording.error is not None:
                    raise recording.error from None
                raise
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically."""
    write_atomic(target, lambda stream: stream.write(data))


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Replace ``target`` with ``text`` (UTF-8) atomically."""
    write_bytes_atomic(target, text.encode("utf-8"))


def stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The regular files in ``folder`` named as :func:`write_atomic`'s temp files are.

    Only meaningful while no writer is at work in ``folder`` (a run holds its lock).
    """
    from pathlib import Path

    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if _TEMP_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
            found.append(Path(entry.path))
    return sorted(found)


def refuse_overwriting(
    target: str | os.PathLike[str], inputs: Iterable[tuple[str, str]]
) -> None:
    """Raise ValueError when ``target`` is one of ``inputs`` (``(path, what it is)``
    pairs): input files are never replaced by an output. The same file under another
    name (a symlink, a hard link, ``..``) counts; a target that does not exist yet
    replaces nothing."""
    try:
        found = os.stat(target)
    except OSError:
        return
    for name, what in inputs:
        try:
            status = os.stat(name)
        except (OSError, ValueError):
            continue
        if (status.st_dev, status.st_ino) == (found.st_dev, found.st_ino):
            raise ValueError(f"refusing to overwrite {name}: it is {what}, an input of this run")
