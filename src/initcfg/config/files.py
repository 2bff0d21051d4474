"""Reading config files: regular files of a sane size only."""

from __future__ import annotations

import errno
import os
import stat

# Configs are a few kilobytes; a file far larger is not one (or is /dev/zero).
MAX_CONFIG_BYTES = 16 * 1024 * 1024


def read_config_text(path: str) -> str:
    """The text of a config file; raises OSError for anything but a regular file of a
    sane size (a fifo would block, a device would never end)."""
    return read_config_file(path)[0]


def read_config_file(path: str) -> tuple[str, os.stat_result]:
    """The text of a config file and its status as it was read (see
    :func:`read_config_text`)."""
    data, status = read_regular_file(path, MAX_CONFIG_BYTES)
    return data.decode("utf-8"), status


def read_regular_file(path: str, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file at ``path`` and its status as it was read.

    Raises:
        OSError: ``path`` cannot be opened, is not a regular file (a fifo would block, a
            device would never end) or holds more than ``max_bytes``.
    """
    # O_NONBLOCK: opening a fifo for reading would otherwise wait for a writer.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        # One read sized from the status (os.read allocates all it is asked for), one
        # byte over to notice a file that grew; anything but exactly the stated size
        # (a short read, growth, /proc's zero sizes) reads on to the end.
        data = os.read(handle, min(status.st_size, max_bytes) + 1)
        while len(data) <= max_bytes and len(data) != status.st_size and (
            more := os.read(handle, 1 << 20)
        ):
            data += more
    finally:
        os.close(handle)
    if len(data) > max_bytes:
        raise OSError(errno.EFBIG, f"larger than {max_bytes // (1024 * 1024)} MiB")
    return data, status


def not_a_regular_file(path: str) -> str | None:
    """Why something at ``path`` is not a file that can be read (a symlink loop, a
    folder, a fifo or a device), or None: a regular file, or nothing there at all (a
    missing file, a link to nothing), which callers report as missing."""
    try:
        status = os.stat(path)
    except OSError as error:
        return "its symbolic links form a loop" if error.errno == errno.ELOOP else None
    except ValueError:
        # No file name can hold a NUL: the OS is never asked, os.stat refuses it.
        return "its name holds a NUL character, which no file name can"
    if stat.S_ISDIR(status.st_mode):
        return "it is a folder"
    if not stat.S_ISREG(status.st_mode):
        return "it is not a regular file (a fifo, a socket or a device)"
    return None
