"""Walk a model the way MMEngine's ``init_weights`` does and record the steps, without
writing a tensor.

The walk works on the meta device: it needs shapes, never values. Each step lists the
tensors it writes in draw order, so executing the steps reproduces MMEngine's random
draws exactly. Problems MMEngine would raise on (or silently skip) become diagnostics.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from initcfg.diagnostics import Diagnostic, KeyPath, Location, diagnostic, did_you_mean, format_path
from initcfg.errors import CheckpointError
from initcfg.plan.checkpoint import (
    StateDict,
    checkpoint_available,
    compare,
    expected_state,
    read_checkpoint,
    select_keys,
)
from initcfg.plan.init_cfg_source import (
    ConfigSource,
    EntryForms,
    Locate,
    _deferred,
    _Entry,
    _is_typed,
    _parse_typed,
    _raw_at,
    frozen_key,
)
from initcfg.plan.init_describe import _first_misfits, _mm_container
from initcfg.plan.model_walk import (
    Reach,
    _class_location,
    children,
    gc_paused,
    has_own_init_weights,
    is_initialized,
    is_mmengine_init_weights,
    join,
    module_attr,
    module_has,
    module_has_either,
    named_tensors,
    postorder,
)
from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.ops import TensorOp, has_torch_op
from initcfg.plan.own_init_checks import check_own_checkpoints, check_stopped_call
from initcfg.plan.planner_writes import Stamps, init_step
from initcfg.plan.repeats import Repeats
from initcfg.plan.steps import LoadSpec, Origin, Source, Step, Unreached, make_origin
from initcfg.plan.trace import trace_init_weights, trace_real_copy
from initcfg.schema.initializers import BaseInit, Pretrained, WeightInit

__all__ = [
    "ConfigSource",
    "Locate",
    "Planner",
    "Reach",
    "checkpoint_available",
    "children",
    "gc_paused",
    "has_own_init_weights",
    "is_initialized",
    "is_mmengine_init_weights",
    "join",
    "named_tensors",
    "postorder",
]


class Planner:
    """Records the steps of ``init_weights``/``initialize`` for one root module.

    Args:
        root: The model (any device, meta included).
        source: The config's ``init_cfg`` values and described modules, if any.
        reach: ``mmengine`` descends only into modules that take part; ``all`` everywhere.
        read_checkpoints: Read Pretrained checkpoints while planning to map their keys.
        download: Let reading a checkpoint download it; False plans a remote checkpoint
            that is not in torch's hub cache as loaded but not inspected.
        trace: On a meta model, trace modules' own ``init_weights`` to learn what they
            write (:mod:`initcfg.plan.trace`).
        trace_real: On a model with real tensors, trace them on a deep copy.
        index: The model's index, if built already (with an ``init_cfg_key``, as the
            default's, a repeated block is planned once: :mod:`initcfg.plan.repeats`).
    """

    def __init__(
        self,
        root: nn.Module,
        source: ConfigSource | None = None,
        *,
        reach: Reach = "mmengine",
        read_checkpoints: bool = True,
        download: bool = True,
        trace: bool = True,
        index: ModuleIndex | None = None,
        trace_real: bool = False,
    ) -> None:
        self.root = root
        self.index = index if index is not None else ModuleIndex(root, init_cfg_key=frozen_key)
        self.source = source or ConfigSource()
        self.reach = reach
        self.read_checkpoints = read_checkpoints
        self.download = download
        self.steps: list[Step] = []
        self.diagnostics: list[Diagnostic] = []
        self.unreached: list[Unreached] = []
        self.marked: list[str] = []
        self.state_cache: dict[tuple[str, str | None], StateDict] = {}
        self.done: set[int] = set()  # modules whose init_weights the plan already ran
        self.ops: dict[tuple[int, str, tuple[int, ...]], TensorOp] = {}
        self.keep: list[BaseInit] = []
        self.known = self.index.known()
        self.trace = trace
        self.trace_real = trace_real
        tensors = self.index.tensor_list
        self.on_meta = bool(tensors) and all(t.is_meta for t in tensors)
        self.module_paths: dict[int, str] | None = None  # built on first need
        self.forms = EntryForms()
        # Each entry's layer set and the classes it matches (``keep`` holds the ids).
        self.layer_hits: dict[int, tuple[frozenset[str], dict[type, frozenset[str]]]] = {}
        self.write_stamps: Stamps = {}  # a repeated subtree's writes per initializer
        self.overrides = 0  # entries with overrides so far (a block with one is visited)
        said = [*self.source.init_cfgs, *self.source.described]  # blocks always visited
        self.repeats = Repeats(self.index, said) if self.index.kinds else None

    @property
    def names(self) -> dict[int, str]:
        """``id(tensor)`` → canonical name of every registered tensor."""
        return self.index.names()

    # -- reporting -----------------------------------------------------------------

    def report(
        self,
        code: str,
        message: str,
        origin: Origin | None = None,
        hint: str | None = None,
        key: KeyPath | None = None,
    ) -> None:
        path = format_path(key) if key is not None else (origin.key if origin else "")
        item = diagnostic(code, message, path, hint)
        where: Location | None = None
        if key is not None and self.source.locate is not None:
            where = self.source.locate(key)
        elif origin is not None and origin.file is not None:
            where = Location(origin.file, origin.line or 1, 1)
        if where is not None:
            # A module attribute lives in the model's code, not in any config.
            config = None if origin and origin.source == "attribute" else self.config_for(where)
            item = item.at(where, config)
        self.diagnostics.append(item)

    def config_for(self, where: Location | None) -> str | None:
        """The config file to name beside ``where``: the one being planned, its base
        files' values included (None without a location or a config file), as ``place``
        names it for every other command."""
        return self.source.config if where is not None else None

    # -- init_cfg lookup -----------------------------------------------------------

    def raw_init_cfg(self, module: nn.Module, path: str) -> tuple[Any, KeyPath | None]:
        configured = self.source.credited(module, path)
        if configured is not None:
            return configured[1], configured[0]
        return module_attr(module, "init_cfg", None), None

    def entries(self, module: nn.Module, path: str) -> list[_Entry]:
        value, key = self.raw_init_cfg(module, path)
        if not value:
            return []
        return self.parse(value, module, path, key, "config" if key is not None else "attribute")

    def parse(
        self, value: Any, module: nn.Module, path: str, key: KeyPath | None, source: Source
    ) -> list[_Entry]:
        # Already-typed models skip the grammar.
        parsed = _parse_typed(value) if _is_typed(value) else None
        if parsed is None:
            result = self.source.parse(value, key)
            if key is None and result.entries is not None and not result.diagnostics:
                return self.forms.entries(result, value, module, path, source)
            base_key: KeyPath = key if key is not None else (path or "<root>", "init_cfg")
            for item in result.diagnostics:
                placed = item.under(base_key)
                if key is not None and self.source.locate is not None:
                    where = self.source.locate(placed.key_path or key)
                    placed = placed.at(where, self.config_for(where))
                self.diagnostics.append(placed)
            if result.entries is None:
                return []
            tops = [p.path for p in result.located if p.override_of is None]
            parsed = list(zip(result.entries, tops, strict=True))
        if key is not None:
            prefix: KeyPath = key
        elif source == "argument":
            prefix = ("init_cfg",)
        else:
            prefix = (path or type(module).__name__, "init_cfg")
        file: str | None = None
        line: int | None = None
        if source == "attribute":
            file, line = _class_location(type(module))
        entries: list[_Entry] = []
        for initializer, rel in parsed:
            entry_key = prefix + rel
            if key is not None and self.source.locate is not None:
                found = self.source.locate(entry_key)
                file, line = (found.file, found.line) if found else (None, None)
            origin = make_origin(path, format_path(entry_key), source, file, line)
            raw = _raw_at(value, rel)
            overrides = raw.get("override") if isinstance(raw, Mapping) else None
            count = len(initializer.override or ())
            if isinstance(overrides, list):
                keys: list[KeyPath | None] = [(*entry_key, "override", i) for i in range(count)]
            elif overrides is not None:
                keys = [(*entry_key, "override")] * count
            else:
                keys = [None] * count
            entries.append(
                _Entry(initializer, origin, keys, entry_key if key is not None else None)
            )
        return entries

    # -- the walk ------------------------------------------------------------------

    def takes_part(self, module: nn.Module, path: str) -> bool:
        return module_has_either(module, "init_weights", "init_cfg") or (
            path in self.source.described
        )

    def init_weights(self, *, call_own: bool = True) -> None:
        """Plan ``init_weights()`` on the root (``call_own=False``: ignore the root's own
        ``init_weights``, for a root whose ``init_weights`` is what is running now)."""
        if is_initialized(self.root):
            return
        if call_own and has_own_init_weights(self.root):
            self.call_step(self.root, "")
            return
        self.visit(self.root, "")

    def call_step(self, module: nn.Module, path: str) -> None:
        origin = Origin(path, f"{type(module).__name__}.init_weights", "attribute")
        file, line = _class_location(type(module))
        origin = Origin(path, origin.key, "attribute", file, line)
        step = Step("call", path, True, None, origin, touches=self.tensors_under(module))
        configured = self.source.configured(module, path)
        if configured is not None:
            # MMEngine's registry would have built the module with this init_cfg; its own
            # init_weights decides what to do with it (super() applies it).
            step.sets_init_cfg, step.init_cfg = True, copy.deepcopy(configured[1])
        if self.trace and (self.on_meta or self.trace_real):
            trace = trace_init_weights if self.on_meta else trace_real_copy
            step.trace = trace(module, self.names, copy.deepcopy(step.init_cfg), step.sets_init_cfg)
        credited = self.source.credited(module, path)
        # The traced call stopped (MMEngine raised on it, or it loads a Pretrained): the
        # init_cfg super().init_weights() would apply has its errors reported here.
        check_stopped_call(self, step, module, path, credited)
        if path and step.trace is not None and step.trace.new_parameter is not None:
            self.report(
                "IC417",
                f"{path} ({type(module).__name__}).init_weights adds or replaces the "
                f"parameter {join(path, step.trace.new_parameter)!r}; MMEngine's "
                "init_weights raises AssertionError after the call ('Find a new "
                "Parameter')",
                origin,
                "create parameters in __init__ and write them in place "
                "(nn.init.*_, tensor.copy_) in init_weights",
            )
        self.steps.append(step)
        check_own_checkpoints(
            self, step.init_cfg if step.sets_init_cfg else getattr(module, "init_cfg", None),
            module, path, origin, None if credited is None else credited[0],
        )
        if step.traced:
            return
        where = "on meta" if self.on_meta else "on a real copy"
        self.report(
            "IC412",
            f"{path or 'the model'} ({type(module).__name__}) defines its own init_weights; "
            "it is called as MMEngine calls it, and the plan cannot see what it writes"
            + (f" (tracing it {where} stopped: it {step.trace.reason})" if step.trace else ""),
            origin,
        )

    def tensors_under(self, module: nn.Module) -> list[str]:
        """Canonical names of every parameter and buffer under ``module``."""
        return [
            self.names[id(t)]
            for t in (*module.parameters(), *module.buffers())
            if id(t) in self.names
        ]

    def visit(self, module: nn.Module, path: str) -> None:
        repeats = self.repeats
        kind = repeats.kind(module, path) if repeats is not None else None
        if repeats is None or kind is None:
            self.visit_module(module, path)
        elif not repeats.stamp(self, kind, path):
            mark = repeats.begin(self, kind, path)
            self.visit_module(module, path)
            if mark is not None:
                repeats.end(self, mark)

    def visit_module(self, module: nn.Module, path: str) -> None:
        entries = self.entries(module, path)
        if entries:
            self.run([e for e in entries if not _deferred(e.initializer)], module, path)
        prefix = f"{path}." if path else ""
        repeats = self.repeats
        for name, child in self.index.children(module):
            child_path = prefix + name
            if repeats is not None and repeats.stamp_child(self, child, child_path):
                continue
            if has_own_init_weights(child):
                if not is_initialized(child):
                    self.call_step(child, child_path)
            elif self.takes_part(child, child_path) or self.reach == "all":
                # A module shared under two parents runs once, as MMEngine's is_init does.
                if not is_initialized(child) and id(child) not in self.done:
                    self.visit(child, child_path)
            else:
                self.find_unreached(child, child_path)
        if entries:
            self.run([e for e in entries if _deferred(e.initializer)], module, path)
        self.marked.append(path)
        self.done.add(id(module))

    def find_unreached(self, blocker: nn.Module, blocker_path: str) -> None:
        if not blocker._modules:
            return  # a leaf: nothing under it can hold an init_cfg
        for rel, module in blocker.named_modules():
            if not rel:
                continue
            path = join(blocker_path, rel)
            value, key = self.raw_init_cfg(module, path)
            if not value:
                continue
            if key is not None:
                where = self.source.locate(key) if self.source.locate else None
                origin = Origin(
                    path,
                    format_path(key),
                    "config",
                    where.file if where else None,
                    where.line if where else None,
                )
            else:
                file, line = _class_location(type(module))
                origin = Origin(path, f"{path}.init_cfg", "attribute", file, line)
            kind = type(blocker).__name__
            self.unreached.append(Unreached(path, origin, blocker_path, kind))
            self.report(
                "IC403",
                f"the init_cfg of {path} ({type(module).__name__}) is never applied: "
                f"{blocker_path} is a plain {kind} without init_weights, so MMEngine does "
                "not descend into it",
                origin,
                f"make {blocker_path} an mmengine.model.{_mm_container(blocker)}, describe it "
                "in the config, or plan descending everywhere (`initcfg plan --reach all`, "
                "reach='all' in the library)",
                key,
            )

    def run(self, entries: Sequence[_Entry], module: nn.Module, path: str) -> None:
        for entry in entries:
            self.run_entry(entry, module, path)

    def run_entry(self, entry: _Entry, module: nn.Module, path: str) -> None:
        init = entry.initializer
        if not self.runs_in_torch(init, entry.origin, entry.key):
            return  # nothing of the entry is planned, its overrides included
        if isinstance(init, Pretrained):
            self.load_step(init, module, path, entry.origin)
        elif isinstance(init, WeightInit) and init.layers:
            # Without a layer MMEngine walks the module, matches nothing, writes nothing.
            layer_key = (*entry.key, "layer") if entry.key is not None else None
            self.init_step(init, module, path, entry.origin, whole=False, key=layer_key)
        if init.override:
            self.overrides += 1
        for (name, item), key in zip(init.resolved_overrides(), entry.override_keys, strict=True):
            origin = Origin(
                path,
                format_path(key) if key is not None else entry.origin.key,
                entry.origin.source,
                entry.origin.file,
                entry.origin.line,
            )
            if key is not None and self.source.locate is not None:
                found = self.source.locate(key)
                if found is not None:
                    origin = Origin(path, origin.key, origin.source, found.file, found.line)
            if not self.runs_in_torch(item, origin, key):
                continue
            reached = self.override_target(module, path, name, origin, key)
            if reached is None:
                continue
            target, sub_path = reached
            if isinstance(item, Pretrained):
                self.load_step(item, target, sub_path, origin)
            elif isinstance(item, WeightInit):
                self.init_step(item, target, sub_path, origin, whole=True)

    def runs_in_torch(self, init: BaseInit, origin: Origin, key: KeyPath | None) -> bool:
        """Whether the backend can run ``init``; if not, IC413 at the entry's ``type``.

        Checked before any tensor is met, so a type registered for validation alone is one
        diagnostic per entry, not one per weight it would have reached.
        """
        if isinstance(init, Pretrained) or has_torch_op(init):
            return True
        locate = self.source.locate
        type_key = (*key, "type") if key is not None else None
        if type_key is not None and (locate is None or locate(type_key) is None):
            type_key = None  # an override that inherits its type: the override's place
        self.report(
            "IC413",
            f"initializer type {init.type!r} has no torch implementation (it is registered "
            "for validation only), so the plan cannot run it",
            origin,
            "use a built-in initializer, or write those tensors in the module's own "
            "init_weights",
            type_key,
        )
        return False

    def override_target(
        self, module: nn.Module, path: str, name: str, origin: Origin, key: KeyPath | None
    ) -> tuple[nn.Module, str] | None:
        """The module an override ``name`` reaches and its registered path.

        MMEngine resolves the name with ``getattr``, so a property counts (mmdet's ResNet
        blocks expose ``norm3`` returning the registered ``bn3``); the plan records the
        path the module is registered under, which is what ``apply`` can address.
        """
        if not module_has(module, name):
            children = [n for n, _ in module.named_children()]
            self.report(
                "IC401",
                f"override name {name!r} is not an attribute of {path or 'the model'} "
                f"({type(module).__name__}); MMEngine raises RuntimeError",
                origin,
                did_you_mean(name, children)
                or (f"its children are: {', '.join(children)}" if children else None),
                (*key, "name") if key is not None else None,
            )
            return None
        target = module_attr(module, name)
        if not isinstance(target, nn.Module):
            self.report(
                "IC411",
                f"override name {name!r} of {path or 'the model'} is a "
                f"{type(target).__name__}, not a submodule; MMEngine raises AttributeError",
                origin,
                key=(*key, "name") if key is not None else None,
            )
            return None
        registered = self.registered_path(module, path, name, target)
        if registered is None:
            self.report(
                "IC414",
                f"override name {name!r} of {path or 'the model'} reaches a "
                f"{type(target).__name__} that is not registered in the model; MMEngine "
                "initializes it, but no plan can address it",
                origin,
                "register the module as a submodule, or name the registered attribute",
                (*key, "name") if key is not None else None,
            )
            return None
        return target, registered

    def registered_path(
        self, module: nn.Module, path: str, name: str, target: nn.Module
    ) -> str | None:
        """Where ``target`` (reached as ``module.name``) is registered: the child itself
        when ``name`` is one, else the first registration under ``module``, else
        anywhere in the model."""
        if module._modules.get(name) is target:
            return join(path, name)
        for rel, sub in module.named_modules(remove_duplicate=False):
            if sub is target and rel:
                return join(path, rel)
        if self.module_paths is None:
            self.module_paths = {}
            for rel, sub in self.index.modules.items():
                self.module_paths.setdefault(id(sub), rel)
        return self.module_paths.get(id(target))

    def init_step(
        self,
        init: WeightInit,
        module: nn.Module,
        path: str,
        origin: Origin,
        *,
        whole: bool,
        key: KeyPath | None = None,
    ) -> None:
        """:func:`initcfg.plan.planner_writes.init_step`."""
        init_step(self, init, module, path, origin, whole=whole, key=key)

    def load_step(self, init: Pretrained, module: nn.Module, path: str, origin: Origin) -> None:
        spec = LoadSpec(init.checkpoint, init.prefix, init.map_location)
        remote = not self.download and not checkpoint_available(init.checkpoint)
        if self.read_checkpoints and remote:
            spec.uninspected = True
        elif self.read_checkpoints:
            try:
                state = self.checkpoint(init.checkpoint, init.map_location)
                selected = select_keys(
                    state, init.prefix, init.checkpoint, into=module,
                    runner=origin.source == "load_from",
                )
            except CheckpointError as error:
                spec.error = str(error)
                self.report("IC409", str(error), origin)
            else:
                expected = expected_state(module)
                result = compare(expected, selected)
                spec.result = result
                owned = module.state_dict(keep_vars=True)
                for key in result.loaded:
                    name = self.names.get(id(owned[key]))
                    if name is not None:
                        spec.tensors[key] = name
                if result.missing or result.unexpected or result.mismatched:
                    self.report(
                        "IC410",
                        f"{init.checkpoint} into {path or 'the model'}: {len(result.loaded)} "
                        f"loaded, {len(result.missing)} missing, {len(result.unexpected)} "
                        f"unexpected, {len(result.mismatched)} skipped for shape"
                        + _first_misfits(result.missing, result.unexpected, result.mismatched),
                        origin,
                    )
        step = Step("load", path, False, init, origin, load=spec)
        if spec.uninspected:
            step.touches = self.tensors_under(module)
        self.steps.append(step)

    def checkpoint(self, checkpoint: str, map_location: str | None) -> StateDict:
        cache_key = (checkpoint, map_location)
        cached = self.state_cache.get(cache_key)
        if cached is None:
            meta = any(p.is_meta for p in self.root.parameters())
            cached = read_checkpoint(checkpoint, map_location, mmap=meta)
            self.state_cache[cache_key] = cached
        return cached

