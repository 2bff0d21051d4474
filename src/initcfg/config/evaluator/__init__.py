"""A safe evaluator for MMEngine-style Python configs: it reads the AST, never executes it.

The evaluator understands what real OpenMMLab configs write — literals, ``dict(...)``,
names, arithmetic, comparisons, subscripts, attribute access on inherited values,
f-strings, comprehensions, module-level ``if``/``for``, method calls on the config's own
dicts and lists, imports recorded as dotted names — and refuses everything that could run
code: calls to anything but a short allow-list of pure builtins and the methods of config
values, dunder attributes, lambdas, function calls, ``while`` loops.

Refusals raise :class:`Unsafe`; operations that would also fail when MMEngine runs the file
(an undefined name, a missing key) raise :class:`EvalFailure`. Both carry the AST node so
the caller reports ``file:line:col``.

Where each value was written is tracked in a :class:`LocTable`, keyed by the identity of
the dict or list that holds it, so aliasing (``pipeline`` used twice) and in-place edits
(``model.backbone.depth = 101``) keep their locations. :class:`LazySourceMap` answers
key-path questions from the values and the table, and :func:`walk_locations` builds the
full key-path :class:`~initcfg.config.source.SourceMap` when one is needed.

Dicts the file writes are plain dicts, as in MMEngine; every other dict (inherited from a
base, or stored into an inherited one) behaves as MMEngine's ``ConfigDict``: attribute
access, a merging ``update``, a ``pop`` that defaults to None.

The evaluator's parts, one job each (together they make :class:`Evaluator`):

- :mod:`~initcfg.config.evaluator.values`: the values a config evaluates to, the bounds,
  :class:`Unsafe` and :class:`EvalFailure`;
- :mod:`~initcfg.config.evaluator.locations`: :class:`LocTable`, :class:`LazySourceMap`,
  character columns;
- :mod:`~initcfg.config.evaluator.operators`: operators and their size guards;
- :mod:`~initcfg.config.evaluator.callables`: the allow-listed builtins and methods;
- :mod:`~initcfg.config.evaluator.base`: the evaluator's state and its budget charges;
- :mod:`~initcfg.config.evaluator.statements`, :mod:`~initcfg.config.evaluator.imports`
  (with the test for new-style configs), :mod:`~initcfg.config.evaluator.expressions`,
  :mod:`~initcfg.config.evaluator.calls`, :mod:`~initcfg.config.evaluator.containers`
  (dict and list methods, ``merge``, copies): what each kind of node does;
- :mod:`~initcfg.config.evaluator.core`: :class:`Evaluator`, the parts put together.

Each name is imported from its part on first use: loading a YAML or JSON config needs
the location table and the plain values, not the evaluator (`initcfg validate` on a
YAML file imports none of the node handlers).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from initcfg.config.evaluator.callables import SAFE_BUILTINS as SAFE_BUILTINS
    from initcfg.config.evaluator.callables import unbindable as unbindable
    from initcfg.config.evaluator.containers import DELETE_KEY as DELETE_KEY
    from initcfg.config.evaluator.core import Evaluator as Evaluator
    from initcfg.config.evaluator.imports import STATEMENT_FIELDS as STATEMENT_FIELDS
    from initcfg.config.evaluator.imports import is_new_style as is_new_style
    from initcfg.config.evaluator.locations import ColumnMap as ColumnMap
    from initcfg.config.evaluator.locations import LazySourceMap as LazySourceMap
    from initcfg.config.evaluator.locations import LocTable as LocTable
    from initcfg.config.evaluator.locations import walk_locations as walk_locations
    from initcfg.config.evaluator.values import MAX_CHARS as MAX_CHARS
    from initcfg.config.evaluator.values import MAX_INT_BITS as MAX_INT_BITS
    from initcfg.config.evaluator.values import MAX_ITEMS as MAX_ITEMS
    from initcfg.config.evaluator.values import MAX_STEPS as MAX_STEPS
    from initcfg.config.evaluator.values import STDLIB_FUNCTIONS as STDLIB_FUNCTIONS
    from initcfg.config.evaluator.values import ConfigNode as ConfigNode
    from initcfg.config.evaluator.values import EvalFailure as EvalFailure
    from initcfg.config.evaluator.values import ImportedName as ImportedName
    from initcfg.config.evaluator.values import Key as Key
    from initcfg.config.evaluator.values import Reported as Reported
    from initcfg.config.evaluator.values import Unsafe as Unsafe
    from initcfg.config.evaluator.values import describe as describe
    from initcfg.config.evaluator.values import plain as plain

__all__ = [
    "DELETE_KEY",
    "MAX_CHARS",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_STEPS",
    "SAFE_BUILTINS",
    "STATEMENT_FIELDS",
    "STDLIB_FUNCTIONS",
    "ColumnMap",
    "ConfigNode",
    "EvalFailure",
    "Evaluator",
    "ImportedName",
    "Key",
    "LazySourceMap",
    "LocTable",
    "Reported",
    "Unsafe",
    "describe",
    "is_new_style",
    "plain",
    "unbindable",
    "walk_locations",
]

# Where each public name lives.
_HOMES = {
    "SAFE_BUILTINS": "initcfg.config.evaluator.callables",
    "unbindable": "initcfg.config.evaluator.callables",
    "DELETE_KEY": "initcfg.config.evaluator.containers",
    "Evaluator": "initcfg.config.evaluator.core",
    "STATEMENT_FIELDS": "initcfg.config.evaluator.imports",
    "is_new_style": "initcfg.config.evaluator.imports",
    "ColumnMap": "initcfg.config.evaluator.locations",
    "LazySourceMap": "initcfg.config.evaluator.locations",
    "LocTable": "initcfg.config.evaluator.locations",
    "walk_locations": "initcfg.config.evaluator.locations",
    "MAX_CHARS": "initcfg.config.evaluator.values",
    "MAX_INT_BITS": "initcfg.config.evaluator.values",
    "MAX_ITEMS": "initcfg.config.evaluator.values",
    "MAX_STEPS": "initcfg.config.evaluator.values",
    "STDLIB_FUNCTIONS": "initcfg.config.evaluator.values",
    "ConfigNode": "initcfg.config.evaluator.values",
    "EvalFailure": "initcfg.config.evaluator.values",
    "ImportedName": "initcfg.config.evaluator.values",
    "Key": "initcfg.config.evaluator.values",
    "Reported": "initcfg.config.evaluator.values",
    "Unsafe": "initcfg.config.evaluator.values",
    "describe": "initcfg.config.evaluator.values",
    "plain": "initcfg.config.evaluator.values",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
