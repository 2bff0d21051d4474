"""Expressions: literals, names, attributes, subscripts, operators, f-strings and
comprehensions, each charged to the budget and located."""

from __future__ import annotations

import ast
import builtins
import operator
from collections.abc import Callable
from typing import Any

from initcfg.config.budget import OverBudget
from initcfg.config.evaluator.base import EvaluatorBase
from initcfg.config.evaluator.callables import (
    _CONFIG_DICT_METHODS,
    _NOT_DATA,
    _WALKED,
    SAFE_BUILTINS,
    _Builtin,
    _kind,
    _Method,
    _method_allowed,
)
from initcfg.config.evaluator.operators import (
    _BINARY,
    _COMPARE,
    _UNARY,
    _check_widths,
    _guard_binary,
)
from initcfg.config.evaluator.values import (
    MAX_ITEMS,
    EvalFailure,
    ImportedName,
    Key,
    Reported,
    Unsafe,
    _Opaque,
    describe,
)
from initcfg.diagnostics import Location


class ExpressionsMixin(EvaluatorBase):
    """Evaluates expressions other than calls."""

    def expr(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id, node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            self._check_attr(node)
            return self._getattr(self.expr(node.value), node.attr, node)
        if isinstance(node, ast.List):
            return self._sequence(node.elts, list)
        if isinstance(node, ast.Tuple):
            return self._sequence(node.elts, tuple)
        if isinstance(node, ast.Set):
            items = self._sequence(node.elts, list)
            for item in items:
                if type(item) is tuple:
                    self._scan(item, node)
            try:
                return set(items)
            except TypeError as error:
                raise EvalFailure(node, f"TypeError: {error}") from error
        if isinstance(node, ast.Dict):
            return self.dict_literal(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return self._apply(node, _UNARY[type(node.op)], self.expr(node.operand))
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for value_node in node.values:
                result = self.expr(value_node)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.expr(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.expr(right_node)
                if type(left) in _WALKED or type(right) in _WALKED:
                    self._scan(left, node)
                    self._scan(right, node)
                if not self._apply(node, _COMPARE[type(op)], left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.expr(node.body) if self.expr(node.test) else self.expr(node.orelse)
        if isinstance(node, ast.Subscript):
            container = self.expr(node.value)
            key = self.expr(node.slice)
            if type(key) is tuple:
                self._scan(key, node)
            result = self._subscript(container, key, node)
            if type(key) is slice:
                self.budget.spend_value(result)
            return result
        if isinstance(node, ast.Slice):
            return slice(
                self.expr(node.lower) if node.lower else None,
                self.expr(node.upper) if node.upper else None,
                self.expr(node.step) if node.step else None,
            )
        if isinstance(node, ast.JoinedStr):
            text = "".join(self._fstring_part(part) for part in node.values)
            self.budget.spend_value(text)
            return text
        if isinstance(node, ast.FormattedValue):
            return self._fstring_part(node)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            items = self.comprehension(
                node.generators, lambda: self.expr(node.elt), self._comprehension_cost(node)
            )
            self.budget.spend_items(len(items))
            if isinstance(node, ast.SetComp):
                for item in items:
                    if type(item) is tuple:
                        self._scan(item, node)
                return set(items)
            if isinstance(node, ast.ListComp):
                self.table.table(items).update({i: self.loc(node.elt) for i in range(len(items))})
                return items
            return iter(items)
        if isinstance(node, ast.DictComp):
            pairs = self.comprehension(
                node.generators, lambda: (self.expr(node.key), self.expr(node.value)),
                self._comprehension_cost(node),
            )
            self.budget.spend_items(len(pairs))
            out: dict[Any, Any] = self.mine({})
            for key, value in pairs:
                self._dict_put(out, key, value, node.key)
            return out
        if isinstance(node, ast.Starred):
            raise Unsafe(node, "a starred expression here")
        raise Unsafe(node, describe(node))

    def _data(self, node: ast.expr) -> Any:
        """The value of ``node``, to be stored in a container: a method looked up on a
        value or a name bound by an import or a ``def`` is no config data (as in
        ``dict(k=...)``, which refuses them too), and would leave the evaluator's own
        stand-in object in the loaded values."""
        value = self.expr(node)
        if isinstance(value, _NOT_DATA):
            raise Unsafe(node, f"{value!r} stored as a value")
        return value

    def _apply(self, node: ast.AST, function: Callable[..., Any], *args: Any) -> Any:
        for arg in args:
            if isinstance(arg, (_Opaque, _Method)):
                raise Unsafe(node, f"an operation on {arg!r}")
        try:
            return function(*args)
        except (Unsafe, EvalFailure, OverBudget) as error:
            if error.node is None:
                error.node = node
            raise
        except Reported:
            raise
        except MemoryError as error:
            raise Unsafe(node, "a value too large to build") from error
        except Exception as error:
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error

    def name(self, name: str, node: ast.AST) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.names:
            value = self.names[name]
            if isinstance(value, _Opaque):
                what = (
                    f"the function `{name}` defined in the file" if value.kind == "function"
                    else f"`{name}`, bound by an import of `{value.name}` that is never run"
                )
                raise Unsafe(node, what)
            return value
        if name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        if name == "__name__":
            # Running a config, MMEngine's globals have no `__name__`: Python finds the
            # builtins module's, so `if __name__ == '__main__':` blocks never run.
            return "builtins"
        if name == "__file__" and self.lazy:
            return self.file
        if name.startswith("__") and name.endswith("__"):
            raise Unsafe(node, f"the dunder name `{name}`")
        if name in builtins.__dict__:
            if name in ("True", "False", "None", "Ellipsis"):
                return builtins.__dict__[name]
            raise Unsafe(node, f"the builtin `{name}`, which is not on the allow-list of pure "
                         "builtins")
        if name == "read_base":
            raise EvalFailure(node, "`read_base` used outside `with read_base():`")
        hint = _in_bases(self.names, name)
        raise EvalFailure(node, f"NameError: name {name!r} is not defined{hint}")

    def _check_attr(self, node: ast.Attribute) -> None:
        if node.attr.startswith("__") or node.attr in ("gi_frame", "f_globals", "mro"):
            raise Unsafe(node, f"the dunder attribute `.{node.attr}`")

    def _getattr(self, value: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(value, ImportedName):
            return ImportedName(f"{value}.{attr}")
        if isinstance(value, (_Opaque, _Builtin, _Method)):
            raise Unsafe(node, f"attribute `.{attr}` of {value!r}")
        if _method_allowed(value, attr) or (
            attr in _CONFIG_DICT_METHODS and self.is_node(value)
        ):
            return _Method(value, attr)
        if self.is_node(value):
            if attr in value:
                return value[attr]
            raise EvalFailure(node, f"AttributeError: the config has no key {attr!r}")
        if isinstance(value, (dict, list, tuple, str, set, int, float, bool, type(None))):
            raise EvalFailure(
                node, f"AttributeError: {_kind(value)} has no attribute {attr!r}"
                + (" (a dict written in this file is a plain dict; use ['...'])"
                   if isinstance(value, dict) else "")
            )
        raise Unsafe(node, f"attribute `.{attr}` of {_kind(value)}")

    def _subscript(self, container: Any, key: Any, node: ast.AST) -> Any:
        if not isinstance(container, (dict, list, tuple, str, range)):
            raise Unsafe(node, f"indexing {_kind(container)}")
        if isinstance(key, (_Opaque, _Method, _Builtin)):
            raise Unsafe(node, f"indexing with {key!r}")
        try:
            result = container[key]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
        if isinstance(key, slice) and isinstance(container, (list, tuple)) and result:
            found = self.table.of(container)
            if found:
                indices = range(*key.indices(len(container)))
                table = self.table.table(result)
                for new, old in enumerate(indices):
                    if old in found:
                        table[new] = found[old]
        return result

    def _sequence(self, elts: list[ast.expr], kind: type) -> Any:
        items: list[Any] = []
        locations: dict[Key, Location] = {}
        for elt in elts:
            if isinstance(elt, ast.Starred):
                value = self.expr(elt.value)
                start = len(items)
                items.extend(self._iterate(value, elt))
                found = self.table.of(value)
                if found:
                    for index, location in found.items():
                        if isinstance(index, int):
                            locations[start + index] = location
                continue
            locations[len(items)] = self.loc(elt)
            items.append(elt.value if type(elt) is ast.Constant else self._data(elt))
        if len(items) > MAX_ITEMS:
            raise Unsafe(elts[0] if elts else None, f"a sequence of more than {MAX_ITEMS} items")
        budget = self.budget
        budget.items -= len(items)
        if budget.items < 0:
            budget.spend_items(0)
        result = items if kind is list else kind(items)
        if result:
            self.table.table(result).update(locations)
        return result

    def _dict_put(
        self, out: dict[Any, Any], key: Any, value: Any, node: ast.AST,
        table: dict[Key, Location] | None = None,
    ) -> None:
        if type(key) is tuple:
            self._scan(key, node)
        try:
            out[key] = value
        except TypeError as error:
            raise EvalFailure(node, f"TypeError: {error}") from error
        if isinstance(key, (str, int)):
            (table if table is not None else self.table.table(out))[key] = self.loc(node)

    def _spread(self, out: dict[Any, Any], value: Any, node: ast.AST) -> None:
        if not isinstance(value, dict):
            raise EvalFailure(node, f"TypeError: `**` needs a mapping, not {_kind(value)}")
        self.budget.spend_items(len(value))
        out.update(value)
        found = self.table.of(value)
        table = self.table.table(out)
        for key in value:
            location = found.get(key) if found else None
            table[key] = location if location is not None else self.loc(node)

    def dict_literal(self, node: ast.Dict) -> dict[Any, Any]:
        out: dict[Any, Any] = self.mine({})
        table = self.table.table(out)
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                self._spread(out, self.expr(value_node), value_node)
                continue
            key = self._data(key_node)
            self._dict_put(out, key, self._data(value_node), key_node, table)
        self.budget.spend_items(len(out))
        return out

    def binop(self, node: ast.BinOp) -> Any:
        left = self.expr(node.left)
        right = self.expr(node.right)
        op = type(node.op)
        if op not in _BINARY:
            raise Unsafe(node, describe(node.op))
        _guard_binary(op, left, right, node)
        if op is ast.Mod and isinstance(left, (str, bytes)) and not isinstance(
            left, ImportedName
        ):
            for value in right if type(right) is tuple else (right,):
                self._spend_text(value, node)
            result = self._apply(node, operator.mod, left, right)
            self.budget.spend_value(result)
            return result
        result = self._apply(node, _BINARY[op], left, right)
        self.budget.spend_value(result)
        if op is ast.Add and isinstance(result, (list, tuple)) and result:
            table = self.table.table(result)
            for part, start in ((left, 0), (right, len(left))):
                found = self.table.of(part)
                if found:
                    for index, location in found.items():
                        if isinstance(index, int):
                            table[start + index] = location
        elif op is ast.Mult and isinstance(result, (list, tuple)) and result:
            # `[0.1] * 80`: every copy of an item was written where the item was.
            sequence = left if isinstance(left, (list, tuple)) else right
            found = self.table.of(sequence)
            if found and sequence:
                size = len(sequence)
                self.table.table(result).update(
                    (index, found[index % size])
                    for index in range(len(result)) if index % size in found
                )
        return result

    def _fstring_part(self, part: ast.expr) -> str:
        if isinstance(part, ast.Constant):
            return str(part.value)
        if not isinstance(part, ast.FormattedValue):
            raise Unsafe(part, describe(part))
        value = self.expr(part.value)
        if isinstance(value, (_Opaque, _Method)):
            raise Unsafe(part, f"formatting {value!r}")
        self._spend_text(value, part)
        if part.conversion == ord("r"):
            value = repr(value)
        elif part.conversion == ord("s"):
            value = str(value)
        elif part.conversion == ord("a"):
            value = ascii(value)
        spec = self.expr(part.format_spec) if part.format_spec is not None else ""
        _check_widths(spec, part)
        return self._apply(part, format, value, spec)  # type: ignore[no-any-return]

    def _comprehension_cost(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> int:
        """The nodes one iteration of a comprehension evaluates (at most)."""
        return self._loop_cost(node, [node])

    def comprehension(
        self, generators: list[ast.comprehension], element: Callable[[], Any], cost: int = 1
    ) -> list[Any]:
        results: list[Any] = []
        self.scopes.append({})
        try:
            self._generate(generators, 0, element, results, cost)
        finally:
            self.scopes.pop()
        return results

    def _generate(
        self,
        generators: list[ast.comprehension],
        index: int,
        element: Callable[[], Any],
        results: list[Any],
        cost: int = 1,
    ) -> None:
        if index == len(generators):
            results.append(element())
            if len(results) > MAX_ITEMS:
                raise Unsafe(generators[0].iter, f"a sequence of more than {MAX_ITEMS} items")
            return
        generator = generators[index]
        if generator.is_async:
            raise Unsafe(generator.iter, "`async for`")
        for item in self._iterate(self.expr(generator.iter), generator.iter):
            self._tick(generator.iter)
            self._spend_work(cost)
            self.assign(generator.target, item, generator.iter)
            if all(self.expr(condition) for condition in generator.ifs):
                self._generate(generators, index + 1, element, results, cost)


def _in_bases(names: dict[str, Any], name: str) -> str:
    """What to say after the NameError of a name the merged bases define: a classic
    config does not see its bases' names as its own (MMEngine runs the file alone and
    merges afterwards), which users coming from the values' inheritance expect."""
    base = names.get("_base_")
    if isinstance(base, dict) and name in base:
        return f"; the bases define it: read it as _base_.{name} (or {{{{_base_.{name}}}}})"
    return ""
