"""Planning a repeated block once: the steps of one block, stamped out for its repeats.

Models repeat one block many times (the same class, children, tensor shapes and
``init_cfg``). :class:`~initcfg.plan.module_index.ModuleIndex` gives such subtrees one
*kind*; the planner visits the first block of a kind as usual, and when that visit was
plain (only initializer steps whose writes stay inside the block, and no diagnostic,
override, unreached ``init_cfg``, checkpoint or module's own ``init_weights``) it keeps
the visit's steps with paths relative to the block. Every later block of that kind gets
the same steps with its own path in front: the very objects a visit would have built
(same initializers and ops, the same origins, writes and marked modules).

A block the config reaches (a module path under it has an ``init_cfg`` in the config or
is described there) is always visited: its entries have their own key paths and
locations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import nn

from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.planner_writes import _RelWrite, relative, relative_writes, stamp_writes
from initcfg.plan.steps import Source, Step, make_origin
from initcfg.schema.initializers import BaseInit

if TYPE_CHECKING:
    from initcfg.plan.planner import Planner

@dataclass(frozen=True, slots=True)
class _RelStep:
    target: str
    whole: bool
    initializer: BaseInit | None
    owner: str
    key_tail: str  # the origin's key after its owner's path
    source: Source
    file: str | None
    line: int | None
    writes: tuple[_RelWrite, ...]


@dataclass(frozen=True, slots=True)
class _Template:
    steps: tuple[_RelStep, ...]
    marked: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Mark:
    """The planner's state when a block's first visit began."""

    kind: int
    path: str
    steps: int
    diagnostics: int
    unreached: int
    marked: int
    overrides: int


class Repeats:
    """The templates of one compile, by kind."""

    def __init__(self, index: ModuleIndex, configured: Iterable[str]) -> None:
        self.index = index
        self.templates: dict[int, _Template | None] = {}
        # Every configured or described path and its ancestors: a block at one of these
        # paths holds something the config says, which a template cannot carry.
        self.reached: set[str] = set()
        for path in configured:
            parts = path.split(".") if path else []
            self.reached.update(".".join(parts[:end]) for end in range(len(parts) + 1))

    def kind(self, module: nn.Module, path: str) -> int | None:
        """The kind of the block at ``path``, when it may be stamped."""
        if not path or path in self.reached:
            return None
        kind = self.index.kinds.get(path)
        if kind is None or self.index.modules.get(path) is not module:
            return None
        return kind

    def stamp(self, planner: Planner, kind: int, path: str) -> bool:
        """Add the steps of the block at ``path`` from its kind's template; False when
        there is none (the block is then visited)."""
        template = self.templates.get(kind)
        if template is None:
            return False
        self._stamp(planner, template, path)
        return True

    def stamp_child(self, planner: Planner, child: nn.Module, path: str) -> bool:
        """:meth:`stamp` for a child its parent's visit meets, before the parent's checks
        (own ``init_weights``, taking part, initialized): they read only what a kind
        compares, so they answer for this block as for the one its template came from,
        which was visited. False: no template (the parent checks and visits it)."""
        kind = self.index.kinds.get(path)
        if kind is None:
            return False
        template = self.templates.get(kind)
        if (
            template is None
            or path in self.reached
            or self.index.modules.get(path) is not child
            or id(child) in planner.done
        ):
            return False
        self._stamp(planner, template, path)
        return True

    def _stamp(self, planner: Planner, template: _Template, path: str) -> None:
        steps = planner.steps
        for rel in template.steps:
            owner = path + rel.owner
            step = Step(
                "init",
                path + rel.target,
                rel.whole,
                rel.initializer,
                make_origin(owner, owner + rel.key_tail, rel.source, rel.file, rel.line),
            )
            stamp_writes(step.writes, rel.writes, path)
            steps.append(step)
        modules, done, marked = self.index.modules, planner.done, planner.marked
        for rel_path in template.marked:
            marked.append(path + rel_path)
            done.add(id(modules[path + rel_path]))

    def begin(self, planner: Planner, kind: int, path: str) -> _Mark | None:
        """Note where the first visit of a kind starts (None: the kind is settled)."""
        if kind in self.templates:
            return None
        if self.index.kind_counts[kind] < 2:  # nothing to stamp it onto
            self.templates[kind] = None
            return None
        return _Mark(
            kind,
            path,
            len(planner.steps),
            len(planner.diagnostics),
            len(planner.unreached),
            len(planner.marked),
            planner.overrides,
        )

    def end(self, planner: Planner, mark: _Mark) -> None:
        """Keep the visit that began at ``mark`` as its kind's template, if it was plain."""
        self.templates[mark.kind] = self._template(planner, mark)

    def _template(self, planner: Planner, mark: _Mark) -> _Template | None:
        if (
            len(planner.diagnostics) != mark.diagnostics
            or len(planner.unreached) != mark.unreached
            or planner.overrides != mark.overrides
        ):
            return None
        path = mark.path
        steps: list[_RelStep] = []
        for step in planner.steps[mark.steps :]:
            if (
                step.kind != "init"
                or step.load is not None
                or step.trace is not None
                or step.sets_init_cfg
                or step.touches
            ):
                return None
            target, owner = relative(step.target, path), relative(step.origin.owner, path)
            key = step.origin.key
            if target is None or owner is None or not key.startswith(step.origin.owner):
                return None
            writes = relative_writes(planner, step.writes, path)
            if writes is None:
                return None
            steps.append(
                _RelStep(
                    target,
                    step.whole,
                    step.initializer,
                    owner,
                    key[len(step.origin.owner) :],
                    step.origin.source,
                    step.origin.file,
                    step.origin.line,
                    writes,
                )
            )
        marked = [relative(done, path) for done in planner.marked[mark.marked :]]
        if any(rel is None for rel in marked):
            return None
        return _Template(tuple(steps), tuple(rel for rel in marked if rel is not None))

