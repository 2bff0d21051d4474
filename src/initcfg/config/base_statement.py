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



# What Python calls the block whose body MMEngine's removal can empty, in the user's words.
_BLOCKS: dict[type[ast.AST], str] = {
    ast.If: "`if`", ast.For: "`for`", ast.AsyncFor: "`async for`", ast.While: "`while`",
    ast.With: "`with`", ast.AsyncWith: "`async with`", ast.Try: "`try`",
    ast.ExceptHandler: "`except`", ast.match_case: "`case`", ast.FunctionDef: "`def`",
    ast.AsyncFunctionDef: "`async def`", ast.ClassDef: "`class`",
}
_NESTED = ("body", "orelse", "handlers", "finalbody", "cases")


def _is_base_assignment(statement: ast.AST) -> bool:
    # MMEngine's RemoveAssignFromAST looks at the first target only.
    return (
        isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == BASE_KEY
    )


def ignored_base_assignments(module: ast.Module) -> list[tuple[ast.Assign, str | None]]:
    """Each ``_base_ = ...`` of a classic config that names no base, in file order.

    MMEngine reads the bases from the first top-level assignment only, and removes every
    ``_base_ = ...`` of the file, nested ones included, before running it. Each pair is
    an assignment that is not the first top-level one, and the block (``"`if`"``) whose
    body holds nothing else, so that the removal leaves it empty and compiling the file
    fails (``ValueError: empty body on If``), or None."""
    found: list[tuple[ast.Assign, str | None]] = []
    first = next((s for s in module.body if _is_base_assignment(s)), None)
    pending: list[ast.AST] = [module]
    while pending:
        node = pending.pop()
        for field in _NESTED:
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            emptied = (
                _BLOCKS.get(type(node)) if field == "body" and statements
                and all(_is_base_assignment(s) for s in statements) else None
            )
            for statement in statements:
                if isinstance(statement, ast.Assign):
                    if statement is not first and _is_base_assignment(statement):
                        found.append((statement, emptied))
                elif isinstance(statement, ast.stmt | ast.ExceptHandler | ast.match_case):
                    pending.append(statement)
    found.sort(key=lambda pair: (pair[0].lineno, pair[0].col_offset))
    return found
