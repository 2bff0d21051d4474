"""The grammar and the Document: Pydantic models for init_cfg, the fine-tune and the
runtime settings, and :class:`Document`, the typed view of a whole config (no torch).

Every public name is imported on first use: importing a submodule (the schema cache,
say) builds no model it does not need.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from initcfg.schema.document import Document, InitCfg
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

_REGISTRY_NAMES = frozenset(
    {"initializer_types", "parse_initializer", "register_initializer", "unregister_initializer"}
)


def _home(name: str) -> str | None:
    if name in ("Document", "InitCfg"):
        return "initcfg.schema.document"
    if name in _REGISTRY_NAMES:
        return "initcfg.schema.registry"
    if name in __all__:
        return "initcfg.schema.initializers"
    return None


def __getattr__(name: str) -> Any:
    home = _home(name)
    if home is None:
        raise AttributeError(f"module 'initcfg.schema' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
