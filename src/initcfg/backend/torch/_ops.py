"""Run planned tensor ops on real tensors (the op descriptions live in :mod:`initcfg.plan.ops`).

Old import path for the op descriptions; use :mod:`initcfg.plan.ops`.
"""

from __future__ import annotations

import torch

from initcfg.plan.ops import OpKind as OpKind
from initcfg.plan.ops import Scalar as Scalar
from initcfg.plan.ops import TensorOp as TensorOp
from initcfg.plan.ops import bias_from_prob as bias_from_prob
from initcfg.plan.ops import bias_op as bias_op
from initcfg.plan.ops import is_weight_init as is_weight_init
from initcfg.plan.ops import weight_op as weight_op


def run_op(op: TensorOp, tensor: torch.Tensor) -> None:
    """Write ``tensor`` in place as ``op`` says; the caller holds ``torch.no_grad()``."""
    kind, args = op.kind, op.args
    if kind == "fill":
        tensor.fill_(args[0])
    elif kind == "normal":
        tensor.normal_(args[0], args[1])
    elif kind == "uniform":
        tensor.uniform_(args[0], args[1])
    elif kind == "trunc_normal":
        lo_u, hi_u, scale, mean, a, b = args
        tensor.uniform_(lo_u, hi_u)
        tensor.erfinv_()
        tensor.mul_(scale)
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
