"""Parsing the fine-tune settings of a loaded config: :func:`parse_finetune` and its parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, did_you_mean, format_path
from initcfg.schema.class_paths import (
    CONSTRUCTORS,
    HOOKS,
    LOOPS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    SCHEDULERS,
)
from initcfg.schema.finetune_settings import (
    AutoScaleLR,
    CheckpointHookCfg,
    FinetuneSettings,
    Randomness,
)
from initcfg.schema.layer_decay import optim_wrapper_layer_decay
from initcfg.schema.loops import (
    EpochBasedTrainLoop,
    IterBasedTrainLoop,
    TestLoop,
    ValLoop,
    normalize_train_loop,
)
from initcfg.schema.optim_wrapper import (
    ClipGrad,
    OptimizerCfg,
    OptimWrapperCfg,
    ParamwiseCfg,
    loss_scale_problems,
)
from initcfg.schema.optimizer_types import optimizer_type_problem
from initcfg.schema.optimizer_types import registered as _registered
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS
from initcfg.schema.pydantic_errors import (
    BOUND_TYPES,
    FieldError,
    data_location,
    field_errors,
    union_member_wants,
)
from initcfg.schema.schedulers import _SCHEDULERS, MOMENTUM_SCHEDULERS

# -------------------------------------------------------------------------- parsing


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_from_problem(value: Any) -> str | None:
    """Why MMEngine's runner cannot load ``load_from = value`` (None: it can try).

    The runner loads every ``load_from`` that is not None, so a value that is no path
    (``False`` included) or the empty string fails there, after the whole build.
    """
    if value is None or (isinstance(value, str) and value):
        return None
    if value == "":
        return ("load_from is an empty string, which MMEngine's runner reads as a local "
                "path and fails on (None loads nothing)")
    return f"load_from must be a path, a URL or None (got {_show(value)})"


SCOPE_KEY = "_scope_"


def registry_arguments(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a dict that MMEngine builds through a registry, as its constructor
    sees them: ``build_from_cfg`` pops ``_scope_`` (it only picks the registry to look
    ``type`` up in; ``pkg::`` bases add it to every inherited dict with a ``type``).

    Dicts the Runner builds by calling a class itself (the ``by_epoch`` shorthand of
    ``train_cfg``, a ``val_cfg`` without ``type``) keep it, and there a ``_scope_`` is
    the ``TypeError`` MMEngine raises.
    """
    return {key: value for key, value in cfg.items() if key != SCOPE_KEY}


class _Parser:
    def __init__(
        self,
        tree: ConfigTree,
        extra_optimizers: frozenset[str] = frozenset(),
        extra_schedulers: frozenset[str] = frozenset(),
    ) -> None:
        self.tree = tree
        self.diagnostics: list[Diagnostic] = []
        self.extra_optimizers = extra_optimizers
        self.extra_schedulers = extra_schedulers

    def report(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        found = diagnostic(code, message, format_path(path), hint)
        self.diagnostics.append(found.at(self.tree.location(path), self.tree.path))

    def validation_errors(
        self,
        error: ValidationError,
        model: type[BaseModel],
        path: KeyPath,
        what: str,
        value: Mapping[str, Any],
    ) -> None:
        union: dict[KeyPath, list[FieldError]] = {}
        for item in field_errors(error):
            loc, variant = data_location(value, item)
            if variant:  # one member of a union field: told once per field, below
                union.setdefault(loc, []).append(item._replace(loc=loc))
                continue
            self.field_error(item, model, path, what)
        for loc, items in union.items():
            if any(other[: len(loc)] == loc and other != loc for other in union):
                continue  # a member that took the value's shape failed deeper: told there
            if len(items) == 1:  # a tagged union tries one member: its own message
                self.field_error(items[0], model, path, what)
                continue
            wanted = " or ".join(dict.fromkeys(union_member_wants(item) for item in items))
            field = str(loc[-1]) if loc else what
            self.report("IC302", f"{field!r} must be {wanted} (got {_show(items[0].got)})",
                        path + loc)

    def field_error(
        self, item: FieldError, model: type[BaseModel], path: KeyPath, what: str
    ) -> None:
        where = path + item.loc
        field = str(item.loc[-1]) if item.loc else what
        kind = item.type
        got = item.got
        if kind == "extra_forbidden":
            fields = sorted(set(model.model_fields) - {"type"})
            self.report(
                "IC301",
                f"{what} takes no argument {field!r}",
                where,
                did_you_mean(field, fields) or f"accepted: {', '.join(fields)}",
            )
        elif kind == "missing":
            self.report("IC303", f"{what} needs {field!r}", where)
        elif kind == "value_error":
            self.report(item.code or "IC302", f"{what}: {item.reason}", where)
        elif kind == "literal_error":
            self.report(
                "IC302",
                f"{field!r} must be {item.expected} (got {_show(got)})",
                where,
                item.literal_hint(),
            )
        elif kind in BOUND_TYPES:
            bounds = " and ".join(item.bounds)
            self.report("IC302", f"{field!r} must be {bounds} (got {_show(got)})", where)
        else:
            message = item.msg
            message = message[0].lower() + message[1:] if message else message
            owner = str(item.loc[-2]) if len(item.loc) > 1 else what
            named = f"key {_show(got)} of {owner}" if item.on_key else repr(field)
            self.report("IC302", f"{named}: {message} (got {_show(got)})", where)

    def build(
        self, model: type[BaseModel], value: Mapping[str, Any], path: KeyPath, what: str
    ) -> Any:
        try:
            return model.model_validate(dict(value))
        except ValidationError as error:
            self.validation_errors(error, model, path, what, value)
            return None

    def mapping(self, value: Any, path: KeyPath, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
            return value
        if isinstance(value, Mapping):
            # It is a dict: saying it must be one hides the key that is wrong.
            for key in value:
                if not isinstance(key, str):
                    self.report(
                        "IC302",
                        f"key {_show(key)} of {what} is not a string: its keys are "
                        "the names of settings (MMEngine passes most as keyword arguments)",
                        (*path, key),
                    )
            return None
        self.report("IC302", f"{what} must be a dict (got {_show(value)})", path)
        return None

    # -- sections --------------------------------------------------------------

    def train_cfg(self, value: Any) -> EpochBasedTrainLoop | IterBasedTrainLoop | None:
        path: KeyPath = ("train_cfg",)
        cfg = self.mapping(value, path, "train_cfg")
        if cfg is None:
            return None
        if "type" in cfg and "by_epoch" in cfg:
            shorthand = self.tree.location((*path, "by_epoch"))
            inherited = shorthand is not None and shorthand.file != self.tree.path
            self.report(
                "IC302",
                "train_cfg gives both 'type' and 'by_epoch'; MMEngine raises "
                "'Only one of `type` or `by_epoch` can exist'",
                (*path, "by_epoch"),
                # A base's by_epoch cannot be removed from the child: only replaced whole.
                "replace the base's train_cfg whole: train_cfg = dict(_delete_=True, type=...)"
                if inherited else "remove 'by_epoch'",
            )
            return None
        if "type" not in cfg and "by_epoch" not in cfg:
            self.report(
                "IC303",
                "train_cfg needs 'type' (or the 'by_epoch' shorthand); MMEngine raises KeyError",
                path,
                "add type='EpochBasedTrainLoop'",
            )
            return None
        normal = normalize_train_loop(registry_arguments(cfg) if "type" in cfg else cfg)
        if "by_epoch" in cfg and "type" not in normal:
            self.report(
                "IC302", f"'by_epoch' must be a bool (got {_show(cfg['by_epoch'])})",
                (*path, "by_epoch"),
            )
            return None
        loops: dict[str, type[BaseModel]] = {
            "EpochBasedTrainLoop": EpochBasedTrainLoop,
            "IterBasedTrainLoop": IterBasedTrainLoop,
        }
        name = normal["type"]
        loop = LOOPS.name(name) if isinstance(name, str) else None
        model = loops.get(loop) if loop is not None else None
        if model is None:
            return None  # a project's own loop: nothing the schema can check
        built = self.build(model, {**normal, "type": loop}, path, model.__name__)
        return built if isinstance(built, EpochBasedTrainLoop | IterBasedTrainLoop) else None

    def simple_loop(self, key: str, model: type[ValLoop] | type[TestLoop]) -> Any:
        value = self.tree.data.get(key)
        if value is None:
            return None
        path: KeyPath = (key,)
        cfg = self.mapping(value, path, key)
        if cfg is None:
            return None
        loop = model.model_fields["type"].default
        name = cfg.get("type", loop)
        if not isinstance(name, str) or LOOPS.name(name) != loop:
            return None
        if "type" in cfg:  # built by LOOPS.build; without a type the Runner calls the class
            cfg = registry_arguments(cfg)
        return self.build(model, {**cfg, "type": loop}, path, model.__name__)

    def optimizer(self, value: Any, path: KeyPath) -> OptimizerCfg | None:
        cfg = self.mapping(value, path, "optimizer")
        if cfg is None:
            return None
        cfg = registry_arguments(cfg)  # OPTIMIZERS.build
        written = cfg.get("type")
        if not isinstance(written, str):
            self.report("IC303", "optimizer needs 'type' naming a torch.optim class", path)
            return None
        # `type=AdamW` imported from torch.optim is the dotted path of the class, which
        # MMEngine calls as it would the class `'AdamW'` names: checked the same.
        read = OPTIMIZERS.read(written)
        name = read.name
        accepted = OPTIMIZER_ARGS.get(name)
        problem = optimizer_type_problem(written, read, self.extra_optimizers)
        if problem is not None:
            self.report("IC304", problem[0], (*path, "type"), problem[1])
        clean = {**cfg, "type": name}
        ok = True
        if accepted is not None:
            for key in cfg:
                if key != "type" and key not in accepted:
                    self.stray_argument(name, key, accepted, path)
                    del clean[key]
                    ok = False
            if "lr" not in clean:
                clean["lr"] = accepted.get("lr")
        elif "lr" not in clean:
            return None  # a project's optimizer may default its lr; nothing to type here
        built = self.build(OptimizerCfg, clean, path, name)
        return built if ok and isinstance(built, OptimizerCfg) else None

    def stray_argument(
        self, name: str, key: str, accepted: Mapping[str, Any], path: KeyPath
    ) -> None:
        where = (*path, key)
        location = self.tree.location(where)
        base = self.tree.base
        base_type = base.get((*path, "type")) if base is not None else None
        from_base = (
            base is not None
            and base.get(where) is not None
            and location is not None
            and location.file != self.tree.path
            and isinstance(base_type, str)
            and OPTIMIZERS.name(base_type) != name
        )
        if from_base and location is not None:
            self.report(
                "IC316",
                f"{key!r} comes from the base optimizer {base_type!r} "
                f"({location.file}:{location.line}); {name} takes no argument {key!r} and "
                "torch raises TypeError (unexpected keyword argument)",
                where,
                "add `_delete_=True` to this config's optimizer dict to drop the base's keys",
            )
            return
        self.report(
            "IC301",
            f"{name} takes no argument {key!r}; torch raises TypeError "
            "(unexpected keyword argument)",
            where,
            did_you_mean(key, accepted) or f"{name} takes: {', '.join(accepted)}",
        )

    def paramwise_cfg(self, value: Any, path: KeyPath, default: bool) -> ParamwiseCfg | None:
        cfg = self.mapping(value, path, "paramwise_cfg")
        if cfg is None:
            return None
        if default:
            known = sorted(ParamwiseCfg.model_fields)
            for key in cfg:
                if key not in ParamwiseCfg.model_fields:
                    self.report(
                        "IC305",
                        f"paramwise_cfg key {key!r} is not read by MMEngine's default "
                        "constructor and does nothing",
                        (*path, key),
                        did_you_mean(key, known),
                    )
        keys = cfg.get("custom_keys")
        if keys is not None and not isinstance(keys, Mapping):
            self.report(
                "IC302", f"custom_keys must be a dict (got {_show(keys)})", (*path, "custom_keys")
            )
            return None
        built = self.build(ParamwiseCfg, cfg, path, "paramwise_cfg")
        return built if isinstance(built, ParamwiseCfg) else None

    def optim_wrapper(self, value: Any) -> OptimWrapperCfg | None:
        path: KeyPath = ("optim_wrapper",)
        cfg = self.mapping(value, path, "optim_wrapper")
        if cfg is None:
            return None
        constructor = cfg.get("constructor", "DefaultOptimWrapperConstructor")
        default = (
            isinstance(constructor, str)
            and CONSTRUCTORS.name(constructor) == "DefaultOptimWrapperConstructor"
        )
        wrapper = cfg.get("type", "OptimWrapper")
        wrapper = OPTIM_WRAPPERS.name(wrapper) if isinstance(wrapper, str) else wrapper
        if "optimizer" not in cfg:
            if default:
                self.report(
                    "IC303",
                    "optim_wrapper needs 'optimizer'; MMEngine's default constructor raises",
                    path,
                )
            return None
        optimizer = self.optimizer(cfg["optimizer"], (*path, "optimizer"))
        paramwise = None
        if cfg.get("paramwise_cfg") is not None:
            paramwise = self.paramwise_cfg(cfg["paramwise_cfg"], (*path, "paramwise_cfg"), default)
        model = lambda: self.tree.get(("model",))  # noqa: E731
        for code, message, where, hint in optim_wrapper_layer_decay(cfg, model, path):
            self.report(code, message, where, hint)
        clip = None
        if cfg.get("clip_grad") is not None:
            clip_cfg = self.mapping(cfg["clip_grad"], (*path, "clip_grad"), "clip_grad")
            if clip_cfg is not None:
                clip = self.build(ClipGrad, clip_cfg, (*path, "clip_grad"), "clip_grad")
        if wrapper not in ("OptimWrapper", "AmpOptimWrapper"):
            return None  # a project's own wrapper: its arguments are unknown here
        scale = [*loss_scale_problems(cfg["loss_scale"], cfg.get("use_fsdp"))] if (
            wrapper == "AmpOptimWrapper" and "loss_scale" in cfg) else []
        for code, message, where, hint in scale:
            self.report(code, message, (*path, "loss_scale", *where), hint)
        if optimizer is None or scale:
            return None
        rest = {  # OPTIM_WRAPPERS.build pops _scope_
            key: item
            for key, item in registry_arguments(cfg).items()
            if key not in ("optimizer", "paramwise_cfg", "clip_grad")
        }
        rest["type"] = wrapper
        if default and "constructor" in rest:
            rest["constructor"] = "DefaultOptimWrapperConstructor"
        whole = {**rest, "optimizer": optimizer, "paramwise_cfg": paramwise, "clip_grad": clip}
        try:
            built = OptimWrapperCfg.model_validate(whole)
        except ValidationError as error:
            self.validation_errors(error, OptimWrapperCfg, path, str(wrapper), whole)
            return None
        if cfg.get("paramwise_cfg") is not None and paramwise is None:
            return None
        if cfg.get("clip_grad") is not None and clip is None:
            return None
        return built

    def schedulers(self, value: Any) -> tuple[list[Any], list[KeyPath]]:
        root: KeyPath = ("param_scheduler",)
        items: list[tuple[KeyPath, Any]]
        if isinstance(value, Mapping):
            if "type" not in value:
                return [], []  # one scheduler list per optimizer (multi-optimizer runs)
            items = [(root, value)]
        elif isinstance(value, list | tuple):
            items = [((*root, index), item) for index, item in enumerate(value)]
        else:
            self.report(
                "IC302",
                f"param_scheduler must be a dict or a list of dicts (got {_show(value)})",
                root,
            )
            return [], []
        built: list[Any] = []
        paths: list[KeyPath] = []
        for path, item in items:
            cfg = self.mapping(item, path, "a param_scheduler entry")
            if cfg is None:
                continue
            written = cfg.get("type")
            if not isinstance(written, str):
                self.report("IC303", "a param_scheduler entry needs 'type'", path)
                continue
            read = SCHEDULERS.read(written)  # an imported MMEngine class reads as its name
            misplaced = SCHEDULERS.misplaced(written)
            if misplaced is not None:
                self.report(
                    "IC304",
                    f"scheduler type {written!r}: {read.module} has no lr scheduler "
                    f"{read.name!r}",
                    (*path, "type"),
                    f"did you mean {misplaced!r}?",
                )
                continue
            name = read.name
            model = _SCHEDULERS.get(name)
            if model is None and (read.elsewhere or _registered(written, self.extra_schedulers)):
                continue  # the project's own scheduler: its arguments are unknown here
            without = _momentum_problem(name, self.tree.data.get("optim_wrapper"))
            if model is None and without is not None:
                self.report(
                    "IC302",
                    f"{name} schedules the momentum, but {without} has neither `momentum` "
                    "nor `betas` (MMEngine raises 'optimizer must support momentum when "
                    "using momentum scheduler')",
                    (*path, "type"),
                    "use an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW), "
                    "or remove the scheduler",
                )
                continue
            if model is None:
                # Momentum schedulers and projects' own schedulers are not modelled; a
                # near-miss of an lr scheduler name is most likely a typo.
                known = [*_SCHEDULERS, *sorted(self.extra_schedulers)]
                hint = did_you_mean(name, known, cutoff=0.85)
                if hint is not None and not name.endswith("Momentum"):
                    if read.module:
                        detail = f": {read.module} has no lr scheduler {name!r}"
                    elif self.extra_schedulers:
                        detail = " is not an MMEngine lr scheduler nor a registered one"
                    else:
                        detail = " is not an MMEngine lr scheduler"
                    self.report(
                        "IC304",
                        f"scheduler type {written!r}{detail}",
                        (*path, "type"),
                        hint,
                    )
                continue
            scheduler = self.build(
                model, {**registry_arguments(cfg), "type": name}, path, name
            )
            if scheduler is not None:
                built.append(scheduler)
                paths.append(path)
        return built, paths

    def settings(self) -> FinetuneSettings:
        data = self.tree.data
        fields: dict[str, Any] = {}
        if data.get("train_cfg") is not None:
            fields["train_cfg"] = self.train_cfg(data["train_cfg"])
        fields["val_cfg"] = self.simple_loop("val_cfg", ValLoop)
        fields["test_cfg"] = self.simple_loop("test_cfg", TestLoop)
        if data.get("optim_wrapper") is not None:
            fields["optim_wrapper"] = self.optim_wrapper(data["optim_wrapper"])
        if data.get("param_scheduler") is not None:
            schedulers, paths = self.schedulers(data["param_scheduler"])
            fields["param_scheduler"] = schedulers
            fields["scheduler_paths"] = paths
        load_from = data.get("load_from")
        unloadable = load_from_problem(load_from)
        if unloadable is not None:
            self.report("IC302", unloadable, ("load_from",))
        elif load_from is not None:
            fields["load_from"] = load_from
        resume = data.get("resume", False)
        if isinstance(resume, bool):
            fields["resume"] = resume
        elif resume is not None:
            self.report("IC302", f"resume must be a bool (got {_show(resume)})", ("resume",))
        for key, model in (("auto_scale_lr", AutoScaleLR), ("randomness", Randomness)):
            if data.get(key) is not None:
                cfg = self.mapping(data[key], (key,), key)
                if cfg is not None:
                    fields[key] = self.build(model, cfg, (key,), key)
                for extra, why in AutoScaleLR.ignored(cfg or {}) if model is AutoScaleLR else ():
                    hint = did_you_mean(extra, ["enable", "base_batch_size"])
                    self.report("IC337", why, (key, extra), hint)
        hooks = data.get("default_hooks")
        if isinstance(hooks, Mapping) and hooks.get("checkpoint") is not None:
            path: KeyPath = ("default_hooks", "checkpoint")
            cfg = self.mapping(hooks["checkpoint"], path, "default_hooks.checkpoint")
            name = cfg.get("type", "CheckpointHook") if cfg is not None else None
            if cfg is not None and isinstance(name, str) and HOOKS.name(name) == "CheckpointHook":
                fields["checkpoint"] = self.build(  # HOOKS.build pops _scope_
                    CheckpointHookCfg,
                    {**registry_arguments(cfg), "type": "CheckpointHook"},
                    path,
                    "CheckpointHook",
                )
        # Each field was validated by its own model above: the whole needs no validator.
        # The list fields are given even when empty: model_construct would otherwise
        # call their default factories through pydantic, which inspects each factory's
        # signature every time (a tenth of a millisecond per config); the fields set
        # stay those the config gave.
        given = set(fields)
        fields.setdefault("param_scheduler", [])
        fields.setdefault("scheduler_paths", [])
        return FinetuneSettings.model_construct(given, **fields)


def _momentum_problem(scheduler: str, wrapper: Any) -> str | None:
    """The torch optimizer a momentum scheduler cannot drive, if it is one: MMEngine
    schedules ``momentum``, or Adam's first beta, and refuses an optimizer whose
    defaults hold neither."""
    if scheduler not in MOMENTUM_SCHEDULERS or not isinstance(wrapper, Mapping):
        return None
    optimizer = wrapper.get("optimizer")
    written = optimizer.get("type") if isinstance(optimizer, Mapping) else None
    if not isinstance(written, str):
        return None
    read = OPTIMIZERS.read(written)
    accepted = None if read.elsewhere else OPTIMIZER_ARGS.get(read.name)
    if accepted is None or "momentum" in accepted or "betas" in accepted:
        return None
    return repr(written)


def parse_finetune(
    tree: ConfigTree,
    *,
    extra_optimizers: frozenset[str] = frozenset(),
    extra_schedulers: frozenset[str] = frozenset(),
) -> tuple[FinetuneSettings | None, list[Diagnostic]]:
    """Parse the fine-tune settings of a loaded config.

    Args:
        tree: The loaded, merged config.
        extra_optimizers: Optimizer types the project (or a scope package) registers;
            they are not reported as unknown (IC304).
        extra_schedulers: Scheduler types registered the same way.

    Returns:
        The typed settings (None only when the config is not a mapping) and the
        diagnostics found, placed at their source locations. Never raises for bad input.
    """
    if not isinstance(tree.data, Mapping):
        return None, []
    parser = _Parser(tree, extra_optimizers, extra_schedulers)
    return parser.settings(), parser.diagnostics
