"""The torch backend: execute typed initializers on tensors, bit-exact with MMEngine 0.10.7.

Needs the ``torch`` extra. Training modules (``train*.py``) live beside this package's
init modules and are exported by their own names.
"""

from initcfg.backend.torch._api import InitReport, init_weights, initialize
from initcfg.errors import CheckpointError, InitCfgError, InitError
from initcfg.plan.checkpoint import LoadResult, read_checkpoint

__all__ = [
    "CheckpointError",
    "InitCfgError",
    "InitError",
    "InitReport",
    "LoadResult",
    "init_weights",
    "initialize",
    "read_checkpoint",
]
