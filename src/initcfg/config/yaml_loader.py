"""YAML and JSON files with the line and column of every key and list item.

Two readers share PyYAML's C composer. The full one (:class:`_Builder`) records a
location for every key and item as it builds. The fast one (:func:`_read_fast`), used
when the caller keeps locations by container (``put``), builds plain values only: each
container gets a location table that stays empty until something first asks it (a
finding to place, a merge), and then the full reader runs once over the same text and
fills the tables of every container of the document, in the order both readers build
them. Anything the fast reader does not model (a duplicate key, a collection as a key,
a merge key, a tag other than str/int/float/bool/null/map/seq, a document past the
bounds) sends the document to the full reader, which reports it as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, SupportsIndex

import yaml

from initcfg.config.budget import Budget, OverBudget
from initcfg.config.source import SourceMap
from initcfg.diagnostics import Diagnostic, KeyPath, Location, diagnostic, format_path

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PYTHON_TAG = "tag:yaml.org,2002:python/"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Plain scalars repeat across a config tree (`type`, `Conv2d`, `True`, `0.01`); the tag
# the resolver gives one depends on its text alone (SafeLoader has no path resolvers).
_RESOLVED: dict[str, str] = {}
_MAX_CACHED = 50_000


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader, with the implicit tag of each plain scalar text resolved once.

    The composer tells the resolver each step down and up the document, for path
    resolvers, which SafeLoader has none of: those two calls per node go to C builtins
    that take the same arguments and do nothing that matters.
    """

    descend_resolver = staticmethod(slice)  # (parent, index) -> a discarded slice
    ascend_resolver = staticmethod(tuple)  # () -> the empty tuple

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted: always a str, as BaseResolver decides
                return _STR_TAG
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < _MAX_CACHED:
                    _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


# Real configs hold a few thousand values; aliases can make a small file expand to
# billions ("billion laughs"). Past this many values the file is refused.
MAX_VALUES = 200_000


# Reading a document builds every node before the first value: a file longer than this
# is first read as a stream of events, counted, and refused past MAX_VALUES nodes or
# MAX_DEPTH levels before any node is built.
PRESCAN_BYTES = 64 * 1024
MAX_DEPTH = 500
"""Levels of nested collections a YAML or JSON config may have."""


class _TooLarge(Exception):
    def __init__(self, what: str, mark: Any = None) -> None:
        super().__init__(what)
        self.what = what
        self.mark = mark


class _PythonTag(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__(node.tag)
        self.node = node


# Records where an item of a container was written: (container, key or index, location).
Record = Callable[[object, Any, Location], None]
# Gives a container its whole location table (key or index -> location) at once.
Put = Callable[[object, dict[Any, Location]], None]


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str, record: Record | None) -> None:
        self._own: dict[int, set[int]] = {}
        self.loader = loader
        self.file = file
        self.source_map = SourceMap()
        self.diagnostics: list[Diagnostic] = []
        self.built = 0
        # A caller that keeps locations by container gets them directly; otherwise they
        # go into the path-keyed source map.
        self.record = record or self.record_by_path
        self.paths: dict[int, KeyPath] = {}
        # Every container built, in the order built (the fast reader's order too).
        self.created: list[object] = []

    def record_by_path(self, container: object, key: Any, location: Location) -> None:
        self.source_map.set((*self.paths[id(container)], key), location)

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.built += 1
        if self.built > MAX_VALUES:
            raise _TooLarge(
                f"the document expands to more than {MAX_VALUES:,} values (through aliases?)",
                node.start_mark,
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in (
            _MAP_TAG, _SEQ_TAG
        ):
            # A tag on a collection (`!!python/object/apply:os.system [...]`, `!!set`):
            # constructed by the loader's rules, or refused; never dropped silently.
            return self.scalar(node)
        if isinstance(node, yaml.MappingNode):
            # A merge key's pairs come first once flattened, so the mapping's own keys
            # override them: only a key the mapping itself writes twice is a duplicate.
            own = self.own_keys(node)
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            self.paths[id(result)] = path
            self.created.append(result)
            seen: dict[Any, Location] = {}
            written: set[Any] = set()  # keys the mapping writes itself
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                if isinstance(key, list | dict):
                    # A collection as a key: legal YAML, meaningless in a config.
                    self.diagnostics.append(
                        diagnostic(
                            "IC002",
                            "a key must be a string or a number, not a "
                            f"{type(key).__name__}",
                            format_path(path),
                        ).at(self.location(key_node))
                    )
                    continue
                child = (*path, key)
                if id(key_node) in own:
                    if key in written:
                        first = seen.get(key)
                        where = f" (first written at line {first.line})" if first else ""
                        self.diagnostics.append(
                            diagnostic(
                                "IC003",
                                f"key {key!r} is written twice{where}; only the last is "
                                "kept",
                                format_path(child),
                            ).at(self.location(key_node))
                        )
                    written.add(key)
                result[key] = self.build(value_node, child)
                seen[key] = self.location(key_node)
                self.record(result, key, seen[key])
            return result
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self.paths[id(items)] = path
            self.created.append(items)
            for index, item_node in enumerate(node.value):
                self.record(items, index, self.location(item_node))
                items.append(self.build(item_node, (*path, index)))
            return items
        return self.scalar(node)

    def own_keys(self, node: yaml.MappingNode) -> set[int]:
        """The key nodes ``node`` writes itself, as they were before any flattening:
        flattening rewrites a node in place (an anchored mapping built again through an
        alias, a mapping merged into another, is already flattened), so each node's own
        keys, and those of every mapping it merges, are noted the first time it is met."""
        found = self._own.get(id(node))
        if found is None:
            found = self._own[id(node)] = {id(key) for key, _ in node.value}
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                    for item in merged:
                        if isinstance(item, yaml.MappingNode):
                            self.own_keys(item)
        return found

    def scalar(self, node: yaml.Node) -> Any:
        # Plain strings are most of a config: skip the constructor's bookkeeping for them.
        tag = node.tag
        if tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value
        if tag.startswith(_PYTHON_TAG):
            raise _PythonTag(node)
        return self.loader.construct_object(node, deep=True)



class _Fallback(Exception):
    """The fast reader met something only the full reader handles."""


class _Positions:
    """The item locations of one fast-read document, found when first asked for."""

    __slots__ = ("file", "tables", "text")

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        # The table of each container, in the order the readers build containers; None
        # where the table was filled at once (the root's).
        self.tables: list[_LazyLocations | None] = []

    def fill(self) -> None:
        tables, self.tables = self.tables, []
        for table in tables:
            if table is not None:
                table.positions = None
        found: dict[int, dict[Any, Location]] = {}

        def record(container: object, key: Any, location: Location) -> None:
            found.setdefault(id(container), {})[key] = location

        loader = _Loader(self.text)
        try:
            builder = _Builder(loader, self.file, record)
            builder.build(loader.get_single_node(), ())
        finally:
            loader.dispose()
        # The fast reader accepted this text, so the full one builds the same containers
        # in the same order, and reports nothing.
        for table, container in zip(tables, builder.created, strict=True):
            if table is not None:
                dict.update(table, found.get(id(container), {}))


class _LazyLocations(dict[Any, Location]):
    """A container's location table that reads its document's locations on first use.

    Every way of reading or writing it fills it first, so it behaves as the table the
    full reader would have made, with later writes on top.
    """

    __slots__ = ("positions",)

    def __init__(self, positions: _Positions) -> None:
        super().__init__()
        self.positions: _Positions | None = positions

    def _fill(self) -> None:
        if self.positions is not None:
            self.positions.fill()

    def __getitem__(self, key: Any) -> Location:
        self._fill()
        return dict.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Location) -> None:
        self._fill()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._fill()
        dict.__delitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def __eq__(self, other: object) -> bool:
        self._fill()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._fill()
        return dict.__ne__(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        self._fill()
        return dict.__repr__(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        self._fill()
        return (dict, (dict(dict.items(self)),))

    def __or__(self, other: Any) -> Any:
        self._fill()
        return dict.__or__(self, other)

    def __ior__(self, other: Any) -> Any:
        self._fill()
        return dict.__ior__(self, other)

    def get(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return dict.get(self, key, default)

    def keys(self) -> Any:
        self._fill()
        return dict.keys(self)

    def values(self) -> Any:
        self._fill()
        return dict.values(self)

    def items(self) -> Any:
        self._fill()
        return dict.items(self)

    def pop(self, key: Any, *default: Any) -> Any:
        self._fill()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[Any, Location]:
        self._fill()
        return dict.popitem(self)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return dict.setdefault(self, key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._fill()
        dict.update(self, *args, **kwargs)

    def copy(self) -> dict[Any, Location]:
        self._fill()
        return dict(dict.items(self))

    def clear(self) -> None:
        self._fill()
        dict.clear(self)


# The constructors of the scalar tags the fast reader builds; anything else falls back.
_CONSTRUCTORS: dict[str, Callable[[Any, yaml.Node], Any]] = {
    tag: yaml.SafeLoader.yaml_constructors[tag]
    for tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
}
# Built scalars by (tag, text): ints, floats, bools and None are immutable.
_SCALARS: dict[tuple[str, str], Any] = {}


def _read_fast(
    loader: yaml.SafeLoader, root: yaml.Node, positions: _Positions, put: Put
) -> tuple[Any, int]:
    """The plain value of ``root`` and the count of values built (as :class:`_Builder`
    counts them), each container's location table left to ``positions``; raises
    :class:`_Fallback` at anything the full reader must see."""
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    tables = positions.tables
    owners: list[object] = []  # each table's container, given to `put` once all is read
    built = 1
    constructors = _CONSTRUCTORS
    scalars = _SCALARS

    def scalar(node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        key = (tag, node.value)
        try:
            return scalars[key]
        except KeyError:
            pass
        construct = constructors.get(tag)
        if construct is None:
            raise _Fallback
        value = construct(loader, node)
        if len(scalars) < _MAX_CACHED:
            scalars[key] = value
        return value

    def build(node: yaml.Node) -> Any:
        nonlocal built
        kind = node.__class__
        if kind is scalar_node:
            return scalar(node)
        if kind is mapping_node:
            if node.tag != _MAP_TAG:
                raise _Fallback
            pairs = node.value
            built += len(pairs)
            if built > MAX_VALUES:
                raise _Fallback
            result: dict[Any, Any] = {}
            table = _LazyLocations(positions)
            tables.append(table)
            owners.append(result)
            for key_node, value_node in pairs:
                if key_node.__class__ is not scalar_node:
                    raise _Fallback
                result[scalar(key_node)] = build(value_node)
            if len(result) != len(pairs):
                raise _Fallback  # a key written twice
            return result
        if kind is sequence_node:
            if node.tag != _SEQ_TAG:
                raise _Fallback
            nodes = node.value
            built += len(nodes)
            if built > MAX_VALUES:
                raise _Fallback
            items: list[Any] = []
            table = _LazyLocations(positions)
            tables.append(table)
            owners.append(items)
            for item_node in nodes:
                items.append(build(item_node))
            return items
        raise _Fallback

    value = build(root)
    given: list[dict[Any, Location]] = list(tables)  # type: ignore[arg-type]
    if given:
        # The root's table is read by every load: filled now from the root's own marks,
        # and left out of the later fill.
        file = positions.file
        first: dict[Any, Location] = {}
        if isinstance(value, dict):
            for key_node, _ in root.value:
                mark = key_node.start_mark
                first[scalar(key_node)] = Location(file, mark.line + 1, mark.column + 1)
        else:
            for index, item_node in enumerate(root.value):
                mark = item_node.start_mark
                first[index] = Location(file, mark.line + 1, mark.column + 1)
        given[0] = first
        tables[0] = None
    for owner, table in zip(owners, given, strict=True):
        put(owner, table)
    return value, built


def _syntax_error(file: str, error: yaml.YAMLError) -> Diagnostic:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
    return diagnostic("IC002", message).at(location)


def _prescan(text: str, budget: Budget | None) -> None:
    """Count the nodes and levels of a long document from its events, building nothing;
    raises :class:`_TooLarge` at the event past a bound. Syntax errors are left to the
    real read, which reports them."""
    loader = _Loader(text)
    nodes = depth = 0
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    leaves = (yaml.ScalarEvent, yaml.AliasEvent)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, leaves):
                nodes += 1
            elif isinstance(event, starts):
                nodes += 1
                depth += 1
                if depth > MAX_DEPTH:
                    raise _TooLarge(f"the document nests more than {MAX_DEPTH} levels deep",
                                    event.start_mark)
            elif isinstance(event, ends):
                depth -= 1
            else:
                continue
            if nodes > MAX_VALUES:
                raise _TooLarge(f"the document has more than {MAX_VALUES:,} values",
                                event.start_mark)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    if budget is not None:
        budget.spend_work(nodes)


def _too_large(file: str, what: str, mark: Any) -> Diagnostic:
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    return diagnostic(
        "IC214", f"the config is too large to load: {what}",
        hint="configs hold a few thousand values; see `initcfg explain IC214` for the bounds",
    ).at(Location(file, line, column))


def parse_yaml(
    text: str,
    file: str,
    record: Record | None = None,
    budget: Budget | None = None,
    *,
    put: Put | None = None,
    counted: list[int] | None = None,
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse YAML (or JSON) text: the value, its source map, and the problems found.

    Duplicate keys are reported (IC003) and the last value kept, as YAML readers do.
    With ``record``, item locations go to it (by container) instead of the source map,
    which then holds only the root. With ``put`` as well, the fast reader runs first:
    each container's whole table goes to ``put``, and is filled when first used (see
    the module's docstring). The values built are charged to ``budget``; a document
    over a bound gives IC214, a tag naming Python IC215. When the fast reader read the
    document, the count of its keys and items goes to ``counted``: every container it
    builds is its own (an alias is built again), so that is the value's tree size.
    """
    if len(text) > PRESCAN_BYTES:
        try:
            _prescan(text, budget)
        except _TooLarge as error:
            return None, SourceMap(), [_too_large(file, error.what, error.mark)]
        except OverBudget as error:
            return None, SourceMap(), [_too_large(file, error.what, None)]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:  # no document: nothing but comments and blank lines
            return None, SourceMap(), []
        if record is not None and put is not None:
            try:
                value, built = _read_fast(loader, root, _Positions(text, file), put)
            except (_Fallback, RecursionError):
                pass  # the full reader below sees it, and reports what it must
            else:
                if budget is not None:
                    budget.spend_items(built)
                if counted is not None:
                    counted.append(built - 1)  # the root is no key or item
                return value, SourceMap({(): Location(file, 1, 1)}), []
        builder = _Builder(loader, file, record)
        value = builder.build(root, ())
        if budget is not None:
            budget.spend_items(builder.built)
        builder.source_map.set((), Location(file, 1, 1))
        return value, builder.source_map, builder.diagnostics
    except yaml.YAMLError as error:
        return None, SourceMap(), [_syntax_error(file, error)]
    except _TooLarge as error:
        return None, SourceMap(), [_too_large(file, error.what, error.mark)]
    except OverBudget as error:
        return None, SourceMap(), [_too_large(file, error.what, None)]
    except RecursionError:
        return None, SourceMap(), [_too_large(
            file, f"the document nests more than {MAX_DEPTH} levels deep", None
        )]
    except _PythonTag as error:
        mark = error.node.start_mark
        return None, SourceMap(), [
            diagnostic(
                "IC215", f"the YAML tag {error.node.tag!r} would construct a Python object "
                "(a call, a class, a module); initcfg never does",
                hint="write the value as plain YAML (a mapping, a list, a string)",
            ).at(Location(file, mark.line + 1, mark.column + 1))
        ]
    except ValueError as error:  # an integer too long to convert, and the like
        return None, SourceMap(), [diagnostic("IC002", f"invalid YAML: {error}").at(
            Location(file, 1, 1)
        )]
    finally:
        loader.dispose()
