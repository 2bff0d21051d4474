"""Imports and new-style configs: ``import`` statements bound (never run),
``with read_base():`` reading the bases, and MMEngine's test for the new style."""

from __future__ import annotations

import ast
import sys
from collections import deque

from initcfg.config.evaluator.base import EvaluatorBase
from initcfg.config.evaluator.values import EvalFailure, ImportedName, Unsafe, _Opaque

_STDLIB = frozenset(sys.stdlib_module_names)


class ImportsMixin(EvaluatorBase):
    """Evaluates ``import``, ``from ... import`` and ``with read_base():``."""

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                bound, dotted = alias.asname, alias.name
            else:
                bound = dotted = alias.name.split(".")[0]
            self.imported.add(bound)
            if self.lazy and alias.name.split(".")[0] not in _STDLIB:
                self.names[bound] = ImportedName(dotted)
            else:
                self.names[bound] = _Opaque("module", dotted)

    def import_from(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if module in self.base_modules:
            return  # bound from the base before the file's code ran (bind_bases)
        builtin_module = node.level == 0 and (node.module or "").split(".")[0] in _STDLIB
        for alias in node.names:
            if alias.name == "*":
                raise EvalFailure(node, f"`from {module} import *` outside `with read_base():`")
            bound = alias.asname or alias.name
            self.imported.add(bound)
            if self.lazy and not builtin_module and node.level == 0:
                self.names[bound] = ImportedName(f"{module}.{alias.name}")
            else:
                self.names[bound] = _Opaque("imported name", f"{module}.{alias.name}")

    def with_(self, node: ast.With) -> None:
        if node is self.base_block:
            return  # read and bound before the file's code ran (bind_bases)
        self._check_read_base(node)
        raise EvalFailure(
            node, "a `with read_base():` block that is not the file's first top-level "
            "`with`: MMEngine reads bases from that one only, and fails on this one"
        )

    def _check_read_base(self, node: ast.With) -> None:
        item = node.items[0].context_expr
        if not (
            self.lazy
            and len(node.items) == 1
            and isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id == "read_base"
            and self.read_base is not None
        ):
            raise Unsafe(node, "a `with` statement other than `with read_base():`")

    def bind_bases(self, module: ast.Module) -> None:
        """Read a new-style file's bases and bind what it imports from them, before any
        of its code runs, as MMEngine does.

        MMEngine reads the modules its first top-level ``with read_base():`` names, then
        rewrites the file before running it: each ``from <one of them> import ...``,
        in the block or anywhere else in the file, binds the base's values then and is
        removed. So a name the file assigns before the block keeps the file's value,
        and an import of a base module outside the block is a base import too."""
        block = next((item for item in module.body if isinstance(item, ast.With)), None)
        if block is None:
            return
        self._check_read_base(block)
        read_base = self.read_base
        assert read_base is not None  # checked by _check_read_base
        for statement in block.body:
            if not isinstance(statement, ast.ImportFrom) or statement.module is None:
                raise EvalFailure(
                    statement, "only `from <config module> import ...` may appear in "
                    "`with read_base():`"
                )
            name = "." * statement.level + statement.module
            self.base_modules[name] = read_base(name, statement)
        self.base_block = block
        for statement in _imports_from(module):
            name = "." * statement.level + (statement.module or "")
            base = self.base_modules.get(name)
            if base is None:
                continue
            for alias in statement.names:
                if alias.name == "*":
                    for key, value in base.items():
                        self.names[key] = value
                        self.from_bases.add(key)
                    break
                if alias.name not in base:
                    raise EvalFailure(statement, f"base module {name} has no name {alias.name!r}")
                bound = alias.asname or alias.name
                self.names[bound] = base[alias.name]
                self.from_bases.add(bound)


def _imports_from(module: ast.Module) -> list[ast.ImportFrom]:
    """The ``from ... import`` statements of ``module`` at any depth, in the order a walk
    of the tree (each statement before the blocks it holds) meets them."""
    found: list[ast.ImportFrom] = []
    pending: list[ast.AST] = list(reversed(module.body))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.ImportFrom):
            found.append(node)
            continue
        children: list[ast.AST] = []
        for field in STATEMENT_FIELDS.get(type(node), ()):
            children.extend(getattr(node, field))
        pending.extend(reversed(children))
    return found


def is_new_style(module: ast.Module) -> bool:
    """Whether MMEngine would load the file in its "lazy import" mode.

    As MMEngine decides it, walking the tree breadth first: the first of these wins —
    a ``_base_ = ...`` assignment (classic), a ``with`` block, a relative import, or an
    import of a module outside the standard library (new style). All of them are
    statements and expressions hold no statements, so only statements are walked:
    they come in the same order as in a walk of every node, at a fraction of the cost.
    """
    queue = deque[ast.AST](module.body)
    while queue:
        node = queue.popleft()
        if isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "_base_":
                return False
        elif isinstance(node, ast.With):
            return True
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                return True
            if node.module == "mmengine" and [a.name for a in node.names] == ["Config"]:
                continue
            if node.module and not _is_stdlib(node.module):
                return True
        elif isinstance(node, ast.Import):
            if any(not _is_stdlib(alias.name) for alias in node.names):
                return True
        else:
            for name in STATEMENT_FIELDS.get(type(node), ()):
                queue.extend(getattr(node, name))
    return False


# The fields holding statements (or the handlers and cases that hold them) of each
# compound statement, in the order `ast.iter_child_nodes` yields them.
STATEMENT_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("body",),
    ast.Match: ("cases",),
    ast.match_case: ("body",),
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
}
if sys.version_info >= (3, 11):
    STATEMENT_FIELDS[ast.TryStar] = STATEMENT_FIELDS[ast.Try]


def _is_stdlib(module: str) -> bool:
    return module.startswith("mmengine.config") or module.split(".")[0] in _STDLIB
