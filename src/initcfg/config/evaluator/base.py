"""The evaluator's state (names, locations, which dicts the file wrote) and the
charges to the load's budget, shared by the evaluator's parts."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from initcfg.config.budget import MAX_TREE_ITEMS, Budget, OverBudget, tree_size
from initcfg.config.evaluator.locations import ColumnMap, LocTable, _new_location
from initcfg.config.evaluator.values import MAX_STEPS, Unsafe
from initcfg.diagnostics import Location


class EvaluatorBase:
    """What every part of the :class:`~initcfg.config.evaluator.core.Evaluator`
    shares: its state, locations and budget charges."""

    def __init__(
        self,
        file: str,
        table: LocTable,
        *,
        lazy: bool = False,
        base: dict[str, Any] | None = None,
        read_base: Callable[[str, ast.ImportFrom], dict[str, Any]] | None = None,
        text: str = "",
        budget: Budget | None = None,
    ) -> None:
        self.file = file
        self.budget = budget if budget is not None else Budget()
        # Nodes under each loop body and comprehension, charged per iteration.
        self.loop_costs: dict[int, int] = {}
        self.columns = ColumnMap(text)
        self.table = table
        self.lazy = lazy
        self.names: dict[str, Any] = {}
        self.name_locations: dict[str, Location] = {}
        self.imported: set[str] = set()
        self.from_bases: set[str] = set()
        self.read_base = read_base
        # A new-style file's `with read_base():` block (its first top-level `with`) and
        # the modules it read, bound before the file's code runs.
        self.base_block: ast.With | None = None
        self.base_modules: dict[str, dict[str, Any]] = {}
        self.scopes: list[dict[str, Any]] = []
        self.steps = 0
        # Dicts this file writes (literals, dict(), comprehensions) are plain dicts in
        # MMEngine; every other dict (inherited, or stored into an inherited one) is a
        # ConfigDict with attribute access and merging `update`.
        self.own: set[int] = set()
        self.own_keep: list[object] = []
        if base is not None:
            self.names["_base_"] = base

    def mine(self, value: dict[Any, Any]) -> dict[Any, Any]:
        """Mark ``value`` as a plain dict written by this file."""
        self.own.add(id(value))
        self.own_keep.append(value)
        return value

    def is_node(self, value: Any) -> bool:
        """Whether ``value`` behaves as MMEngine's ConfigDict."""
        return isinstance(value, dict) and id(value) not in self.own

    def loc(self, node: ast.AST) -> Location:
        try:
            line: int = node.lineno  # type: ignore[attr-defined]
            offset: int = node.col_offset  # type: ignore[attr-defined]
        except AttributeError:
            line, offset = 1, 0
        if self.columns.ascii:
            return _new_location((self.file, line, offset + 1))
        return Location(self.file, line, self.columns.column(line, offset))

    def _attr_loc(self, node: ast.Attribute) -> Location:
        end = node.end_col_offset
        if node.end_lineno == node.lineno and end is not None:
            # The attribute name is ASCII-or-not like the rest; count it in bytes too.
            start = end - len(node.attr.encode("utf-8"))
            return Location(self.file, node.lineno, self.columns.column(node.lineno, start))
        return self.loc(node)

    def _tick(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unsafe(node, f"more than {MAX_STEPS} loop iterations")

    def _loop_cost(self, node: ast.AST, parts: Iterable[ast.AST]) -> int:
        """The nodes evaluated by one iteration of a loop (counted once per loop)."""
        cost = self.loop_costs.get(id(node))
        if cost is None:
            cost = self.loop_costs[id(node)] = 1 + sum(
                1 for part in parts for _ in ast.walk(part)
            )
        return cost

    def _spend_work(self, cost: int) -> None:
        budget = self.budget
        budget.work -= cost
        if budget.work < 0:
            budget.spend_work(0)

    def _scan(self, value: Any, node: ast.AST | None = None) -> None:
        """Charge an operation that walks ``value`` whole (a comparison, a hash, a
        sort) as work: every path to a shared container counts."""
        kind = type(value)
        if kind is str:
            if len(value) > 4096:
                self._spend_work(len(value) >> 4)
        elif kind is list or kind is tuple or kind is dict or kind is set or kind is frozenset:
            size = tree_size(value, MAX_TREE_ITEMS)
            if size < 0:
                raise OverBudget(
                    f"an operation that walks a value of more than {MAX_TREE_ITEMS:,} items "
                    "(each shared container counted once per path)", node
                )
            self._spend_work(size)

    def _spend_text(self, value: Any, node: ast.AST | None = None) -> None:
        """Charge the text ``str`` or ``repr`` of a container would make, before making
        it: aliasing makes a small value print to gigabytes."""
        kind = type(value)
        if kind is list or kind is tuple or kind is dict or kind is set or kind is frozenset:
            size = tree_size(value, self.budget.chars, strings=True)
            if size < 0:
                raise OverBudget(
                    "formatting a value whose text would pass the load's bound of "
                    "characters", node
                )
            self.budget.spend_chars(size)

    if TYPE_CHECKING:
        # The parts' methods that other parts call.

        def _iterate(self, value: Any, node: ast.AST) -> Iterator[Any]:
            ...

        def import_(self, node: ast.Import) -> None:
            ...

        def import_from(self, node: ast.ImportFrom) -> None:
            ...

        def with_(self, node: ast.With) -> None:
            ...

        def bind_bases(self, module: ast.Module) -> None:
            ...

        def assign(self, target: ast.expr, value: Any, value_node: ast.AST) -> None:
            ...

        def hook(self, value: Any) -> Any:
            ...

        def _extend_locations(self, target: list[Any], start: int, source: Any) -> None:
            ...

        def _drop_list_locations(self, container: list[Any]) -> None:
            ...

        def expr(self, node: ast.expr) -> Any:
            ...

        def _apply(self, node: ast.AST, function: Callable[..., Any], *args: Any) -> Any:
            ...

        def name(self, name: str, node: ast.AST) -> Any:
            ...

        def _check_attr(self, node: ast.Attribute) -> None:
            ...

        def _getattr(self, value: Any, attr: str, node: ast.AST) -> Any:
            ...

        def _subscript(self, container: Any, key: Any, node: ast.AST) -> Any:
            ...

        def call(self, node: ast.Call) -> Any:
            ...

        def _dict_method(
            self,
            node: ast.Call,
            owner: dict[Any, Any],
            name: str,
            args: list[Any],
            kwargs: dict[str, Any],
            locations: dict[str, Location],
        ) -> Any:
            ...

        def _copy_value(self, value: Any, *, deep: bool) -> Any:
            ...

        def _shift_locations(self, owner: list[Any], at: int, by: int) -> None:
            ...

        def _list_method(
            self, node: ast.Call, owner: list[Any], name: str, args: list[Any],
            kwargs: dict[str, Any],
        ) -> Any:
            ...
