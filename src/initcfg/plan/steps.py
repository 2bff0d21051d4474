"""The steps of an initialization, as data: what runs, on which module, writing what."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from initcfg.plan.checkpoint import LoadResult
from initcfg.plan.ops import TensorOp
from initcfg.plan.trace import Trace
from initcfg.schema.initializers import BaseInit

Source = Literal["config", "attribute", "argument", "load_from"]
StepKind = Literal["init", "load", "call"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an initializer was configured.

    Attributes:
        owner: Module path of the module whose ``init_cfg`` holds the entry (``""`` is the
            root).
        key: Key path of the entry, such as ``model.backbone.init_cfg[0].override[1]``;
            for a module attribute it starts with the module path.
        source: ``config``, ``attribute`` (a module's ``init_cfg``), ``argument`` (passed to
            :func:`initialize`) or ``load_from``.
        file: File the entry was written in, if known.
        line: 1-based line in ``file``.
    """

    owner: str
    key: str
    source: Source
    file: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        """``file:line`` (relative to the working directory when under it), else the key."""
        if self.file is None:
            return self.key
        file = self.file
        if os.path.isabs(file):
            relative = os.path.relpath(file)
            file = file if relative.startswith("..") else relative
        return f"{file}:{self.line}" if self.line else file


@dataclass(frozen=True, slots=True)
class Write:
    """One tensor written by an initializer step.

    ``module``/``attr`` locate the tensor as the walk reached it; ``tensor`` is its
    canonical name in the model (``""`` for a tensor the model does not register).
    """

    module: str
    attr: str
    tensor: str
    shape: tuple[int, ...]
    op: TensorOp


# The planner builds one Write per planned write and one Origin per init_cfg entry, so
# their construction is on the compile's hot path: these set the slots through their
# descriptors, which gives the same object as the frozen ``__init__`` (it only assigns)
# at about half the cost of its ``object.__setattr__`` calls.
_new = object.__new__
_W_MODULE, _W_ATTR, _W_TENSOR, _W_SHAPE, _W_OP = (
    getattr(Write, name).__set__ for name in ("module", "attr", "tensor", "shape", "op")
)
_O_OWNER, _O_KEY, _O_SOURCE, _O_FILE, _O_LINE = (
    getattr(Origin, name).__set__ for name in ("owner", "key", "source", "file", "line")
)


def make_write(module: str, attr: str, tensor: str, shape: tuple[int, ...], op: TensorOp) -> Write:
    """``Write(module, attr, tensor, shape, op)``, built faster."""
    made: Write = _new(Write)
    _W_MODULE(made, module)
    _W_ATTR(made, attr)
    _W_TENSOR(made, tensor)
    _W_SHAPE(made, shape)
    _W_OP(made, op)
    return made


def make_origin(
    owner: str, key: str, source: Source, file: str | None = None, line: int | None = None
) -> Origin:
    """``Origin(owner, key, source, file, line)``, built faster."""
    made: Origin = _new(Origin)
    _O_OWNER(made, owner)
    _O_KEY(made, key)
    _O_SOURCE(made, source)
    _O_FILE(made, file)
    _O_LINE(made, line)
    return made


@dataclass(slots=True)
class LoadSpec:
    """A checkpoint load: the file, the key selection, and (when the checkpoint could be
    read while planning) which keys land in which tensors. ``uninspected``: a remote
    checkpoint that planning did not download (``apply`` still loads it)."""

    checkpoint: str
    prefix: str | None
    map_location: str | None
    result: LoadResult | None = None
    tensors: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    uninspected: bool = False


@dataclass(slots=True)
class Step:
    """One thing MMEngine does during ``init_weights``, in order.

    Attributes:
        kind: ``init`` (an initializer writes weights and biases), ``load`` (a checkpoint
            is loaded) or ``call`` (a module's own ``init_weights`` is called).
        target: Module path the step acts on.
        whole: True for an override, which initializes every module with a weight or
            bias under ``target``; False for a ``layer`` match.
        initializer: The typed initializer (None for ``call``).
        origin: Where it was configured.
        writes: The tensors an ``init`` step writes, in draw order.
        load: The checkpoint of a ``load`` step.
        touches: The tensors a ``call`` step may write (everything under the module).
        sets_init_cfg: For a ``call`` step whose module the config gives an ``init_cfg``:
            the value is set on the module first, as MMEngine's registry passes it to
            the constructor, so an ``init_weights`` that calls ``super()`` applies it.
        init_cfg: That value, as the config wrote it.
        trace: For a ``call`` step planned on the meta device: what tracing the call
            found it writes (see :mod:`initcfg.plan.trace`); a complete trace names the
            tensors it writes exactly, an incomplete one leaves the step opaque.
    """

    kind: StepKind
    target: str
    whole: bool
    initializer: BaseInit | None
    origin: Origin
    writes: list[Write] = field(default_factory=list)
    load: LoadSpec | None = None
    touches: list[str] = field(default_factory=list)
    sets_init_cfg: bool = False
    init_cfg: Any = None
    trace: Trace | None = None

    @property
    def traced(self) -> bool:
        """A ``call`` step whose writes a complete trace names."""
        return self.trace is not None and self.trace.complete

    def written(self) -> list[str]:
        """Canonical names of the tensors this step writes (or may write)."""
        if self.kind == "init":
            return [w.tensor for w in self.writes if w.tensor]
        if self.kind == "load":
            if self.load is not None and self.load.uninspected:
                return list(self.touches)  # may load into any of them
            return list(self.load.tensors.values()) if self.load else []
        if self.trace is not None and self.trace.complete:
            return self.trace.written()
        return list(self.touches)


@dataclass(frozen=True, slots=True)
class Unreached:
    """An ``init_cfg`` that is never applied, and the module that stands in the way."""

    module: str
    origin: Origin
    blocker: str
    blocker_type: str


StepHook = Callable[[int, Step], None]
"""Called with ``(index, step)`` before each step runs (for instrumentation)."""


class StepRecorder:
    """An ``on_step`` hook that only remembers the step running, to name it when model
    code raises. It promises to leave the model alone, so an apply given one keeps
    writing the tensors its fit check found instead of looking each up again.
    """

    __slots__ = ("running",)

    def __init__(self) -> None:
        self.running: Step | None = None

    def __call__(self, _index: int, step: Step) -> None:
        self.running = step
