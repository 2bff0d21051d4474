"""Training checkpoints: atomic writes, rotation, the ``last_checkpoint`` pointer, RNG state.

A checkpoint is a dict in MMEngine's layout (``meta``, ``state_dict``, ``optimizer``)
plus what an exact resume needs: the loop position, every RNG state and gradients
accumulated but not yet applied. ``load_from`` of a later fine-tune reads
``state_dict`` like any MMEngine checkpoint.
"""

from __future__ import annotations

import os
import random
import stat
from pathlib import Path
from typing import Any

import torch

from initcfg.config.atomic import write_atomic, write_text_atomic
from initcfg.plan.checkpoint import load_weights_only

try:  # torch does not require numpy; record its RNG only where it exists
    import numpy as np
except ImportError:  # pragma: no cover - numpy is installed wherever the tests run
    np = None  # type: ignore[assignment]

LAST_POINTER = "last_checkpoint"


def capture_rng() -> dict[str, Any]:
    """Every random state a training step can draw from."""
    # Only tensors and plain values, so the file loads with ``weights_only=True``.
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if np is not None:
        kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
        keys_tensor = torch.from_numpy(np.asarray(keys, dtype=np.int64))
        state["numpy"] = [kind, keys_tensor, pos, has_gauss, cached]
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Put back what :func:`capture_rng` recorded."""
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if np is not None and "numpy" in state:
        kind, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_atomic(payload: dict[str, Any], path: Path) -> None:
    """``torch.save`` to ``path`` through a temp file and ``os.replace``.

    Raises:
        OSError: the write failed (the cause itself, not torch's rewording of it).
    """
    write_atomic(path, lambda stream: torch.save(payload, stream))


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def resume_candidates(work_dir: Path) -> tuple[Path | None, list[Path]]:
    """The checkpoint to resume from and the ``*.pth`` entries passed over because they
    are not regular files (a fifo would block the read forever).

    The checkpoint is the one ``last_checkpoint`` points to, else the newest regular
    ``*.pth``, else None.
    """
    pointer = work_dir / LAST_POINTER
    if _is_regular(pointer):
        with pointer.open("rb") as stream:
            name = stream.read(4096).decode("utf-8", "replace").strip()
        if name:
            target = Path(name)
            if not target.is_absolute():
                target = work_dir / target
            if _is_regular(target):
                return target, []
    regular: list[tuple[float, Path]] = []
    skipped: list[Path] = []
    for candidate in work_dir.glob("*.pth"):
        if _is_regular(candidate):
            regular.append((candidate.stat().st_mtime, candidate))
        else:
            skipped.append(candidate)
    regular.sort(key=lambda item: item[0])
    return (regular[-1][1] if regular else None), sorted(skipped)


def find_last(work_dir: Path) -> Path | None:
    """The checkpoint ``last_checkpoint`` points to, or the newest regular ``*.pth``, or
    None."""
    return resume_candidates(work_dir)[0]


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :class:`CheckpointKeeper` (weights-only, like any).

    The file is opened without blocking and checked to be a regular file before a byte
    is read: a fifo or device put in its place is refused, not waited on.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path} is not a regular file")
        os.set_blocking(fd, True)
        stream = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with stream:
        # The plan's reader: its errors say what the file is in one line, where torch's
        # own text for a refused global runs to paragraphs and suggests weights_only=False.
        data = load_weights_only(stream, str(path), "cpu")
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a checkpoint dict")
    return data


class CheckpointKeeper:
    """Writes checkpoints into ``work_dir`` and keeps the newest ``max_keep``.

    Args:
        work_dir: Where checkpoints and the ``last_checkpoint`` pointer go.
        max_keep: How many periodic checkpoints to keep; <= 0 keeps all.
    """

    def __init__(self, work_dir: Path, max_keep: int) -> None:
        self.work_dir = work_dir
        self.max_keep = max_keep
        self.kept: list[Path] = []

    def save(self, name: str, payload: dict[str, Any], *, rotate: bool = True) -> Path:
        """Write ``name`` atomically, point ``last_checkpoint`` at it, drop the oldest.

        ``rotate=False`` is for the interrupt checkpoint, which is not a periodic one
        and must not push a periodic one out.
        """
        path = self.work_dir / name
        save_atomic(payload, path)
        write_text_atomic(self.work_dir / LAST_POINTER, name)
        if rotate:
            if path in self.kept:
                self.kept.remove(path)
            self.kept.append(path)
            while self.max_keep > 0 and len(self.kept) > self.max_keep:
                self.kept.pop(0).unlink(missing_ok=True)
        return path

    def adopt_existing(self, names: list[str]) -> None:
        """Count checkpoints of the run being resumed, so rotation continues across it."""
        self.kept = [self.work_dir / n for n in names if (self.work_dir / n).is_file()]
