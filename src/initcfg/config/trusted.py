"""Configs executed, only with ``trust=True`` (``--trust-python``): a classic file run
with ``exec`` on its merged bases, a new-style one by MMEngine itself."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from initcfg.config.base_statement import BASE_KEY
from initcfg.config.evaluator import ConfigNode, LocTable, plain
from initcfg.config.loaded import Loaded, _Context
from initcfg.config.placeholders import Placeholder
from initcfg.diagnostics import Location, diagnostic

# Said for the command line (--trust-python) and the library (trust=True) alike: the
# note is read by users of both.
_EXECUTED = "the config was executed because it was trusted (--trust-python, or trust=True)"


class TrustedMixin:
    """The part of the :class:`~initcfg.config.loader.Loader` that executes files."""

    if TYPE_CHECKING:
        # What the Loader has that this part uses.

        def _finish(
            self,
            path: str,
            names: dict[str, Any],
            locations: dict[str, Location],
            base: dict[str, Any] | None,
            placeholders: dict[str, Placeholder],
            context: _Context,
        ) -> Loaded:
            ...

    def _execute(
        self,
        path: str,
        module: ast.Module,
        base: dict[str, Any] | None,
        placeholders: dict[str, Placeholder],
        context: _Context,
    ) -> Loaded:
        """Run the file as MMEngine does (``trust=True`` only)."""
        import types

        body = [
            statement for statement in module.body
            if not (isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == BASE_KEY)
        ]
        code = compile(ast.Module(body=body, type_ignores=[]), path, "exec")
        # The merge below uses the same ConfigNodes the code saw as `_base_`, so what
        # the file changed through `_base_` is kept, as in MMEngine.
        nodes = _as_nodes(base if base is not None else {}, context.table)
        namespace: dict[str, Any] = {BASE_KEY: nodes}
        try:
            exec(code, namespace, namespace)
        except (Exception, SystemExit) as error:  # `exit()` in a config ends the config
            line = _failing_line(error, path)
            context.report(
                diagnostic("IC207", f"running the config failed: {type(error).__name__}: "
                           f"{error}").at(Location(path, line, 1))
            )
            context.ok = False
            return context.done({})
        context.report(
            diagnostic("IC209", _EXECUTED)
            .at(context.root)
        )
        locations = _assignment_locations(module, path)
        names = {
            key: plain(value) for key, value in namespace.items()
            if key != BASE_KEY and not key.startswith("__")
            and not isinstance(value, (types.FunctionType, types.ModuleType, type))
        }
        return self._finish(
            path, names, locations, nodes if base is not None else None, placeholders, context
        )


def _failing_line(error: BaseException, path: str) -> int:
    """The line of ``path`` that raised ``error`` (the deepest frame in the file)."""
    import traceback  # only a trusted file that raised needs it

    lines = [
        frame.lineno for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == path and frame.lineno
    ]
    return lines[-1] if lines else getattr(error, "lineno", None) or 1


def _assignment_locations(module: ast.Module, path: str) -> dict[str, Location]:
    found: dict[str, Location] = {}
    for statement in module.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = list(statement.targets)
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = Location(path, target.lineno, target.col_offset + 1)
    return found


def _as_nodes(value: Any, table: LocTable) -> Any:
    """A copy with every dict a :class:`ConfigNode` (attribute access for executed
    code), locations kept."""
    if isinstance(value, dict):
        node = ConfigNode({key: _as_nodes(child, table) for key, child in value.items()})
        table.share(node, value)
        return node
    if isinstance(value, (list, tuple)):
        items = type(value)(_as_nodes(child, table) for child in value)
        if items:
            table.share(items, value)
        return items
    return value


def _execute_with_mmengine(path: str, context: _Context) -> Loaded | None:
    """A new-style file run by MMEngine itself (``trust=True``, when it is installed)."""
    try:
        from mmengine.config import Config  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        data = Config.fromfile(path, import_custom_modules=False).to_dict()
    except (Exception, SystemExit) as error:
        context.report(
            diagnostic("IC207", f"running the config failed: {type(error).__name__}: "
                       f"{error}").at(context.root)
        )
        context.ok = False
        return context.done({})
    context.report(
        diagnostic("IC209", _EXECUTED)
        .at(context.root)
    )
    names = {str(key): value for key, value in data.items()}
    context.table.table(names).update({key: context.root for key in names})
    return context.done(names)
