"""Where a Python config's ``_base_`` statement is, read from its syntax tree.

Kept apart from :mod:`initcfg.config.bases` so that what only needs the statement's
lines (``initcfg explain``, the suppressions on a ``_base_`` line) does not import the
loader and the evaluator with it.
"""

from __future__ import annotations

import ast

BASE_KEY = "_base_"


def base_statement_lines(module: ast.Module) -> tuple[int, ...]:
    """The 1-based lines of a Python config's ``_base_`` statement (the first top-level
    assignment to ``_base_``), or else of its ``with read_base():`` blocks."""
    lines: list[int] = []
    for statement in module.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == BASE_KEY for target in statement.targets
        ):
            return tuple(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
        if isinstance(statement, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, ast.Name | ast.Attribute)
            and (getattr(item.context_expr.func, "id", None) == "read_base"
                 or getattr(item.context_expr.func, "attr", None) == "read_base")
            for item in statement.items
        ):
            lines.extend(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return tuple(lines)

