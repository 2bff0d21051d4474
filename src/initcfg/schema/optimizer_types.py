"""Whether MMEngine 0.10.7 can build the optimizer a ``type`` names (IC304): torch's,
MMEngine's own, one another package registers where it is installed, one the project
or the config's scope packages register, or a class path MMEngine imports."""

from __future__ import annotations

from importlib.util import find_spec

from initcfg.diagnostics import did_you_mean
from initcfg.schema.class_paths import (
    MMENGINE_OPTIMIZERS,
    OPTIMIZERS,
    TypeName,
    optimizer_package,
)
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS

__all__ = ["optimizer_type_problem", "registered"]


def registered(name: str, names: frozenset[str]) -> bool:
    """Whether ``name`` is among ``names``, a registry's (``mmpretrain.LARS`` names
    LARS in mmpretrain's registry)."""
    return name in names or name.rsplit(".", 1)[-1] in names


def optimizer_type_problem(
    written: str, read: TypeName, extra_optimizers: frozenset[str]
) -> tuple[str, str | None] | None:
    """IC304's message and hint for the optimizer type ``written`` (read as ``read``),
    or None when MMEngine builds it."""
    name = read.name
    accepted = OPTIMIZER_ARGS.get(name)
    known = [*OPTIMIZER_ARGS, *OPTIMIZERS.aliases, *MMENGINE_OPTIMIZERS]
    mine = registered(written, extra_optimizers)
    if name == "Optimizer" and not mine:
        # MMEngine registers every torch.optim class, the abstract base among them.
        return (
            f"optimizer type {written!r} is torch's abstract base class: MMEngine "
            "registers it, but building it fails (it takes no lr)",
            "name an optimizer such as 'SGD' or 'AdamW'",
        )
    if accepted is None and read.module:
        return (
            f"optimizer type {written!r}: {read.module} has no optimizer {name!r}",
            did_you_mean(name, known),
        )
    package = optimizer_package(name)
    if package is not None and not mine:
        if _installed(package[0]):
            return None
        return (
            f"optimizer type {written!r} comes from {package[0]}: MMEngine registers it "
            "only where that package is installed, and it is not installed here",
            f"pip install {package[1]} where the config trains",
        )
    # A class path into a module unseen here is a class MMEngine imports.
    if accepted is not None or read.elsewhere or name in MMENGINE_OPTIMIZERS or mine:
        return None
    # The names a scope package registers are real names too: a typo of `LARS` under
    # default_scope='mmpretrain' is told so.
    names = sorted(extra_optimizers)
    scope, dot, tail = name.partition(".")
    if dot:
        # `scope.Name`, or a class imported from a top-level module (`from timm import
        # Lamb`): MMEngine tries the scope's registry, then the import.
        detail = (
            " nor registered by the config's scope packages; MMEngine builds it only if "
            f"a scope {scope!r} registers {tail!r} or {name!r} imports"
        )
    elif names:
        detail = " nor registered by the config's scope packages or the project"
    else:
        detail = "; it must be registered by your project"
    return (
        f"optimizer type {written!r} is not in torch.optim{detail}",
        did_you_mean(tail or name, [*known, *names]),
    )


def _installed(package: str) -> bool:
    try:  # found, not imported
        return find_spec(package) is not None
    except ValueError:  # imported already, by a module made at run time (no spec)
        return True
