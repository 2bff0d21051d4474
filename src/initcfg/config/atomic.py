"""Atomic writes: a temp file in the target's folder, then a rename over the target.

A crash or Ctrl-C mid-write leaves the previous file intact, never a truncated one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO


def write_atomic(target: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` with a binary stream that becomes ``target`` once it returns.

    The target's folder is created when missing.
    """
    path = Path(target)
    if path.exists() and not path.is_file():
        # os.replace would put a regular file where a device, fifo or folder was.
        raise IsADirectoryError(f"{path} exists and is not a regular file")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically."""
    write_atomic(target, lambda stream: stream.write(data))


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Replace ``target`` with ``text`` (UTF-8) atomically."""
    write_bytes_atomic(target, text.encode("utf-8"))


def refuse_overwriting(target: str | os.PathLike[str], inputs: Iterable[str]) -> None:
    """Raise ValueError when ``target`` is one of ``inputs``: input files are never
    replaced by an output."""
    resolved = Path(target).resolve()
    for name in inputs:
        if Path(name).resolve() == resolved:
            raise ValueError(f"refusing to overwrite {name}, an input of this run")
