"""YAML and JSON files with the line and column of every key and list item."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from initcfg.config.budget import Budget, OverBudget
from initcfg.config.source import SourceMap
from initcfg.diagnostics import Diagnostic, KeyPath, Location, diagnostic, format_path

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


_PYTHON_TAG = "tag:yaml.org,2002:python/"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


# Records where an item of a container was written: (container, key or index, location).
Record = Callable[[object, Any, Location], None]


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str, record: Record | None) -> None:
        self.loader = loader
        self.file = file
        self.source_map = SourceMap()
        self.diagnostics: list[Diagnostic] = []
        self.built = 0
        # A caller that keeps locations by container gets them directly; otherwise they
        # go into the path-keyed source map.
        self.record = record or self.record_by_path
        self.paths: dict[int, KeyPath] = {}

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
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            self.paths[id(result)] = path
            seen: dict[Any, Location] = {}
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
                if key in result:
                    first = seen.get(key)
                    where = f" (first written at line {first.line})" if first else ""
                    self.diagnostics.append(
                        diagnostic(
                            "IC003",
                            f"key {key!r} is written twice{where}; YAML keeps only the last",
                            format_path(child),
                        ).at(self.location(key_node))
                    )
                result[key] = self.build(value_node, child)
                seen[key] = self.location(key_node)
                self.record(result, key, seen[key])
            return result
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self.paths[id(items)] = path
            for index, item_node in enumerate(node.value):
                self.record(items, index, self.location(item_node))
                items.append(self.build(item_node, (*path, index)))
            return items
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        # Plain strings are most of a config: skip the constructor's bookkeeping for them.
        tag = node.tag
        if tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value
        if tag.startswith(_PYTHON_TAG):
            raise _PythonTag(node)
        return self.loader.construct_object(node, deep=True)


_STR_TAG = "tag:yaml.org,2002:str"


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
            event = loader.get_event()  # type: ignore[no-untyped-call]
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
    text: str, file: str, record: Record | None = None, budget: Budget | None = None
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse YAML (or JSON) text: the value, its source map, and the problems found.

    Duplicate keys are reported (IC003) and the last value kept, as YAML readers do.
    With ``record``, item locations go to it (by container) instead of the source map,
    which then holds only the root. The values built are charged to ``budget``; a
    document over a bound gives IC214, a tag naming Python IC215.
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
        if root is None:
            return {}, SourceMap(), []
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


def parse_json(
    text: str, file: str, record: Record | None = None, budget: Budget | None = None
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse JSON text with locations.

    ``json`` decides validity (YAML would accept a trailing comma); the YAML composer,
    which keeps positions, then reads the same text. Where it cannot (tabs in odd
    places), the value comes from ``json`` with file-level locations only.
    """
    try:
        plain = json.loads(text)
    except json.JSONDecodeError as error:
        location = Location(file, error.lineno, error.colno)
        return None, SourceMap(), [diagnostic("IC002", f"invalid JSON: {error.msg}").at(location)]
    except (ValueError, RecursionError) as error:  # integers too long, nesting too deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        location = Location(file, 1, 1)
        return None, SourceMap(), [diagnostic("IC002", f"invalid JSON: {reason}").at(location)]
    value, source_map, diagnostics = parse_yaml(text, file, record, budget)
    if value is None and any(item.code == "IC214" for item in diagnostics):
        return None, SourceMap(), diagnostics
    if value is None and diagnostics:
        return plain, SourceMap({(): Location(file, 1, 1)}), []
    return value, source_map, diagnostics
