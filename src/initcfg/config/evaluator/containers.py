"""Methods of dicts and lists as MMEngine's types have them: ``update`` and ``merge``
of a ConfigDict, copies, ``to_dict``, list edits that keep item locations."""

from __future__ import annotations

import ast
from typing import Any

from initcfg.config.evaluator.base import EvaluatorBase
from initcfg.config.evaluator.callables import _bounded, _kind
from initcfg.config.evaluator.values import (
    MAX_ITEMS,
    EvalFailure,
    ImportedName,
    Key,
    Unsafe,
    _depth_guarded,
)
from initcfg.diagnostics import Location

DELETE_KEY = "_delete_"
_MISSING: Any = object()
"""A key that one side of a ``ConfigDict.merge`` lacks."""


class ContainersMixin(EvaluatorBase):
    """Evaluates the methods of dicts and lists."""

    def _dict_method(
        self,
        node: ast.Call,
        owner: dict[Any, Any],
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        is_node = self.is_node(owner)
        if name == "update":
            if len(args) > 1:
                raise EvalFailure(node, "TypeError: update expected at most 1 argument")
            other: dict[Any, Any] = {}
            other_locations: dict[Key, Location] = {}
            if args:
                if not isinstance(args[0], dict):
                    if is_node:
                        raise EvalFailure(node, "TypeError: update of a config needs a dict")
                    try:
                        other.update(args[0])
                    except (TypeError, ValueError) as error:
                        raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
                else:
                    other.update(args[0])
                    other_locations.update(self.table.of(args[0]) or {})
            other.update(kwargs)
            other_locations.update(locations)
            for key, value in other.items():
                if (
                    is_node
                    and key in owner
                    and isinstance(owner[key], dict)
                    and isinstance(value, dict)
                ):
                    # A ConfigDict merges nested dicts instead of replacing them.
                    self._node_update(owner[key], value)
                    continue
                owner[key] = self.hook(value) if is_node else value
                location = other_locations.get(key)
                if location is None:
                    location = self.loc(node)
                if isinstance(key, (str, int)):
                    self.table.set(owner, key, location)
            return None
        if name == "merge":
            if len(args) != 1 or kwargs:
                raise EvalFailure(node, "TypeError: merge() takes one dict")
            return self._apply(node, _depth_guarded(lambda: self._merge(node, owner, args[0])))
        if name == "pop" and is_node and len(args) == 1:
            # ConfigDict.pop defaults to None rather than raising.
            return owner.pop(args[0], None)
        if name in ("copy", "deepcopy", "to_dict") and (args or kwargs):
            raise EvalFailure(node, f"TypeError: {name}() takes no arguments")
        if name == "copy":
            return self._apply(node, _depth_guarded(lambda: self._copy_value(owner, deep=False)))
        if name == "deepcopy":  # addict's Dict.deepcopy, inherited by ConfigDict
            return self._apply(node, _depth_guarded(lambda: self._copy_value(owner, deep=True)))
        if name == "to_dict":
            return self._apply(node, _depth_guarded(lambda: self._as_plain_dict(owner)))
        if name == "setdefault" and args and args[0] not in owner:
            if len(args) > 2 or kwargs:
                raise EvalFailure(node, "TypeError: setdefault expected at most 2 arguments")
            default = args[1] if len(args) > 1 else None
            # ConfigDict (addict's setdefault) stores the value converted to a ConfigDict
            # and returns the value given, not the stored copy.
            owner[args[0]] = self.hook(default) if is_node else default
            if isinstance(args[0], (str, int)):
                self.table.set(owner, args[0], self.loc(node))
            return default
        bound = getattr(owner, name)
        result = self._apply(node, lambda: bound(*args, **kwargs))
        if name in ("keys", "values", "items"):
            return list(result)
        return result

    def _merge(self, node: ast.Call, owner: dict[Any, Any], other: Any) -> None:
        """``ConfigDict.merge(other)`` as MMEngine 0.10.7 does it: both sides deep
        copied, ``other`` merged into the copy of ``owner`` (dicts recursively,
        ``_delete_`` clearing the value it merges into, everything else replaced), and
        ``owner`` refilled from the result, its keys first, in their order."""
        if not isinstance(other, dict):
            raise EvalFailure(
                node, f"AttributeError: merge() needs a dict, not {_kind(other)}"
            )
        merged = self._merge_a_into_b(
            self._copy_value(other, deep=True), self._copy_value(owner, deep=True)
        )
        assert isinstance(merged, dict)
        found = self.table.of(merged) or {}
        owner.clear()
        locations = self.table.table(owner)
        locations.clear()
        for key, value in merged.items():
            owner[key] = self.hook(value)
            location = found.get(key)
            if isinstance(key, (str, int)):
                locations[key] = location if location is not None else self.loc(node)

    def _merge_a_into_b(self, a: Any, b: Any) -> Any:
        """MMEngine's ``_merge_a_into_b`` inside ``ConfigDict.merge``; ``_MISSING`` stands
        for its ``default`` (a key one side lacks). ``a`` and ``b`` are fresh copies: the
        ``_delete_`` popped from ``a`` and the clearing of ``b`` change nothing else."""
        if not isinstance(a, dict):
            return b if a is _MISSING else a
        if not isinstance(b, dict):
            # Merged into nothing (or into a non-dict): ``a`` as it is, less its own
            # ``_delete_``; one deeper inside it stays, as in MMEngine.
            a.pop(DELETE_KEY, None)
            self._forget_location(a, DELETE_KEY)
            return a
        if a.pop(DELETE_KEY, False):
            b.clear()
        a_locations = self.table.of(a) or {}
        b_locations = self.table.of(b) or {}
        # A plain dict, as MMEngine's comprehension builds: storing the result into the
        # ConfigDict hooks it (and what it holds) into ConfigDicts.
        out: dict[Any, Any] = self.mine({})
        out_locations: dict[Key, Location] = {}
        for key in (*b, *a):
            if key == DELETE_KEY or key in out:
                continue
            out[key] = self._merge_a_into_b(a.get(key, _MISSING), b.get(key, _MISSING))
            location = a_locations.get(key) if key in a else b_locations.get(key)
            if location is not None:
                out_locations[key] = location
        if out_locations:
            self.table.put(out, out_locations)
        return out

    def _forget_location(self, container: dict[Any, Any], key: Key) -> None:
        found = self.table.of(container)
        if found:
            found.pop(key, None)

    def _copy_value(self, value: Any, *, deep: bool) -> Any:
        """``copy.deepcopy``/``copy.copy`` of a config value, as MMEngine's types copy:
        a dict the file wrote stays a plain dict, an inherited one a ConfigDict, whose
        shallow copy (``ConfigDict.__copy__``) stores every value through its hook and so
        rebuilds lists and tuples. Each copied container keeps its items' locations;
        a container reached twice is copied once (``deepcopy``'s memo)."""
        memo: dict[int, Any] = {}
        budget = [MAX_ITEMS]

        def spend(count: int) -> None:
            budget[0] -= count
            if budget[0] < 0:
                raise Unsafe(None, f"a copy of more than {MAX_ITEMS} items")

        def child_of(owner_is_node: bool, child: Any) -> Any:
            if deep:
                return copied(child)
            # ConfigDict.__copy__ stores each value through its hook (`other[k] = v`).
            return self.hook(child) if owner_is_node else child

        def copied(item: Any) -> Any:
            kind = type(item)
            if kind is not dict and kind is not list and kind is not tuple:
                if kind is set:
                    spend(len(item))
                    return set(item)
                return item  # scalars, strings, frozensets: immutable
            known = memo.get(id(item))
            if known is not None:
                return known
            spend(len(item))
            result: Any
            if kind is dict:
                result = {}
                memo[id(item)] = result
                node = id(item) not in self.own
                if not node:
                    self.mine(result)
                for key, child in item.items():
                    result[key] = child_of(node, child)
            elif kind is list:
                result = []
                memo[id(item)] = result
                result.extend(child_of(False, child) for child in item)
            elif deep:
                result = tuple(copied(child) for child in item)
                memo[id(item)] = result
            else:
                return item  # copy.copy of a tuple is the tuple
            if result:
                self.table.share(result, item)
            return result

        return copied(value)

    def _as_plain_dict(self, value: Any) -> Any:
        """``ConfigDict.to_dict()``: plain dicts all the way down, imported names as
        their dotted strings. A container reached twice is converted twice, as
        MMEngine's recursion does, so the items built are counted."""
        budget = [MAX_ITEMS]

        def converted(item: Any) -> Any:
            kind = type(item)
            if kind is ImportedName:
                return str(item)
            if kind is not dict and kind is not list and kind is not tuple:
                return item
            budget[0] -= len(item)
            if budget[0] < 0:
                raise Unsafe(None, f"a to_dict() of more than {MAX_ITEMS} items")
            result: Any
            if kind is dict:
                result = self.mine({key: converted(child) for key, child in item.items()})
            else:
                result = kind(converted(child) for child in item)
            if result:
                self.table.share(result, item)
            return result

        return converted(value)

    def _node_update(self, owner: dict[Any, Any], other: dict[Any, Any]) -> None:
        found = self.table.of(other) or {}
        for key, value in other.items():
            if key in owner and isinstance(owner[key], dict) and isinstance(value, dict):
                self._node_update(owner[key], value)
                continue
            owner[key] = self.hook(value)
            location = found.get(key)
            if location is not None:
                self.table.set(owner, key, location)

    def _shift_locations(self, owner: list[Any], at: int, by: int) -> None:
        """Items from ``at`` on moved by ``by`` (an insertion or a removal)."""
        found = self.table.of(owner)
        if not found:
            return
        moved = {
            (index + by if isinstance(index, int) and index >= at else index): location
            for index, location in found.items()
            if not (by < 0 and isinstance(index, int) and at + by <= index < at)
        }
        found.clear()
        found.update(moved)

    def _list_method(
        self, node: ast.Call, owner: list[Any], name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        if name == "append" and len(args) == 1:
            owner.append(args[0])
            self.table.set(owner, len(owner) - 1, self.loc(node.args[0]))
            return None
        if name == "extend" and len(args) == 1:
            start = len(owner)
            items = list(_bounded(self._iterate(args[0], node), node))
            if start + len(items) > MAX_ITEMS:
                raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
            owner.extend(items)
            self._extend_locations(owner, start, args[0])
            table = self.table.table(owner)
            for index in range(start, len(owner)):
                table.setdefault(index, self.loc(node.args[0]))
            return None
        if name == "copy":
            result = list(owner)
            self.table.share(result, owner)
            return result
        if name == "insert" and len(args) == 2 and isinstance(args[0], int):
            size = len(owner)
            at = args[0] + size if args[0] < 0 else args[0]
            at = min(max(at, 0), size)
            owner.insert(args[0], args[1])
            self._shift_locations(owner, at, 1)
            self.table.set(owner, at, self.loc(node.args[1]))
            return None
        if (name == "pop" and len(args) <= 1) or (name == "remove" and len(args) == 1):
            if name == "pop":
                index = args[0] if args else -1
                if not isinstance(index, int):
                    raise EvalFailure(node, "TypeError: list indices must be integers")
            else:
                index = self._apply(node, lambda: owner.index(args[0]))
            at = index + len(owner) if index < 0 else index
            result = self._apply(node, lambda: owner.pop(index))
            self._shift_locations(owner, at + 1, -1)
            return result if name == "pop" else None
        if name == "reverse":
            owner.reverse()
            found = self.table.of(owner)
            if found:
                last = len(owner) - 1
                flipped: dict[Key, Location] = {
                    last - i: loc for i, loc in found.items() if isinstance(i, int)
                }
                found.clear()
                found.update(flipped)
            return None
        if name == "clear":
            self._drop_list_locations(owner)
        bound = getattr(owner, name)
        return self._apply(node, lambda: bound(*args, **kwargs))
