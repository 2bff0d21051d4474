"""Statements: assignments (plain, augmented, unpacking, into items and attributes),
``if``, ``for``, ``del``, ``assert``, ``def`` bound but never called."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from initcfg.config.budget import OverBudget
from initcfg.config.evaluator.base import EvaluatorBase
from initcfg.config.evaluator.callables import _Builtin, _kind, _Method
from initcfg.config.evaluator.operators import _INPLACE, _guard_binary
from initcfg.config.evaluator.values import EvalFailure, Reported, Unsafe, _Opaque, describe
from initcfg.diagnostics import Location


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class StatementsMixin(EvaluatorBase):
    """Evaluates statements."""

    def run(self, module: ast.Module) -> None:
        """Evaluate the module; raises :class:`Unsafe` or :class:`EvalFailure`."""
        if self.lazy and self.read_base is not None:
            self.bind_bases(module)
        self.block(module.body)

    def block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        try:
            if isinstance(node, ast.Assign):
                if (
                    not self.lazy
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "_base_"
                ):
                    # MMEngine drops `_base_ = ...` before running the file: it names bases.
                    return
                value = self.expr(node.value)
                for target in node.targets:
                    self.assign(target, value, node.value)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self.assign(node.target, self.expr(node.value), node.value)
            elif isinstance(node, ast.AugAssign):
                self.augassign(node)
            elif isinstance(node, ast.Expr):
                self.expr(node.value)
            elif isinstance(node, ast.If):
                self.block(node.body if self.expr(node.test) else node.orelse)
            elif isinstance(node, ast.For):
                self.for_loop(node)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    self.delete(target)
            elif isinstance(node, ast.Import):
                self.import_(node)
            elif isinstance(node, ast.ImportFrom):
                self.import_from(node)
            elif isinstance(node, ast.With):
                self.with_(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.decorator_list:
                    raise Unsafe(node.decorator_list[0], "a decorator")
                # Defining is harmless while nothing calls it; MMEngine drops functions
                # from the config, and calling one is refused. (A class is refused: its
                # body runs at definition, and MMEngine would keep the class object.)
                self.names[node.name] = _Opaque("function", node.name)
            elif isinstance(node, ast.Pass):
                return
            elif isinstance(node, ast.Break):
                raise _Break
            elif isinstance(node, ast.Continue):
                raise _Continue
            elif isinstance(node, ast.Assert):
                if not self.expr(node.test):
                    raise EvalFailure(node, "an `assert` in the config fails")
            else:
                raise Unsafe(node, describe(node))
        except (Unsafe, EvalFailure, Reported, _Break, _Continue):
            raise
        except OverBudget as error:
            if error.node is None:
                error.node = node
            raise
        except RecursionError as error:
            raise Unsafe(node, "expressions nested too deeply") from error
        except MemoryError as error:
            raise Unsafe(node, "a value too large to build") from error
        except Exception as error:  # an operation on plain values failed, as it would in Python
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error

    def for_loop(self, node: ast.For) -> None:
        iterable = self.expr(node.iter)
        broke = False
        cost = self._loop_cost(node, node.body)
        for item in self._iterate(iterable, node.iter):
            self._tick(node)
            self._spend_work(cost)
            self.assign(node.target, item, node.iter)
            try:
                self.block(node.body)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke:
            self.block(node.orelse)

    def _iterate(self, value: Any, node: ast.AST) -> Iterator[Any]:
        if isinstance(value, (_Opaque, _Builtin, _Method)):
            raise Unsafe(node, f"iterating over {value!r}")
        try:
            return iter(value)
        except TypeError as error:
            raise EvalFailure(node, f"TypeError: {error}") from error

    def assign(self, target: ast.expr, value: Any, value_node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if target.id.startswith("__") and target.id.endswith("__"):
                raise Unsafe(target, f"assigning the dunder name `{target.id}`")
            self._set_name(target.id, value, self.loc(target))
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(self._iterate(value, value_node))
            starred = [i for i, elt in enumerate(target.elts) if isinstance(elt, ast.Starred)]
            if not starred:
                if len(items) != len(target.elts):
                    raise EvalFailure(target, f"cannot unpack {len(items)} values into "
                                      f"{len(target.elts)} names")
                for elt, item in zip(target.elts, items, strict=True):
                    self.assign(elt, item, value_node)
                return
            at = starred[0]
            after = len(target.elts) - at - 1
            if len(items) < at + after:
                raise EvalFailure(target, "not enough values to unpack")
            for elt, item in zip(target.elts[:at], items[:at], strict=True):
                self.assign(elt, item, value_node)
            star = target.elts[at]
            assert isinstance(star, ast.Starred)
            self.assign(star.value, items[at:len(items) - after], value_node)
            for elt, item in zip(target.elts[at + 1:], items[len(items) - after:], strict=True):
                self.assign(elt, item, value_node)
        elif isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            self._setitem(container, key, value, target, self.loc(target.slice))
        elif isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            if not self.is_node(container):
                raise EvalFailure(
                    target, f"AttributeError: cannot set attribute {target.attr!r} on "
                    f"{_kind(container)}"
                )
            self._setitem(container, target.attr, value, target, self._attr_loc(target))
        else:
            raise Unsafe(target, f"assignment to {describe(target)}")

    def _set_name(self, name: str, value: Any, location: Location) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
            return
        self.names[name] = value
        self.name_locations[name] = location
        self.imported.discard(name)
        self.from_bases.discard(name)

    def _setitem(
        self, container: Any, key: Any, value: Any, node: ast.AST, location: Location
    ) -> None:
        if self.is_node(container):
            value = self.hook(value)
        if isinstance(container, (dict, list)):
            try:
                container[key] = value
            except (TypeError, IndexError, KeyError) as error:
                raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
            if isinstance(key, int) and isinstance(container, list) and key < 0:
                key += len(container)
            if isinstance(key, (str, int)):
                self.table.set(container, key, location)
            return
        raise EvalFailure(node, f"TypeError: {_kind(container)} does not support item assignment")

    def hook(self, value: Any) -> Any:
        """What a ConfigDict stores for ``value``: the file's plain dicts become
        ConfigDicts (copies), lists and tuples are rebuilt with their items hooked."""
        kind = type(value)
        if kind is dict and id(value) in self.own:
            self.budget.spend_items(len(value))
            node = {key: self.hook(child) for key, child in value.items()}
            self.table.share(node, value)
            return node
        if kind is list or kind is tuple:
            self.budget.spend_items(len(value))
            items = kind(self.hook(child) for child in value)
            if items:
                self.table.share(items, value)
            return items
        return value

    def augassign(self, node: ast.AugAssign) -> None:
        op = _INPLACE.get(type(node.op))
        if op is None:  # pragma: no cover - every operator is listed
            raise Unsafe(node, describe(node.op))
        target = node.target
        right = self.expr(node.value)
        if isinstance(target, ast.Name):
            left = self.name(target.id, target)
            _guard_binary(type(node.op), left, right, node)
            result = self._augmented(op, left, right)
            if isinstance(left, list) and result is left and isinstance(right, (list, tuple)):
                self._extend_locations(left, len(left) - len(right), right)
            self._set_name(target.id, result, self.loc(target))
            return
        if isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            left = self._subscript(container, key, target)
            _guard_binary(type(node.op), left, right, node)
            self._setitem(
                container, key, self._augmented(op, left, right), target, self.loc(target.slice)
            )
            return
        if isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            left = self._getattr(container, target.attr, target)
            _guard_binary(type(node.op), left, right, node)
            if not self.is_node(container):
                raise EvalFailure(target, f"AttributeError: cannot set {target.attr!r}")
            self._setitem(
                container, target.attr, self._augmented(op, left, right), target,
                self._attr_loc(target),
            )
            return
        raise Unsafe(target, f"augmented assignment to {describe(target)}")

    def _augmented(self, op: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
        """``left op= right``, its result counted: a list extended in place grows by
        ``right``'s items, anything else is new."""
        result = op(left, right)
        if result is left and isinstance(left, (list, dict, set)):
            if isinstance(right, (list, tuple, dict, set, frozenset)):
                self.budget.spend_items(len(right))
        else:
            self.budget.spend_value(result)
        return result

    def _extend_locations(self, target: list[Any], start: int, source: Any) -> None:
        found = self.table.of(source)
        if found:
            table = self.table.table(target)
            for index, location in found.items():
                if isinstance(index, int):
                    table[start + index] = location

    def delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if target.id not in self.names:
                raise EvalFailure(target, f"NameError: name {target.id!r} is not defined")
            del self.names[target.id]
            self.name_locations.pop(target.id, None)
        elif isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            if not isinstance(container, (dict, list)):
                raise EvalFailure(target, f"TypeError: cannot delete items of {_kind(container)}")
            size = len(container)
            try:
                del container[key]
            except (KeyError, IndexError, TypeError) as error:
                raise EvalFailure(target, f"{type(error).__name__}: {error}") from error
            if isinstance(container, list):
                if isinstance(key, int):
                    at = key + size if key < 0 else key
                    self._shift_locations(container, at + 1, -1)
                else:
                    self._drop_list_locations(container)
        elif isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            if not self.is_node(container) or target.attr not in container:
                raise EvalFailure(target, f"AttributeError: {target.attr!r}")
            del container[target.attr]
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.delete(elt)
        else:
            raise Unsafe(target, f"deleting {describe(target)}")

    def _drop_list_locations(self, container: list[Any]) -> None:
        # Positions shift after a deletion; item locations become unknown rather than wrong.
        found = self.table.of(container)
        if found:
            found.clear()
