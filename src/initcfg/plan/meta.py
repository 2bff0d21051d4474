"""Build a model on the meta device without running its parameter initialization.

Planning needs shapes, never values. A meta tensor has none, so the
``reset_parameters`` draws a module makes while it is built do nothing but cost: torch
loads its decomposition machinery for the first random fill on the meta device (about
70 MB and seconds of start-up). Inside :func:`meta_model_building` those fills are
skipped, so planning a billion-parameter model stays small and fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.nn import init

# The in-place fills torch.nn modules call from reset_parameters.
_FILLS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_",
)


def _skipping(original: Callable[..., Any]) -> Callable[..., Any]:
    def fill(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if isinstance(tensor, torch.Tensor) and tensor.is_meta:
            return tensor
        return original(tensor, *args, **kwargs)

    return fill


@contextmanager
def meta_model_building() -> Iterator[None]:
    """Tensors created inside are on the meta device, and ``torch.nn.init`` fills of
    meta tensors are skipped (fills of real tensors still run)."""
    saved = {name: getattr(init, name) for name in _FILLS if hasattr(init, name)}
    try:
        for name, original in saved.items():
            setattr(init, name, _skipping(original))
        with torch.device("meta"):
            yield
    finally:
        for name, original in saved.items():
            setattr(init, name, original)
