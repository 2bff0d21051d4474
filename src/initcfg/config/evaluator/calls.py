"""Calls: the allow-listed builtins, ``dict(...)``, methods of config values and the
standard-library copies, with their arguments charged to the budget."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from initcfg.config.evaluator.base import EvaluatorBase
from initcfg.config.evaluator.callables import (
    _BUILDING_METHODS,
    _CONSUMING_BUILTINS,
    _DEEP_BUILTINS,
    _FORMATTER,
    _NOT_DATA,
    _OWNER_WALKING_METHODS,
    _PADDING_METHODS,
    _PRINTING_BUILTINS,
    _STORING_METHODS,
    _bounded,
    _Builtin,
    _kind,
    _Method,
)
from initcfg.config.evaluator.operators import _check_widths
from initcfg.config.evaluator.values import (
    MAX_CHARS,
    MAX_ITEMS,
    STDLIB_FUNCTIONS,
    EvalFailure,
    ImportedName,
    Key,
    Unsafe,
    _depth_guarded,
    _Opaque,
)
from initcfg.diagnostics import Location


class CallsMixin(EvaluatorBase):
    """Evaluates calls."""

    def _arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
        if len(node.keywords) > 1:
            _refuse_repeated_keyword(node)  # before any argument runs, as Python does
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self._iterate(self.expr(arg.value), arg))
            else:
                args.append(self.expr(arg))
        kwargs: dict[str, Any] = {}
        locations: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                spread = self.expr(keyword.value)
                if not isinstance(spread, dict):
                    raise EvalFailure(keyword, f"TypeError: `**` needs a mapping, not "
                                      f"{_kind(spread)}")
                found = self.table.of(spread)
                for key, value in spread.items():
                    if not isinstance(key, str):
                        raise EvalFailure(keyword, "TypeError: keywords must be strings")
                    if key in kwargs:
                        raise EvalFailure(
                            keyword, f"TypeError: got multiple values for keyword argument "
                            f"{key!r}"
                        )
                    kwargs[key] = value
                    location = found.get(key) if found else None
                    locations[key] = location if location is not None else self.loc(keyword)
            else:
                if keyword.arg in kwargs:
                    raise EvalFailure(
                        keyword, f"TypeError: got multiple values for keyword argument "
                        f"{keyword.arg!r}"
                    )
                kwargs[keyword.arg] = self.expr(keyword.value)
                locations[keyword.arg] = self.loc(keyword)
        for values in (args, kwargs.values()):
            for value in values:
                if isinstance(value, _NOT_DATA):
                    raise Unsafe(node, f"passing {value!r} to a call")
        return args, kwargs, locations

    def call(self, node: ast.Call) -> Any:
        func_node = node.func
        stdlib = self._stdlib_callee(func_node)
        if stdlib is not None:
            args, kwargs, _ = self._arguments(node)
            return self.call_stdlib(node, stdlib, args, kwargs)
        if isinstance(func_node, ast.Attribute):
            self._check_attr(func_node)
        try:
            function = self.expr(func_node)
        except Unsafe as error:
            dotted = _dotted(func_node)
            if dotted is None or "dunder" in error.construct:
                raise
            # `os.system(...)`: name the call, not the module it starts from.
            raise Unsafe(node, f"a call to `{dotted}` ({error.construct})") from error
        if isinstance(function, _Builtin):
            if function.name == "dict" and not node.args and all(
                keyword.arg is not None for keyword in node.keywords
            ):
                return self._keyword_dict(node)
            args, kwargs, locations = self._arguments(node)
            if function.name == "dict":
                result = self._call_dict(node, args, kwargs, locations)
                self.budget.spend_items(len(result))
                return result
            if function.name in _CONSUMING_BUILTINS and args:
                args[0] = self._consumed(args[0], node)
            key = kwargs.get("key")
            if isinstance(key, _Builtin):
                kwargs["key"] = self._charged_key(key, node)
            self._spend_call(function.name, args, kwargs, node)
            result = self._apply(node, lambda: function.function(*args, **kwargs))
            self.budget.spend_value(result)
            if isinstance(result, (list, tuple)) and result:
                if function.name in ("list", "tuple") and args:
                    self.table.share(result, args[0])
                # Items the call produced (`list(range(4))`) were written by the call.
                self._fill_locations(result, self.loc(node))
            return result
        if isinstance(function, _Method):
            args, kwargs, locations = self._arguments(node)
            return self._counted_method(node, function, args, kwargs, locations)
        if isinstance(function, ImportedName):
            raise Unsafe(node, f"a call to the imported `{function}`")
        if isinstance(function, _Opaque):
            raise Unsafe(node, f"a call to {function.kind} `{function.name}`")
        raise Unsafe(node, f"a call to {_kind(function)}")

    def _consumed(self, value: Any, node: ast.AST) -> Any:
        """``value`` as a builtin that walks it whole sees it, with the walk charged as
        work: a range or an iterator is as long as it says, not as long as the small
        value it is (`[sum(range(10**6)) for _ in range(1000)]` is 10^9 additions)."""
        if isinstance(value, range):
            if len(value) > MAX_ITEMS:
                raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
            self._spend_work(len(value))
            return value
        if isinstance(value, Iterator):
            items = list(_bounded(value, node))
            self._spend_work(len(items))
            return items
        return value

    def _charged_key(self, key: _Builtin, node: ast.Call) -> _Builtin:
        """``key`` (an allow-listed builtin given as ``key=``) charged for each item it
        is called on, as a call written in the file would be: `max(lists, key=sorted)`
        and `sorted(values, key=str)` otherwise sorted or printed every item unbounded."""

        def charged(item: Any) -> Any:
            if key.name == "dict":
                result: Any = self._call_dict(node, [item], {}, {})
            else:
                if key.name in _CONSUMING_BUILTINS:
                    item = self._consumed(item, node)
                self._spend_call(key.name, [item], {}, node)
                result = key.function(item)
            self.budget.spend_value(result)
            return result

        return _Builtin(key.name, charged)

    def _spend_call(
        self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST
    ) -> None:
        """Charge what an allow-listed builtin walks: the items it goes through, the
        whole tree where it compares, hashes or prints (``sorted``, ``set``, ``str``)."""
        for value in (*args, *kwargs.values()):
            if name in _PRINTING_BUILTINS:
                self._spend_text(value, node)
            if name in _DEEP_BUILTINS:
                self._scan(value, node)
            elif isinstance(value, (list, tuple, dict, set, frozenset)):
                # Past MAX_ITEMS the builtin's own bound refuses it.
                self._spend_work(min(len(value), MAX_ITEMS))

    def _counted_method(
        self,
        node: ast.Call,
        method: _Method,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        """A method call with what it walks and builds charged to the budget."""
        owner, name = method.owner, method.name
        if type(owner) is str:
            if len(owner) > 4096:
                self._spend_work(len(owner) >> 4)
            if name == "format":
                for value in (*args, *kwargs.values()):
                    self._spend_text(value, node)
        else:
            # `s.update(range(10**9))`, `d.update(zip(...))`, `s.isdisjoint(range(10**12))`:
            # a lazy argument is walked whole by the method, so it is bounded and charged.
            args = [self._consumed(value, node) for value in args]
            if name not in _STORING_METHODS:
                for value in (*args, *kwargs.values()):
                    self._scan(value, node)
            if name in _OWNER_WALKING_METHODS:
                self._scan(owner, node)
        size = len(owner) if isinstance(owner, (list, dict, set)) else 0
        result = self.call_method(node, method, args, kwargs, locations)
        if size:
            grown = len(owner) - size
            if grown > 0:
                self.budget.spend_items(grown)
        elif isinstance(owner, (list, dict, set)):
            self.budget.spend_items(len(owner))
        if type(owner) is str or name in _BUILDING_METHODS:
            self.budget.spend_value(result)
        return result

    def _keyword_dict(self, node: ast.Call) -> dict[Any, Any]:
        """``dict(a=1, b=...)``, the bulk of every config, built in one pass. A keyword
        written twice is counted after the pass: Python refuses it when it compiles the
        file (ast.parse does not)."""
        out: dict[Any, Any] = self.mine({})
        locations: dict[Key, Location] = {}
        refused: Any = None
        try:
            for keyword in node.keywords:
                value_node = keyword.value
                if type(value_node) is ast.Constant:
                    value = value_node.value
                else:
                    value = self.expr(value_node)
                    if refused is None and isinstance(value, _NOT_DATA):
                        refused = value
                out[keyword.arg] = value
                locations[keyword.arg] = self.loc(keyword)  # type: ignore[index]
        except (EvalFailure, Unsafe):
            _refuse_repeated_keyword(node)  # Python refuses the file before running it
            raise
        if len(out) != len(node.keywords):
            _refuse_repeated_keyword(node)
        if refused is not None:
            raise Unsafe(node, f"passing {refused!r} to a call")
        if out:
            budget = self.budget
            budget.items -= len(out)
            if budget.items < 0:
                budget.spend_items(0)
            self.table.put(out, locations)
        return out

    def _call_dict(
        self, node: ast.Call, args: list[Any], kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> dict[Any, Any]:
        if len(args) > 1:
            raise EvalFailure(node, "TypeError: dict expected at most 1 argument")
        out: dict[Any, Any] = self.mine({})
        if args:
            source = args[0]
            if isinstance(source, dict):
                out.update(source)
                self.table.share(out, source)
            else:
                try:
                    out.update(_bounded(source, node))
                except (TypeError, ValueError) as error:
                    raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
        out.update(kwargs)
        if out:
            table = self.table.table(out)
            table.update(locations)
        return out

    def call_method(
        self,
        node: ast.Call,
        method: _Method,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        owner, name = method.owner, method.name
        if isinstance(owner, str):
            if name == "format":
                _check_widths(owner, node)
                return self._apply(node, lambda: _FORMATTER.vformat(owner, args, kwargs))
            if name == "join" and len(args) == 1:
                items = list(_bounded(self._iterate(args[0], node), node))
                size = sum(len(item) for item in items if isinstance(item, str))
                if size + len(owner) * len(items) > MAX_CHARS:
                    raise Unsafe(node, f"a string of more than {MAX_CHARS} characters")
                return self._apply(node, lambda: owner.join(items))
            if name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
                grows = owner.count(args[0]) * max(0, len(args[1]) - len(args[0]))
                if len(owner) + grows > MAX_CHARS:
                    raise Unsafe(node, f"a string of more than {MAX_CHARS} characters")
            if (
                name in _PADDING_METHODS and args and isinstance(args[0], int)
                and args[0] > MAX_ITEMS
            ):
                raise Unsafe(node, f"a string of more than {MAX_ITEMS} characters")
            return self._apply(node, lambda: getattr(str, name)(owner, *args, **kwargs))
        if isinstance(owner, list) and name == "sort":
            key = kwargs.get("key")
            if key is not None and not isinstance(key, _Builtin):
                raise Unsafe(node, "a `key=` that is not an allow-listed builtin")
            if key is not None:
                kwargs = {**kwargs, "key": self._charged_key(key, node)}
            self._drop_list_locations(owner)
            return self._apply(node, lambda: owner.sort(**kwargs))
        if isinstance(owner, dict):
            return self._dict_method(node, owner, name, args, kwargs, locations)
        if isinstance(owner, list):
            return self._list_method(node, owner, name, args, kwargs)
        bound = getattr(owner, name)
        return self._apply(node, lambda: bound(*args, **kwargs))

    def _stdlib_callee(self, func_node: ast.expr) -> str | None:
        """The dotted name of the :data:`STDLIB_FUNCTIONS` entry that ``func_node`` calls
        (``copy.deepcopy`` after ``import copy``, ``deepcopy`` after ``from copy import
        deepcopy``), or None. Only the call is allowed: the function as a value stays
        refused, like every name an import binds."""
        # Called for every call in a config (mostly `dict(...)`): the common answers
        # come first and cheaply.
        if type(func_node) is ast.Name:
            name = func_node.id
            bound = self.names.get(name)
            if type(bound) is not _Opaque or bound.kind != "imported name":
                return None
            dotted = bound.name
        elif type(func_node) is ast.Attribute and type(func_node.value) is ast.Name:
            name = func_node.value.id
            bound = self.names.get(name)
            if type(bound) is not _Opaque or bound.kind != "module":
                return None
            dotted = f"{bound.name}.{func_node.attr}"
        else:
            return None
        if dotted not in STDLIB_FUNCTIONS or any(name in scope for scope in self.scopes):
            return None
        return dotted

    def call_stdlib(
        self, node: ast.Call, name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """A call to one of :data:`STDLIB_FUNCTIONS`."""
        if len(args) != 1 or kwargs:
            # `copy.deepcopy(x, memo)` would hand the evaluator's memo to the file.
            raise Unsafe(node, f"`{name}` with arguments other than one value")
        deep = name == "copy.deepcopy"
        return self._apply(node, _depth_guarded(lambda: self._copy_value(args[0], deep=deep)))

    def _fill_locations(self, items: list[Any] | tuple[Any, ...], location: Location) -> None:
        table = self.table.table(items)
        if len(table) < len(items):
            for index in range(len(items)):
                table.setdefault(index, location)


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _refuse_repeated_keyword(node: ast.Call) -> None:
    """Fail as Python does when it compiles ``f(a=1, a=2)``: a SyntaxError, so MMEngine
    cannot load the file (ast.parse, which the evaluator reads, accepts it)."""
    written: set[str] = set()
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        if keyword.arg in written:
            raise EvalFailure(keyword, f"SyntaxError: keyword argument repeated: {keyword.arg}")
        written.add(keyword.arg)
