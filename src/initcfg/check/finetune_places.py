"""Placing and wording the fine-tune rules' findings (shared by :mod:`finetune` and
:mod:`finetune_schedule`)."""

from __future__ import annotations

import os
from collections.abc import Callable

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, Location, diagnostic, format_path

__all__ = ["Deferred", "fmt", "place", "short", "where"]


def place(
    tree: ConfigTree, code: str, message: str, path: KeyPath, hint: str | None = None
) -> Diagnostic:
    """The finding ``code`` at where ``path`` is written, for ``tree``'s config."""
    return diagnostic(code, message, format_path(path), hint).at(tree.location(path), tree.path)


def where(tree: ConfigTree, path: KeyPath) -> str:
    """``path`` and where it is written (``train_cfg.max_epochs at cfg.py:12``)."""
    location = tree.location(path)
    if location is None:
        return format_path(path)
    return f"{format_path(path)} at {short(location)}"


class Deferred:
    """Text made when first formatted: a message part that names a location is built
    only for a finding that shows it (finding a location may read the file again)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make

    def __format__(self, spec: str) -> str:
        return format(self._make(), spec)

    def __str__(self) -> str:
        return self._make()


def short(location: Location) -> str:
    """``file:line`` with the file's name alone."""
    return f"{os.path.basename(location.file)}:{location.line}"


def fmt(value: float) -> str:
    """A number as a message shows it (``0.001``, ``1e-05``)."""
    return f"{value:g}"
