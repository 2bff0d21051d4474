"""Reading config files: regular files of a sane size only."""

from __future__ import annotations

import errno
from pathlib import Path

# Configs are a few kilobytes; a file far larger is not one (or is /dev/zero).
MAX_CONFIG_BYTES = 16 * 1024 * 1024


def read_config_text(path: str) -> str:
    """The text of a config file; raises OSError for anything but a regular file of a
    sane size (a fifo would block, a device would never end)."""
    file = Path(path)
    if file.exists() and not file.is_file():
        raise OSError(errno.EINVAL, "not a regular file")
    with file.open("rb") as stream:
        data = stream.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB")
    return data.decode("utf-8")
