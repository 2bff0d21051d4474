"""A small image-classification task the example generates itself: coloured shapes.

Every image is drawn from a seed, so the same ``(split, classes, size, seed)`` always
gives the same tensors, on every machine, with no download. Pretraining uses filled
shapes; fine-tuning uses their outlines, a related task with a different class set,
so features learned on one transfer to the other.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache

import torch
from torch.utils.data import Dataset

PRETRAIN_CLASSES = ("circle", "square", "triangle", "cross")
FINETUNE_CLASSES = ("ring", "frame", "chevron")

IMAGE_SIZE = 24


def _mask(
    kind: str, yy: torch.Tensor, xx: torch.Tensor, cy: float, cx: float, r: float
) -> torch.Tensor:
    """Boolean mask of one shape centred at (cy, cx) with radius ``r`` on the pixel grid."""
    dy, dx = yy - cy, xx - cx
    dist = torch.sqrt(dy * dy + dx * dx)
    cheb = torch.maximum(dy.abs(), dx.abs())
    thick = max(1.2, r * 0.3)
    if kind == "circle":
        return dist <= r
    if kind == "square":
        return cheb <= r * 0.85
    if kind == "triangle":
        # Apex up: inside when below the apex and within the widening sides.
        return (dy <= r * 0.8) & (dy >= -r) & (dx.abs() <= (dy + r) * 0.55)
    if kind == "cross":
        return ((dx.abs() <= thick * 0.8) | (dy.abs() <= thick * 0.8)) & (cheb <= r)
    if kind == "ring":
        return (dist <= r) & (dist >= r - thick)
    if kind == "frame":
        return (cheb <= r * 0.85) & (cheb >= r * 0.85 - thick)
    if kind == "chevron":
        # An outlined triangle missing its base: a thick 'A' without the bar.
        edge = (dx.abs() - (dy + r) * 0.55).abs()
        return (dy <= r * 0.8) & (dy >= -r) & (edge <= thick * 0.7)
    raise ValueError(f"unknown shape {kind!r}")


@lru_cache(maxsize=16)
def generate(
    classes: tuple[str, ...], size: int, seed: int, image_size: int = IMAGE_SIZE
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``size`` images, classes balanced and shuffled, from ``seed``.

    Uses its own ``torch.Generator``, so it neither depends on nor moves the global RNG.

    Returns:
        ``(images, labels)``: float32 ``(size, 3, H, W)`` in ``[0, 1]`` and int64 ``(size,)``.
    """
    rng = torch.Generator().manual_seed(seed)

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(shape, generator=rng)

    labels = (torch.arange(size) % len(classes))[torch.randperm(size, generator=rng)]
    grid = torch.arange(image_size, dtype=torch.float32)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    images = uniform(0.0, 0.25, size, 3, image_size, image_size)
    for i, label in enumerate(labels.tolist()):
        r = float(uniform(image_size * 0.22, image_size * 0.38))
        cy, cx = uniform(r, image_size - r, 2).tolist()
        mask = _mask(classes[label], yy, xx, cy, cx, r)
        colour = uniform(0.45, 1.0, 3)
        images[i][:, mask] = colour[:, None]
    return images, labels


def _split_seed(split: str, classes: Sequence[str], seed: int) -> int:
    # A stable hash (not Python's salted hash()) keeps the data identical across runs.
    return zlib.crc32(f"{split}:{','.join(classes)}:{seed}".encode())


class ShapesDataset(Dataset[tuple[torch.Tensor, int]]):
    """Generated coloured shapes; ``dataset[i]`` is ``(image, label)``.

    Args:
        split: ``"train"`` or ``"val"``; each split has its own images.
        classes: Shape names (see ``PRETRAIN_CLASSES`` and ``FINETUNE_CLASSES``).
        size: Number of images.
        seed: Changes every image; the default keeps the example reproducible.
    """

    def __init__(
        self,
        split: str = "train",
        classes: Sequence[str] = PRETRAIN_CLASSES,
        size: int = 512,
        seed: int = 0,
    ) -> None:
        self.classes = tuple(classes)
        self.images, self.labels = generate(
            self.classes, int(size), _split_seed(split, self.classes, seed)
        )

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])

