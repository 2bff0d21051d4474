"""The grammar and the Document: Pydantic models for init_cfg, the fine-tune and the
runtime settings, and :class:`Document`, the typed view of a whole config (no torch).

``Document`` and ``InitCfg`` are imported on first use (they pull in the parsers).
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from initcfg.schema.document import Document, InitCfg

__all__ = [
    "BaseInit",
    "Caffe2Xavier",
    "Constant",
    "Document",
    "InitCfg",
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


def __getattr__(name: str) -> Any:
    if name in ("Document", "InitCfg"):
        from initcfg.schema import document

        return getattr(document, name)
    raise AttributeError(f"module 'initcfg.schema' has no attribute {name!r}")
