"""Where ``init_cfg`` values come from while planning: the config's, and their typed entries.

:class:`ConfigSource` holds the values a config gives for module paths; the parse cache
turns each distinct value into typed initializers once per process (models repeat the
same ``init_cfg`` in every block).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from initcfg.diagnostics import KeyPath, Location, format_path
from initcfg.plan.model_walk import _class_location
from initcfg.plan.steps import Origin, Source, make_origin
from initcfg.schema.document import ParsedInitCfg
from initcfg.schema.init_cfg import InitCfgParse, parse_init_cfg
from initcfg.schema.initializers import BaseInit, Pretrained

Locate = Callable[[KeyPath], Location | None]


@dataclass(slots=True)
class ConfigSource:
    """``init_cfg`` values a config gives for module paths, and the modules it describes.

    Attributes:
        init_cfgs: Module path → (key path of the ``init_cfg`` value, the value).
        described: Module paths that a dict in the config's ``model`` section describes.
        locate: Key path → source location.
        config: The config file, for diagnostics.
        constructed: The model was built from this config by something that hands each
            described dict's ``init_cfg`` to the module's constructor (MMEngine's
            registry): a module's own ``init_cfg`` attribute is what its constructor made
            of the value and wins; the config's value only fills in for a module that
            has no ``init_cfg`` attribute.
        parsed: The config's ``init_cfg`` values as the Document parsed them, by key
            path: the planner takes these parses instead of parsing the values again.
    """

    init_cfgs: dict[str, tuple[KeyPath, Any]] = field(default_factory=dict)
    described: set[str] = field(default_factory=set)
    locate: Locate | None = None
    config: str | None = None
    constructed: bool = False
    parsed: Mapping[KeyPath, ParsedInitCfg] = field(default_factory=dict)

    def parse(self, value: Any, key: KeyPath | None) -> InitCfgParse:
        """The grammar's parse of ``value``: the Document's when it is the config's value
        at ``key``, else parsed here (once per distinct value and process)."""
        found = self.parsed.get(key) if key is not None else None
        if found is not None and found.value is value:
            return found.parse
        return _parse_cached(value)

    def configured(self, module: nn.Module, path: str) -> tuple[KeyPath, Any] | None:
        """The config's ``init_cfg`` for the module at ``path``, where it applies."""
        found = self.init_cfgs.get(path)
        if found is None or (self.constructed and hasattr(module, "init_cfg")):
            return None
        return found

    def credited(self, module: nn.Module, path: str) -> tuple[KeyPath, Any] | None:
        """:meth:`configured`, or else the config's ``init_cfg`` for a constructed module
        whose attribute is that value unchanged: the attribute is what applies, and its
        entries are credited to the config line that wrote them, not to the class."""
        found = self.init_cfgs.get(path)
        if found is None:
            return None
        if self.constructed and hasattr(module, "init_cfg"):
            return found if plain(module.init_cfg) == plain(found[1]) else None
        return found


def plain(value: Any) -> Any:
    """Mappings and sequences as plain dicts and lists (MMEngine's ConfigDict compares
    and prints as itself)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# One entry of a parse as a module's init_cfg places it: the initializer, its key path
# within the value, that path as text, how its overrides are written (a list, one, none)
# and how many there are.
_Form = tuple[BaseInit, KeyPath, str, "str | None", int]


class EntryForms:
    """Per compile: the layout of each distinct parse's entries, by parse and class."""

    def __init__(self) -> None:
        self.found: dict[tuple[int, Source, type], tuple[InitCfgParse, list[_Form]]] = {}

    def entries(
        self, result: InitCfgParse, value: Any, module: nn.Module, path: str, source: Source
    ) -> list[_Entry]:
        """The planner's entries for a clean parse of a module's own (or an argument's)
        ``init_cfg``: blocks repeat one value, whose parse the grammar's cache shares, so
        the key suffixes and override layout are worked out once per parse and class."""
        cls = type(module)
        cache_key = (id(result), source, cls)
        found = self.found.get(cache_key)
        if found is None or found[0] is not result:
            forms: list[_Form] = []
            tops = [p.path for p in result.located if p.override_of is None]
            for initializer, rel in zip(result.entries or (), tops, strict=True):
                raw = _raw_at(value, rel)
                overrides = raw.get("override") if isinstance(raw, Mapping) else None
                layout = (
                    "list" if isinstance(overrides, list) else None if overrides is None
                    else "one"
                )
                count = len(initializer.override or ())
                forms.append((initializer, rel, format_path(("", *rel)), layout, count))
            found = self.found[cache_key] = (result, forms)
        if source == "argument":
            head: KeyPath = ("init_cfg",)
        else:
            head = (path or cls.__name__, "init_cfg")
        text = format_path(head)
        file, line = _class_location(cls) if source == "attribute" else (None, None)
        entries: list[_Entry] = []
        for initializer, rel, suffix, layout, count in found[1]:
            origin = make_origin(path, text + suffix, source, file, line)
            keys: list[KeyPath | None]
            if layout is None:
                keys = [None] * count
            elif layout == "list":
                keys = [(*head, *rel, "override", i) for i in range(count)]
            else:
                keys = [(*head, *rel, "override")] * count
            entries.append(_Entry(initializer, origin, keys, None))
        return entries


@dataclass(slots=True)
class _Entry:
    initializer: BaseInit
    origin: Origin
    override_keys: list[KeyPath | None]
    key: KeyPath | None = None  # the entry's key path in a config, for precise locations


def _deferred(init: BaseInit) -> bool:
    """A module's Pretrained entries run after its children (spelling permitting)."""
    return isinstance(init, Pretrained) and init.deferred


_PARSED: dict[Any, InitCfgParse] = {}


_PLAIN_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_SCALAR_NAMES = {kind: kind.__name__ for kind in _PLAIN_SCALARS}


def _frozen(value: Any) -> Any:
    """A hashable copy of a plain value (dicts, lists, scalars), or None if it is not
    plain; the type is part of the key so that 1, 1.0 and True stay distinct, and a zero's
    sign so that 0.0 and -0.0 do (they compare equal, but fill a tensor differently).

    Exact built-in types take a fast path (a scalar inside a dict or list without a call
    of its own: the index freezes the ``init_cfg`` of every module that has one); anything
    else (mappings and sequences of other types, subclasses) goes through
    :func:`_frozen_any`, which gives the same keys."""
    scalars = _SCALAR_NAMES
    kind = type(value)
    name = scalars.get(kind)
    if name is not None:
        return (name, value) if value or kind is not float else _zero(value)
    if kind is dict:
        items = []
        for key, item in value.items():
            name = scalars.get(type(item))
            plain_scalar = name is not None and (item or type(item) is not float)
            frozen = (name, item) if plain_scalar else _frozen(item)
            if frozen is None or type(key) is not str:
                return _frozen_any(value)
            items.append((key, frozen))
        return ("d", tuple(items))
    if kind is list or kind is tuple:
        parts = []
        for item in value:
            name = scalars.get(type(item))
            plain_scalar = name is not None and (item or type(item) is not float)
            frozen = (name, item) if plain_scalar else _frozen(item)
            if frozen is None:
                return None
            parts.append(frozen)
        return (kind.__name__, tuple(parts))
    return _frozen_any(value)


def _frozen_any(value: Any) -> Any:
    """A hashable copy of a plain value (dicts, lists, scalars), or None if it is not
    plain; the type is part of the key so that 1, 1.0 and True stay distinct."""
    if isinstance(value, Mapping):
        items = [(k, _frozen(v)) for k, v in value.items()]
        if any(not isinstance(k, str) or v is None for k, v in items):
            return None
        return ("d", tuple(items))
    if isinstance(value, list | tuple):
        frozen = [_frozen(v) for v in value]
        return None if any(v is None for v in frozen) else (type(value).__name__, tuple(frozen))
    if isinstance(value, float) and not value:
        return _zero(value)
    if value is None or isinstance(value, str | int | float | bool):
        return (type(value).__name__, value)
    return None


def frozen_key(value: Any) -> Any:
    """:func:`_frozen`, or None for a value inside itself or nested past Python's
    recursion limit (a module's ``init_cfg`` is whatever code put there): such a value
    is parsed on its own, and the grammar reports it."""
    try:
        return _frozen(value)
    except RecursionError:  # no depth counter: this walk is on the compile's hot path
        return None


def _zero(value: float) -> Any:
    return (type(value).__name__, value, math.copysign(1.0, value))


def _parse_cached(value: Any) -> InitCfgParse:
    # Models repeat the same init_cfg in every block; parsing is the planner's main cost.
    key = frozen_key(value)
    if key is None:
        return parse_init_cfg(value)
    found = _PARSED.get(key)
    if found is None:
        if len(_PARSED) > 4096:
            _PARSED.clear()
        found = _PARSED[key] = parse_init_cfg(value)
    return found


def _is_typed(value: Any) -> bool:
    if isinstance(value, BaseInit):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, BaseInit) for v in value)


def _parse_typed(value: Any) -> list[tuple[BaseInit, KeyPath]]:
    if isinstance(value, BaseInit):
        return [(value, ())]
    return [(item, (index,)) for index, item in enumerate(value)]


def _raw_at(value: Any, rel: KeyPath) -> Any:
    if not rel:
        return value
    if isinstance(value, list) and isinstance(rel[0], int) and rel[0] < len(value):
        return value[rel[0]]
    return None
