"""``load_config``: read a config file of any supported format into a ConfigTree."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from initcfg.config.budget import MAX_TREE_ITEMS, tree_size
from initcfg.config.evaluator import LazySourceMap, LocTable, plain
from initcfg.config.files import read_config_text
from initcfg.config.loaded import Loaded
from initcfg.config.loader import Loader, key_not_a_name
from initcfg.config.mapping import MAX_MAPPING_DEPTH as MAX_MAPPING_DEPTH
from initcfg.config.mapping import plain_config
from initcfg.config.merge import add_scope, unshare
from initcfg.config.redact import redact
from initcfg.config.source import SourceMap
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, Location, diagnostic
from initcfg.errors import ConfigLoadError as ConfigLoadError

CONFIG_SUFFIXES = (".py", ".yaml", ".yml", ".json")
RESERVED_KEYS = ("filename", "text", "pretty_text", "env_variables")


def read_text(path: str) -> tuple[str | None, ConfigTree | None]:
    """The file's text, or a ConfigTree holding the IC001 diagnostic that says why not."""
    try:
        return read_config_text(path), None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        failed = ConfigTree({}, path=path, files=[path])
        failed.diagnostics.append(
            diagnostic("IC001", f"cannot read {path}: {reason}").at(Location(path, 1, 1))
        )
        return None, failed


def load_config(path: str | os.PathLike[str], *, trust: bool = False) -> ConfigTree:
    """Load a config file (``.py``, ``.yaml``, ``.yml``, ``.json``) without executing it.

    ``_base_`` inheritance is applied for every format (bases may mix formats), as are
    ``{{_base_.x}}`` placeholders, predefined and environment variables; Python configs
    are read by a safe evaluator that refuses any construct that could run code.

    Args:
        path: The config file.
        trust: Execute Python configs the way MMEngine does when they use constructs the
            safe evaluator refuses. Off by default: configs are never executed.

    Returns:
        The merged config, complete: ``to_dict()`` is what MMEngine's
        ``Config.fromfile(path).to_dict()`` gives. Warnings and notes found while loading
        (IC208, IC212, …) are in its ``diagnostics``.

    Raises:
        ConfigLoadError: The load found an error (the file or a base cannot be read or
            parsed, the safe evaluator does not support a construct, MMEngine would
            refuse the merge…): the values would be incomplete, so none are returned.
            The error's ``diagnostics`` say what and where; :func:`initcfg.validate`
            reports the same diagnostics without raising.
        TypeError: ``trust`` is not a bool, or ``path`` is not a ``str`` or an
            ``os.PathLike`` naming one (bytes included: every name initcfg reports is
            text); a config given as a mapping is checked by :func:`initcfg.validate`
            instead.
    """
    require_flag(trust, "trust", "load_config")
    name = file_name(path, "load_config")
    tree = load_tree(name, trust=trust)
    if any(item.severity == "error" for item in tree.diagnostics):
        raise ConfigLoadError(name, list(tree.diagnostics))
    return tree


def load_tree(path: str | os.PathLike[str], *, trust: bool = False) -> ConfigTree:
    """:func:`load_config` for the checks, which report a failed load instead of raising:
    the tree of a load with errors holds them in ``diagnostics``, and its values are
    only what was loaded before the failure (never to be taken for the config).

    Every diagnostic of the load names ``path`` (as given) as its ``config``: the
    ones raised in a :class:`ConfigLoadError` and listed first in a plan's diagnostics
    too, not only those that :func:`initcfg.validate` places."""
    name = os.fspath(path)
    tree = _load_tree(name, trust)
    found = tree.diagnostics
    for index, item in enumerate(found):
        if item.config is None:
            found[index] = replace(item, config=name)
    return tree


def _load_tree(name: str, trust: bool) -> ConfigTree:
    if not name.endswith(CONFIG_SUFFIXES):
        failed = ConfigTree({}, path=name, files=[name])
        # A folder is said to be one: "must end in .py" would send its caller renaming
        # a folder that the library was never going to walk.
        reason = (
            "it is a folder; the library checks one config file (the `initcfg validate` "
            "command walks folders)" if os.path.isdir(name)
            else "a config must end in " + ", ".join(CONFIG_SUFFIXES)
        )
        failed.diagnostics.append(
            diagnostic("IC001", f"cannot read {name}: {reason}").at(Location(name, 1, 1))
        )
        return failed
    # Loading allocates many small dicts and lists and frees few of them; the cyclic
    # collector's passes (over the growing base cache, too) cost about a fifth of the
    # time. It is paused for the call and restored as it was found.
    collecting = gc.isenabled()
    gc.disable()
    try:
        loaded = Loader(trust=trust).load(os.path.abspath(name))
        return tree_from_loaded(loaded, name)
    except RecursionError:
        # Values nested thousands deep (built by a loop) outgrow the recursive merge
        # and copy; a diagnostic, not a traceback.
        failed = ConfigTree({}, path=name, files=[name])
        failed.diagnostics.append(
            diagnostic(
                "IC201", "initcfg's safe evaluator does not support values nested this "
                "deeply, so this file was not checked; a limit of initcfg, not necessarily "
                "a mistake in the config",
            ).at(Location(name, 1, 1))
        )
        return failed
    finally:
        if collecting:
            gc.enable()


class _Names:
    """File names as the user wrote them: a config given by a relative path reports its
    files (bases included) relative to the working directory, as editors and CI
    annotations expect; internally every path is absolute."""

    def __init__(self, given: str) -> None:
        self.relative = not os.path.isabs(given)
        self.cache: dict[str, str] = {}

    def __call__(self, file: str) -> str:
        if not self.relative:
            return file
        shown = self.cache.get(file)
        if shown is None:
            try:
                shown = os.path.relpath(file)
            except ValueError:  # another drive on Windows
                shown = file
            if shown.startswith(".."):
                shown = file
            self.cache[file] = shown
        return shown

    def location(self, location: Location | None) -> Location | None:
        if location is None or not self.relative:
            return location
        return Location(self(location.file), location.line, location.column)

    def diagnostic(self, item: Diagnostic, config: str) -> Diagnostic:
        if item.file is not None and item.file != config and item.config is None:
            item = replace(item, config=config)
        if not self.relative:
            return item
        return replace(
            item,
            file=self(item.file) if item.file is not None else None,
            config=self(item.config) if item.config is not None else None,
        )


class LoadedTree(ConfigTree):
    """A :class:`ConfigTree` whose ``base`` is built on first access.

    The merged bases are a second full copy of most of the config; commands that never
    compare a config with its bases (plans, init checks) should not pay for it.
    Setting ``base`` replaces the pending one.
    """

    __slots__ = ("_pending_base",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending_base: Callable[[], ConfigTree] | None = None
        super().__init__(*args, **kwargs)

    @property
    def base(self) -> ConfigTree | None:
        pending = self._pending_base
        if pending is not None:
            self._pending_base = None
            _SLOT_BASE.__set__(self, pending())
        return _SLOT_BASE.__get__(self)  # type: ignore[no-any-return]

    @base.setter
    def base(self, value: ConfigTree | None) -> None:
        self._pending_base = None
        _SLOT_BASE.__set__(self, value)

    @property
    def has_base(self) -> bool:
        return self._pending_base is not None or _SLOT_BASE.__get__(self) is not None


# ConfigTree is a slotted dataclass: its `base` attribute is a slot descriptor that the
# property above reads and writes.
_SLOT_BASE: Any = ConfigTree.__dict__["base"]


def tree_from_loaded(loaded: Loaded, name: str | None = None) -> ConfigTree:
    """The public :class:`ConfigTree` of a loaded file: a fresh copy of the values, a
    source map read from the (cached, never mutated) loaded values, and the merged
    result of its bases as ``base``."""
    names = _Names(name if name is not None else loaded.path)
    view = {key: value for key, value in loaded.data.items() if key not in loaded.imported}
    table = LocTable([loaded.table])
    table.inherit(loaded.table)
    table.share(view, loaded.data)
    tree = LoadedTree(
        plain(view),
        LazySourceMap(view, table, Location(loaded.path, 1, 1), names),
        path=name if name is not None else loaded.path,
        files=[names(file) for file in loaded.files],
        diagnostics=[names.diagnostic(item, loaded.path) for item in loaded.diagnostics],
        suppressions={
            names(file): dict(lines) for file, lines in loaded.suppressions.items()
        },
        base_lines=loaded.base_lines,
    )
    config = names(loaded.path)
    for key in RESERVED_KEYS:
        if key in tree.data:
            tree.diagnostics.append(
                diagnostic(
                    "IC213", f"top-level key {key!r} is reserved by MMEngine's Config, "
                    "which raises KeyError for it", (key,),
                ).at(tree.location((key,)), config)
            )
    custom = tree.data.get("custom_imports")
    if isinstance(custom, dict) and custom.get("imports"):
        modules = custom["imports"]
        listed = ", ".join(map(str, modules)) if isinstance(modules, (list, tuple)) else modules
        tree.diagnostics.append(
            diagnostic(
                "IC208", f"custom_imports lists {listed}; initcfg records it and imports "
                "nothing", "custom_imports",
            ).at(tree.location(("custom_imports",)), config)
        )
    if loaded.environment:
        tree.environment = tuple(
            value._replace(file=names(value.file)) for value in loaded.environment
        )
        tree.diagnostics = redact(tree.diagnostics, tree.environment)
    if loaded.bases:
        tree._pending_base = lambda: _base_tree(loaded, names)
    return tree


def _base_tree(loaded: Loaded, names: _Names) -> ConfigTree:
    table = LocTable()
    view: dict[str, Any] = {}
    top = table.table(view)
    files: list[str] = []
    for base, scope in loaded.bases:
        values = base.data
        if scope is not None:
            table.inherit(base.table)
            values = unshare(base.data, table)
            add_scope(values, scope, table, base.root)
        else:
            table.inherit(base.table)
        base_top = base.table.of(base.data) or {}
        for key, value in values.items():
            if key in base.imported:
                continue
            view[key] = value
            location = base_top.get(key)
            top[key] = location if location is not None else base.root
        files.extend(file for file in base.files if file not in files)
    first = loaded.bases[0][0].path
    inherited = [base.sizes for base, _ in loaded.bases]
    if tree_size(view, MAX_TREE_ITEMS, inherited=inherited) < 0:
        # Each base is within the bound, but together they may not be: the copy below
        # would build every path.
        return ConfigTree(
            {}, path=names(first), files=[names(file) for file in files],
            diagnostics=[diagnostic(
                "IC214", f"the config is too large to load: its bases together make a tree "
                f"of more than {MAX_TREE_ITEMS:,} keys and items",
            ).at(Location(names(first), 1, 1))],
        )
    return ConfigTree(
        plain(view),
        LazySourceMap(view, table, Location(first, 1, 1), names),
        path=names(first),
        files=[names(file) for file in files],
        suppressions={names(file): dict(lines) for file, lines in loaded.suppressions.items()
                      if file in files},
    )


def config_mapping(value: object) -> Mapping[str, Any] | None:
    """``value`` as a config mapping: the mapping itself, or the values an MMEngine
    ``Config`` holds (it is no Mapping, but has ``to_dict()``); None for anything else.

    A ``Config`` may have been edited in code after it was read, so its values, not its
    file, are the config (they come without locations)."""
    if isinstance(value, Mapping):
        return value
    # Looked up on the type: a Config's instance attributes are its config's keys.
    if callable(getattr(type(value), "to_dict", None)):
        data = value.to_dict()  # type: ignore[attr-defined]
        if isinstance(data, Mapping):
            return data
    return None


def config_path(value: object) -> str | os.PathLike[str]:
    """``value`` as a config's path, for a value that :func:`config_mapping` did not take.

    Raises:
        TypeError: ``value`` is no path either (a library caller's mistake, said plainly).
    """
    if isinstance(value, str | os.PathLike) and _text_name(value) is not None:
        return value
    raise TypeError(
        "a config is a path (str or os.PathLike), a mapping, a ConfigTree, a Document or "
        f"an MMEngine Config, not {_kind(value)}"
    )


def require_flag(value: object, argument: str, caller: str) -> None:
    """Refuse a flag that is not a bool where it grants something: ``trust`` decides
    whether a config is executed and ``download`` whether the network is used, and a
    truthy stand-in (``trust="false"`` read from an environment variable, say) would
    grant it.

    Raises:
        TypeError: ``value`` is not ``True`` or ``False``.
    """
    if not isinstance(value, bool):
        raise TypeError(
            f"{caller}: {argument} must be True or False, not {value!r}; only True "
            "grants it"
        )


def file_name(value: object, caller: str) -> str:
    """``value`` as the text of a file name, for a call that takes only a file.

    Raises:
        TypeError: ``value`` is neither a ``str`` nor an ``os.PathLike`` giving one. A
            bytes name would reach ``str`` methods deep inside the loader and fail there
            with a message about something else.
    """
    name = _text_name(value)
    if name is not None:
        return name
    hint = "; to check a mapping, call initcfg.validate" if isinstance(value, Mapping) else ""
    raise TypeError(
        f"{caller} takes a config file's path (str or os.PathLike), not {_kind(value)}{hint}"
    )


def _text_name(value: object) -> str | None:
    """The file name ``value`` gives as text (a str, or an os.PathLike giving one);
    None for anything else, bytes names included."""
    if isinstance(value, str | os.PathLike):
        name = os.fspath(value)
        if isinstance(name, str):
            return name
    return None


def _kind(value: object) -> str:
    if isinstance(value, os.PathLike):
        return f"an os.PathLike giving {type(os.fspath(value)).__name__}"
    return type(value).__name__


def tree_from_mapping(value: Mapping[str, Any]) -> ConfigTree:
    """A ConfigTree for a config given as a mapping (no file, no locations).

    The mapping is held to the bounds a file's values are (see
    :mod:`initcfg.config.mapping`): one that contains itself, nests deeper than
    ``MAX_MAPPING_DEPTH`` (IC006) or passes a load's bounds (IC214) gives an empty tree
    with that diagnostic instead of a RecursionError, or minutes of work, later. The
    tree holds a plain copy (dicts, lists, tuples), as a file's load makes.
    """
    mapping = config_mapping(value)
    plain, problem = plain_config(value if mapping is None else mapping)
    if problem is not None:
        return ConfigTree({}, SourceMap(), path=None, diagnostics=[problem])
    # As for a file: MMEngine reads each top-level key as a name, so one that is not a
    # string is reported and left out, not passed over in silence.
    strays = [key for key in plain if not isinstance(key, str)]
    if strays:
        named = {key: item for key, item in plain.items() if isinstance(key, str)}
        return ConfigTree(named, SourceMap(), path=None,
                          diagnostics=[key_not_a_name(key) for key in strays])
    return ConfigTree(plain, SourceMap(), path=None)
