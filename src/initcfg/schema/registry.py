"""The table of initializer types: the built-ins plus those projects register."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from initcfg.config.distributions import may_declare_entry_points
from initcfg.schema.initializers import BUILTIN_INITIALIZERS, BaseInit

ENTRY_POINT_GROUP = "initcfg.initializers"

_registry: dict[str, type[BaseInit]] = {}
_entry_points_loaded = False


def type_name_of(model: type[BaseInit]) -> str:
    """The ``type`` name an initializer model declares with ``Literal['Name']``."""
    field = model.model_fields.get("type")
    literal = getattr(field, "annotation", None)
    names: tuple[object, ...] = tuple(getattr(literal, "__args__", ()))
    if len(names) != 1 or not isinstance(names[0], str):
        raise TypeError(
            f"{model.__name__} must declare its name as `type: Literal['Name']` to be registered"
        )
    return names[0]


def register_initializer(model: type[BaseInit], *, replace: bool = False) -> type[BaseInit]:
    """Register a project's own initializer model so configs may name its ``type``.

    The model subclasses :class:`initcfg.schema.WeightInit` (or ``BaseInit``) and
    declares ``type: Literal["MyInit"]``. Usable as a class decorator.

    Raises:
        TypeError: ``model`` is not an initializer model.
        ValueError: the name is taken and ``replace`` is false.
    """
    if not (isinstance(model, type) and issubclass(model, BaseInit)):
        raise TypeError(f"{model!r} is not a subclass of initcfg.schema.BaseInit")
    name = type_name_of(model)
    existing = _registry.get(name)
    if existing is not None and existing is not model and not replace:
        raise ValueError(f"an initializer named {name!r} is already registered ({existing!r})")
    _registry[name] = model
    return model


def unregister_initializer(name: str) -> None:
    """Remove a registered type (built-ins included); unknown names are ignored."""
    _registry.pop(name, None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    if not may_declare_entry_points(ENTRY_POINT_GROUP):
        return
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        models = loaded if isinstance(loaded, list | tuple) else [loaded]
        for model in models:
            register_initializer(model)


def initializer_types() -> Mapping[str, type[BaseInit]]:
    """Every known initializer type by name, built-ins first."""
    _load_entry_points()
    return _registry


def parse_initializer(entry: Mapping[str, Any]) -> BaseInit:
    """Build the typed model for one entry (raises pydantic's ValidationError or KeyError).

    A scoped or class-path ``type`` (``mmengine.Kaiming``, ``mmengine.model.KaimingInit``)
    is the registry name it stands for, as the grammar reads it."""
    from initcfg.schema.init_cfg import resolve_type_name  # it imports this module

    raw = entry["type"]
    name = resolve_type_name(raw) if isinstance(raw, str) else raw
    model = initializer_types()[name]
    return model.model_validate({**entry, "type": name})


for _builtin in BUILTIN_INITIALIZERS:
    register_initializer(_builtin)
