"""The grammar: Pydantic models for init_cfg and the fine-tune settings (no torch)."""

from initcfg.schema.initializers import (
    BaseInit,
    Caffe2Xavier,
    Constant,
    Kaiming,
    Normal,
    Override,
    Pretrained,
    TruncNormal,
    Uniform,
    WeightInit,
    Xavier,
)
from initcfg.schema.registry import (
    initializer_types,
    parse_initializer,
    register_initializer,
    unregister_initializer,
)

__all__ = [
    "BaseInit",
    "Caffe2Xavier",
    "Constant",
    "Kaiming",
    "Normal",
    "Override",
    "Pretrained",
    "TruncNormal",
    "Uniform",
    "WeightInit",
    "Xavier",
    "initializer_types",
    "parse_initializer",
    "register_initializer",
    "unregister_initializer",
]
