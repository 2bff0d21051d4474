"""``compile_init_plan``: a config plus a torch model → the initialization plan.

The plan is the ordered list of steps MMEngine's ``init_weights`` would perform (and the
runner's ``load_from`` after it), each with the tensors it writes, plus every tensor's
final writer and the writers it overwrote, and the model-dependent diagnostics (IC4xx).
It is computed without writing a tensor, so the model may live on the meta device.
:meth:`InitPlan.apply` executes it, bit-exact with MMEngine for the same seed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from initcfg.check.render import text_table
from initcfg.config.atomic import write_text_atomic
from initcfg.config.load import (
    config_mapping,
    config_path,
    load_tree,
    require_flag,
    tree_from_mapping,
)
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, did_you_mean, format_path
from initcfg.errors import PlanFileError
from initcfg.plan.checkpoint import LoadResult, StateDict
from initcfg.plan.init_cfg_source import ConfigSource, frozen_key
from initcfg.plan.init_describe import _count, _relative, _shape
from initcfg.plan.init_describe import describe_initializer as describe_initializer
from initcfg.plan.init_describe import describe_step as describe_step
from initcfg.plan.init_diagnostics import (
    _constructor_differences,
    _provenance_diagnostics,
)
from initcfg.plan.init_diagnostics import lazy_model_problem as lazy_model_problem
from initcfg.plan.init_plan_json import (
    _diagnostic_from_json,
    _origin_from_json,
    _origin_json,
    _step_from_json,
    _step_json,
)
from initcfg.plan.model_walk import Reach, gc_paused, join, require_module, require_reach
from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.module_index import TensorInfo as TensorInfo
from initcfg.plan.plan_file import (
    PlanFileProblem,
    check_plan_json,
    plan_file_diagnostic,
    read_plan_file,
    read_plan_json,
)
from initcfg.plan.planner import Planner
from initcfg.plan.steps import Origin, Step, StepHook, Unreached
from initcfg.schema.document import Document, model_document
from initcfg.schema.finetune_parser import load_from_problem
from initcfg.schema.initializers import Pretrained

PLAN_FORMAT = 1
_KIND_NAMES = {"init": "initializer", "load": "checkpoint", "call": "init_weights"}
ConfigInput = str | os.PathLike[str] | ConfigTree | Mapping[str, Any] | Document


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who writes one tensor: the final writer and the earlier writers it overwrote
    (step indices into :attr:`InitPlan.steps`; ``final`` is None when nothing does)."""

    tensor: str
    final: int | None
    overwritten: tuple[int, ...]


@dataclass(slots=True)
class InitPlan:
    """The initialization of one model by one config, before anything runs.

    Attributes:
        steps: What runs, in MMEngine's order.
        tensors: Every parameter and buffer of the model, by name.
        marked: Module paths flagged as initialized afterwards (as MMEngine does).
        unreached: ``init_cfg`` values never applied, with the module in the way.
        diagnostics: Grammar and model-dependent diagnostics (IC1xx, IC4xx).
        reach: ``mmengine`` or ``all``.
        config: The config file, if the plan came from one.
    """

    steps: list[Step]
    tensors: dict[str, TensorInfo]
    marked: list[str] = field(default_factory=list)
    unreached: list[Unreached] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reach: Reach = "mmengine"
    config: str | None = None
    _state_cache: dict[tuple[str, str | None], StateDict] = field(
        default_factory=dict, repr=False, compare=False
    )

    # -- provenance ----------------------------------------------------------------

    def writers(self) -> dict[str, list[int]]:
        """Tensor name → indices of the steps that write it, in order."""
        out: dict[str, list[int]] = {name: [] for name in self.tensors}
        for index, step in enumerate(self.steps):
            for name in dict.fromkeys(step.written()):
                out.setdefault(name, []).append(index)
        return out

    def provenance(self) -> dict[str, Provenance]:
        """Every tensor's final writer and the writers it overwrote."""
        result: dict[str, Provenance] = {}
        for name, indices in self.writers().items():
            final = indices[-1] if indices else None
            result[name] = Provenance(name, final, tuple(indices[:-1]))
        return result

    def final_writer(self, tensor: str) -> Step | None:
        """The step whose values ``tensor`` ends with (None: torch's default init stays)."""
        found = self.provenance().get(tensor)
        if found is None or found.final is None:
            return None
        return self.steps[found.final]

    def dead_writes(self) -> dict[int, frozenset[int]]:
        """Step index → indices of its writes whose values a later step surely replaces
        (a later ``init`` or a load of that tensor; a module's own ``init_weights`` only
        *may* write, so it does not make an earlier write dead)."""
        last: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            if step.kind != "call" and not (step.load is not None and step.load.uninspected):
                for name in step.written():
                    last[name] = index
        dead: dict[int, frozenset[int]] = {}
        for index, step in enumerate(self.steps):
            if step.kind != "init":
                continue
            gone = frozenset(
                number
                for number, write in enumerate(step.writes)
                if write.tensor and last.get(write.tensor, index) > index
            )
            if gone:
                dead[index] = gone
        return dead

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    # -- execution -----------------------------------------------------------------

    def apply(
        self, model: nn.Module, *, exact: bool = True, on_step: StepHook | None = None
    ) -> list[tuple[Step, LoadResult]]:
        """Execute the plan on ``model`` (the model it was compiled for, or one built the
        same way on a real device). Steps run in order with no scanning of parameter
        values between them; with ``torch.manual_seed(s)`` first, the tensors equal those
        of MMEngine's ``init_weights`` under the same seed.

        Args:
            model: The model.
            exact: True (default) performs every write, so random draws match MMEngine
                bit for bit. False skips writes that a later initializer or checkpoint
                overwrites: faster, same distributions, but different random numbers.
            on_step: Called with ``(index, step)`` before each step (instrumentation);
                a tensor it replaces on the model is the one the later writes write.

        Returns:
            What each checkpoint load did.

        Raises:
            InitError: The plan has errors, or it does not fit ``model`` (a module or
                tensor it names is missing, a tensor has another shape, torch refuses an
                op on a tensor's dtype); raised before anything is written.
            TypeError: ``model`` is not an ``nn.Module`` instance.
        """
        # The one import of the backend in plan/ (see the package docstring): executing
        # a plan is the backend's job, and torch-free callers never get here.
        from initcfg.backend.torch._api import execute_plan

        return execute_plan(self, model, exact=exact, on_step=on_step)

    # -- serialization -------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` rebuilds an equal plan."""
        return {
            "format": PLAN_FORMAT,
            "reach": self.reach,
            "config": self.config,
            "tensors": [
                {"name": t.name, "shape": list(t.shape), "kind": t.kind}
                for t in self.tensors.values()
            ],
            "marked": list(self.marked),
            "steps": [_step_json(step) for step in self.steps],
            "unreached": [
                {
                    "module": u.module,
                    "origin": _origin_json(u.origin),
                    "blocker": u.blocker,
                    "blocker_type": u.blocker_type,
                }
                for u in self.unreached
            ],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> InitPlan:
        """Rebuild a plan from :meth:`to_json` output.

        Every field is checked before anything is built (see :mod:`initcfg.plan.plan_file`).

        Raises:
            PlanFileError: The value is not a plan of a known format, or a field is
                missing or of the wrong kind (also a ValueError); its diagnostic's
                ``path`` is the field's JSON path.
        """
        try:
            return cls._from_checked(value)
        except PlanFileProblem as problem:
            raise PlanFileError([plan_file_diagnostic(problem)]) from None

    @classmethod
    def _from_checked(cls, value: Any) -> InitPlan:
        check_plan_json(value)
        tensors = {
            t["name"]: TensorInfo(t["name"], tuple(t["shape"]), t["kind"])
            for t in value["tensors"]
        }
        steps = []
        for index, step in enumerate(value["steps"]):
            try:
                steps.append(_step_from_json(step))
            except PlanFileProblem as problem:
                raise PlanFileProblem(("steps", index, *problem.path), problem.message) from None
        return cls(
            steps=steps,
            tensors=tensors,
            marked=list(value["marked"]),
            unreached=[
                Unreached(
                    u["module"], _origin_from_json(u["origin"]), u["blocker"], u["blocker_type"]
                )
                for u in value["unreached"]
            ],
            diagnostics=[_diagnostic_from_json(d) for d in value["diagnostics"]],
            reach=value["reach"],
            config=value.get("config"),
        )

    def checkpoints(self) -> list[str]:
        """The checkpoint files the plan's load steps read."""
        return [step.load.checkpoint for step in self.steps if step.load is not None]

    def dumps(self, *, indent: int | None = 2) -> str:
        """The plan as JSON text (:meth:`to_json`); ``indent=None`` for one line."""
        return json.dumps(self.to_json(), indent=indent)

    @classmethod
    def loads(cls, text: str, *, file: str | None = None) -> InitPlan:
        """Rebuild a plan from :meth:`dumps` text; ``file`` names where it was read, for
        the diagnostic's location.

        Raises:
            PlanFileError: The text is not JSON, or not a plan of a known format (also a
                ValueError); the diagnostic gives the field's JSON path and, in ``file``,
                its line and column.
        """
        value = read_plan_json(text, file)
        try:
            return cls._from_checked(value)
        except PlanFileProblem as problem:
            raise PlanFileError([plan_file_diagnostic(problem, text, file)]) from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> InitPlan:
        """Read a plan that :meth:`save` wrote.

        Raises:
            PlanFileError: The file cannot be read (IC001), is not JSON (IC002) or not a
                plan of a known format (IC010); nothing is built from it.
        """
        return cls.loads(read_plan_file(path), file=os.fspath(path))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the plan as JSON atomically (temp file, then rename)."""
        write_text_atomic(path, self.dumps())

    # -- rendering -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Parameters by what finally writes them, plus steps and diagnostics.

        ``init_weights`` counts parameters whose final writer is a module's own
        ``init_weights`` that could not be traced (opaque); ``traced`` those whose final
        writer is a traced call, its op and line known.
        """
        provenance = self.provenance()
        params = [t for t in self.tensors.values() if t.kind == "parameter"]
        by_kind = {
            "initializer": 0, "checkpoint": 0, "init_weights": 0, "traced": 0, "untouched": 0
        }
        overwritten = 0
        for tensor in params:
            found = provenance[tensor.name]
            if found.final is None:
                by_kind["untouched"] += 1
                continue
            overwritten += bool(found.overwritten)
            step = self.steps[found.final]
            by_kind["traced" if step.traced else _KIND_NAMES[step.kind]] += 1
        return {
            "parameters": len(params),
            **by_kind,
            "overwritten": overwritten,
            "steps": len(self.steps),
            "errors": sum(d.severity == "error" for d in self.diagnostics),
            "warnings": sum(d.severity == "warning" for d in self.diagnostics),
            "infos": sum(d.severity == "info" for d in self.diagnostics),
        }

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """Table rows: parameter, shape, final initializer, where configured, overwrote."""
        provenance = self.provenance()
        rows = []
        for tensor in self.tensors.values():
            if tensor.kind != "parameter":
                continue
            found = provenance[tensor.name]
            if found.final is None:
                rows.append((tensor.name, _shape(tensor.shape), "torch default", "-", "-"))
                continue
            step = self.steps[found.final]
            overwrote = ", ".join(describe_step(self.steps[i]) for i in found.overwritten) or "-"
            shape = _shape(tensor.shape)
            what, where = describe_step(step), _relative(step.origin.where)
            if step.traced and step.trace is not None:
                write = step.trace.final()[tensor.name]
                what, where = write.op, _relative(write.where)
            rows.append((tensor.name, shape, what, where, overwrote))
        return rows

    def render_text(self) -> str:
        """The plan as a table with a summary line."""
        header = ("parameter", "shape", "final initializer", "configured at", "overwrote")
        lines = text_table([header, *self.rows()], rule=True, cap=60, free_last=True)
        c = self.counts()
        lines.append("")
        lines.append(
            f"{c['parameters']} parameters: {c['initializer']} by an initializer, "
            f"{c['checkpoint']} from a checkpoint, {c['traced']} by traced init_weights code, "
            f"{c['init_weights']} by a module's own init_weights (untraced), "
            f"{c['untouched']} untouched; {c['overwritten']} overwritten at "
            f"least once; {_count(c['steps'], 'step')}; {_count(c['errors'], 'error')}, "
            f"{_count(c['warnings'], 'warning')}, {_count(c['infos'], 'note')}"
        )
        return "\n".join(lines)


# -- compiling -------------------------------------------------------------------------


def _document(config: ConfigInput | None) -> Document:
    """The document the plan reads: the one given, or the model side of the config's
    (its init_cfgs are then parsed as the planner meets them)."""
    if isinstance(config, Document):
        return config if config.tree is not None else model_document(tree_from_mapping({}))
    if config is None:
        tree = tree_from_mapping({})
    elif isinstance(config, ConfigTree):
        tree = config
    elif (mapping := config_mapping(config)) is not None:
        tree = tree_from_mapping(dict(mapping))
    else:
        tree = load_tree(config_path(config))  # load errors go into the plan's diagnostics
    return model_document(tree)


def _collect(
    node: Mapping[str, Any],
    key: KeyPath,
    module_path: str,
    modules: Mapping[str, nn.Module],
    source: ConfigSource,
    strays: list[tuple[str, KeyPath]],
) -> None:
    for name, value in node.items():
        if not isinstance(name, str):
            continue
        if name == "init_cfg":
            if module_path in modules:
                source.init_cfgs[module_path] = ((*key, "init_cfg"), value)
            elif value:
                strays.append((module_path, (*key, "init_cfg")))
            continue
        items: Sequence[tuple[str, KeyPath, Any]]
        if isinstance(value, Mapping):
            items = [(join(module_path, name), (*key, name), value)]
        elif isinstance(value, list | tuple):
            items = [
                (join(module_path, f"{name}.{index}"), (*key, name, index), item)
                for index, item in enumerate(value)
                if isinstance(item, Mapping)
            ]
        else:
            continue
        for child_path, child_key, child in items:
            if child_path in modules:
                source.described.add(child_path)
            _collect(child, child_key, child_path, modules, source, strays)


def compile_init_plan(
    config: ConfigInput | None,
    model: nn.Module,
    *,
    reach: Reach = "mmengine",
    read_checkpoints: bool = True,
    load_from: bool = True,
    built_from_config: bool = False,
    download: bool = True,
    trace_real: bool = False,
) -> InitPlan:
    """Plan the initialization of ``model`` by ``config`` without writing a tensor.

    ``init_cfg`` values come from module attributes (duck-typed, as in
    :func:`initcfg.init_weights`) and from the config's ``model`` section: the
    ``init_cfg`` at ``model.X.Y`` applies to module ``X.Y`` (list items map to indices)
    and replaces that module's attribute. Every module a dict in the ``model`` section
    describes takes part as if it were an MMEngine ``BaseModule``. A top-level
    ``load_from`` becomes the last step, as the runner loads it after ``init_weights``.

    Args:
        config: A config file path, a :class:`~initcfg.ConfigTree`, a mapping, the
            config's :class:`~initcfg.schema.Document` (its init_cfgs are not parsed
            again), or None (attributes only).
        model: The model, typically built on ``torch.device('meta')``.
        reach: ``"mmengine"`` (default) or ``"all"`` (descend into every module).
        read_checkpoints: Read checkpoints (weights-only, memory-mapped for meta models)
            to plan which keys load where.
        load_from: Plan the config's ``load_from`` as the last step (a caller that loads
            it itself, such as a training loop, passes False).
        built_from_config: ``model`` was built from this config by MMEngine's registry
            (or anything else that hands each described dict's ``init_cfg`` to the
            module's constructor). Then a module's own ``init_cfg`` attribute is what its
            constructor made of the config's value (mmdet's ResNet maps ``None`` to its
            Kaiming/Constant default) and is applied; the config's value only fills in
            for a described module without an ``init_cfg`` attribute, and a value that
            differs from the attribute is noted (IC415). False (default): the config's
            value replaces the attribute.
        download: Let planning download a remote checkpoint to inspect it. False plans a
            remote checkpoint that is not in torch's hub cache as "loads URL (not
            inspected)": it may write any tensor under its module.
        trace_real: For a model with real tensors, trace modules' own ``init_weights``
            on a deep copy (values available, so code that reads them traces; such a
            trace is not replayed). A meta model is traced on meta either way.

    Returns:
        The plan; problems are in ``plan.diagnostics`` (this function does not raise for
        bad config input).

    Raises:
        TypeError: ``model`` is not an ``nn.Module`` instance, or ``config`` is neither
            a path nor a mapping (a caller's mistake, not a config's).
        ValueError: ``reach`` is neither ``"mmengine"`` nor ``"all"``.
        TypeError: ``download`` is not a bool.
    """
    require_module(model, "model", "compile_init_plan")
    require_reach(reach, "compile_init_plan")
    require_flag(download, "download", "compile_init_plan")
    document = _document(config)
    with gc_paused():
        return _compile(
            document, model, reach, read_checkpoints, load_from, built_from_config, download,
            trace_real,
        )


def _compile(
    document: Document,
    model: nn.Module,
    reach: Reach,
    read_checkpoints: bool,
    load_from: bool,
    built_from_config: bool = False,
    download: bool = True,
    trace_real: bool = False,
) -> InitPlan:
    tree = document.tree
    assert tree is not None  # _document gives every document its tree
    if any(item.severity == "error" for item in tree.diagnostics):
        # A failed load holds only what was read before the failure: what a plan of it
        # would add (parameters "keeping torch's default", layers matching nothing) is
        # about values that were never read, so the load's problems are the whole plan.
        return InitPlan(
            steps=[], tensors={}, diagnostics=list(tree.diagnostics), reach=reach,
            config=tree.path,
        )
    source = ConfigSource(
        locate=tree.location,
        config=tree.path,
        constructed=built_from_config,
        parsed=document.parsed_init_cfgs,
    )
    # One walk of the model for the whole compile; the kinds let a repeated block be
    # planned once (initcfg.plan.repeats).
    index = ModuleIndex(model, init_cfg_key=frozen_key)
    problem = lazy_model_problem(tree, model, index=index)
    if problem is not None:
        return InitPlan(
            steps=[], tensors={}, diagnostics=[*tree.diagnostics, problem], reach=reach,
            config=tree.path,
        )
    modules = index.modules
    strays: list[tuple[str, KeyPath]] = []
    section = document.model_section
    if isinstance(section, Mapping):
        source.described.add("")
        _collect(section, ("model",), "", modules, source, strays)
    planner = Planner(
        model,
        source,
        reach=reach,
        read_checkpoints=read_checkpoints,
        download=download,
        index=index,
        trace_real=trace_real,
    )
    planner.diagnostics.extend(tree.diagnostics)
    for module_path, key in strays:
        parent, _, leaf = module_path.rpartition(".")
        owner = modules.get(parent)
        names = [n for n, _ in owner.named_children()] if owner is not None else []
        planner.report(
            "IC408",
            f"{format_path(key)} configures module {module_path!r}, which this model does "
            "not have; the init_cfg is never applied",
            Origin(module_path, format_path(key), "config"),
            did_you_mean(leaf, names),
            key,
        )
    if built_from_config:
        _constructor_differences(planner, modules)
    planner.init_weights()
    checkpoint = document.load_from if load_from else None
    if checkpoint is not None:
        where = tree.location(("load_from",))
        origin = Origin(
            "",
            "load_from",
            "load_from",
            where.file if where else None,
            where.line if where else None,
        )
        # Reported here as validate reports it: the plan would otherwise leave out a
        # load that makes MMEngine's runner fail.
        unloadable = load_from_problem(checkpoint)
        if unloadable is not None:
            planner.report("IC302", unloadable, origin)
        else:
            planner.load_step(Pretrained(checkpoint=checkpoint), model, "", origin)
    plan = InitPlan(
        steps=planner.steps,
        tensors=index.tensors,
        marked=planner.marked,
        unreached=planner.unreached,
        diagnostics=planner.diagnostics,
        reach=reach,
        config=tree.path,
    )
    plan._state_cache = planner.state_cache
    _provenance_diagnostics(plan, index.parameter_count)
    return plan


