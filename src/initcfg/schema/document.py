"""The typed view of a whole config, built once per command: every init_cfg, the
fine-tune settings and the runtime settings, each with its key path.

:func:`parse_document` is the one entry point past the loader: ``check``, ``plan`` and
``backend`` take the :class:`Document` (or its parts) and never read the raw values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import BeforeValidator

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, place
from initcfg.schema import init_cfg, runtime
from initcfg.schema.config_facts import ConfigFacts, base_facts, config_facts
from initcfg.schema.init_cfg import InitCfgParse, ParsedEntry
from initcfg.schema.initializers import BaseInit
from initcfg.schema.runtime import RuntimeSettings

if TYPE_CHECKING:
    from initcfg.schema.finetune_settings import FinetuneSettings

# The top-level keys the fine-tune parser reads (finetune_parser._Parser.settings). A
# config that writes none of them parses to the empty settings without a finding, so
# its Document types them only when they are first read: the fine-tune models (about
# a tenth of validating a small config, most of it defining the Pydantic classes) are
# then never imported by `initcfg validate`.
FINETUNE_KEYS = frozenset({
    "train_cfg", "val_cfg", "test_cfg", "optim_wrapper", "param_scheduler", "load_from",
    "resume", "auto_scale_lr", "randomness", "default_hooks",
})

# What Document.finetune's slot holds before the empty settings of a config without
# fine-tune keys are first read.
_NOT_YET_TYPED: Any = object()

def _typed_entry(value: Any) -> Any:
    """One entry of an ``init_cfg`` as the model its ``type`` names (an instance passes)."""
    if not isinstance(value, Mapping):
        return value  # a model instance, or a value the list's item type refuses
    from pydantic import ValidationError

    from initcfg.schema.init_cfg import resolve_type_name
    from initcfg.schema.registry import initializer_types, parse_initializer

    kind = value.get("type")
    if not isinstance(kind, str) or resolve_type_name(kind) not in initializer_types():
        raise ValueError(f"unknown initializer type {kind!r}")
    try:
        return parse_initializer(value)
    except ValidationError as error:
        raise ValueError(str(error)) from None


def _entries(value: Any) -> Any:
    return [value] if isinstance(value, Mapping | BaseInit) else value


InitCfg = Annotated[
    list[Annotated[BaseInit, BeforeValidator(_typed_entry)]], BeforeValidator(_entries)
]
"""An ``init_cfg`` value as a type: its entries, each a typed initializer (a dict
value is a list of one). ``pydantic.TypeAdapter(InitCfg).validate_python(value)``
types a value, each entry as the initializer its ``type`` names; ``validate_init_cfg``
reports every problem of one instead, with its path."""


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class LocatedInitCfg(NamedTuple):
    """One ``init_cfg`` value of a config: its key path and its typed entries."""

    path: KeyPath
    entries: list[BaseInit]
    located: list[ParsedEntry]


class ParsedInitCfg(NamedTuple):
    """One ``init_cfg`` value of a config as the grammar parsed it, errors and warnings
    included: its key path, the value as written and the parse (diagnostics relative
    to the value, not yet placed)."""

    path: KeyPath
    value: Any
    parse: InitCfgParse


class FinetuneWritten(NamedTuple):
    """What the config writes where the typed settings fill in defaults, for the train
    planner, which follows MMEngine on whether a value was given at all.

    Attributes:
        optim_wrapper: ``optim_wrapper`` is written (not None), valid or not.
        optimizer_lr: ``optim_wrapper.optimizer.lr`` is written (not None).
        paramwise_cfg: ``optim_wrapper.paramwise_cfg`` is a non-empty value.
        per_optimizer_schedulers: ``param_scheduler`` is a dict of scheduler lists,
            one per optimizer (no ``type``).
        unmodelled_schedulers: Entries of ``param_scheduler`` whose type the schema does
            not model (momentum schedulers, projects' own): key path and type.
        unmodelled_bounds: Of those written as a mapping, the ``begin``, ``end``,
            ``by_epoch`` and ``convert_to_iter_based`` they write, by key path (MMEngine
            checks a momentum scheduler's bounds as an lr scheduler's).
    """

    optim_wrapper: bool = False
    optimizer_lr: bool = False
    paramwise_cfg: bool = False
    per_optimizer_schedulers: bool = False
    unmodelled_schedulers: tuple[tuple[KeyPath, str], ...] = ()
    unmodelled_bounds: tuple[tuple[KeyPath, dict[str, Any]], ...] = ()


# The keys of a scheduler entry that say when it acts.
_BOUNDS = ("begin", "end", "by_epoch", "convert_to_iter_based")


def _written(tree: ConfigTree) -> FinetuneWritten:
    raw = tree.get(("param_scheduler",))
    items: list[tuple[KeyPath, Any]] = []
    if isinstance(raw, Mapping) and "type" in raw:
        items = [(("param_scheduler",), raw)]
    elif isinstance(raw, list | tuple):
        items = [(("param_scheduler", index), item) for index, item in enumerate(raw)]
    unmodelled = []
    bounds: list[tuple[KeyPath, dict[str, Any]]] = []
    if items:  # the scheduler models are imported only for a config that has some
        from initcfg.schema.class_paths import SCHEDULERS
        from initcfg.schema.schedulers import scheduler_types

        modelled = set(scheduler_types())
        for path, item in items:
            name = item.get("type") if isinstance(item, Mapping) else None
            if isinstance(name, str) and (
                # A path into an MMEngine module that lacks the class fails to import
                # there, whatever class of that name MMEngine has elsewhere.
                SCHEDULERS.misplaced(name) is not None
                or SCHEDULERS.name(name) not in modelled
            ):
                unmodelled.append((path, name))
                bounds.append((path, {key: item[key] for key in _BOUNDS if key in item}))
    return FinetuneWritten(
        optim_wrapper=tree.get(("optim_wrapper",)) is not None,
        optimizer_lr=tree.get(("optim_wrapper", "optimizer", "lr")) is not None,
        paramwise_cfg=bool(tree.get(("optim_wrapper", "paramwise_cfg"))),
        per_optimizer_schedulers=isinstance(raw, Mapping) and "type" not in raw,
        unmodelled_schedulers=tuple(unmodelled),
        unmodelled_bounds=tuple(bounds),
    )


@dataclass(slots=True)
class Document:
    """A validated config, typed.

    Attributes:
        init_cfgs: The ``init_cfg`` values free of grammar errors, depth first.
        located: Every parsed init_cfg entry with its absolute key path (entries of
            values with errors included), for the rules that look at layer names.
        finetune: The fine-tune settings (None when the config is not a mapping); a
            config that writes none of :data:`FINETUNE_KEYS` gets its empty settings
            when they are first read.
        finetune_keys: The :data:`FINETUNE_KEYS` the config writes; None when its
            fine-tune settings were not parsed (not a mapping, a model-only document).
            When it writes none, its settings are the empty ones and the fine-tune
            rules over them find nothing.
        finetune_written: What the config writes where ``finetune`` has defaults.
        runtime: The runtime settings (dataloaders, evaluator, logger, work_dir...).
        tree: The loaded config the document was built from (locations, bases,
            suppressions); its values are not read past the schema.
        init_diagnostics: The init_cfg grammar's findings, key paths absolute and not
            yet placed at source locations.
        finetune_diagnostics: The fine-tune schema's findings, placed.
        runtime_diagnostics: The runtime schema's findings, placed (factory problems
            are in ``runtime.factory_diagnostics``).
        facts: What the config writes beyond the typed settings (top-level keys, the
            heads' num_classes, the datasets' classes...), for the fine-tune rules.
        base_facts: The same of the merged bases (``tree.base``); None without a base.
        parsed_init_cfgs: Every ``init_cfg`` value (not None) by key path, with its own
            parse, those with errors included (the init planner reports their findings).
        model_section: The ``model`` section as written (None when absent or not a dict),
            for the init planner (which module each dict describes) and model builders.
        model_written: ``model`` as written, whatever it is (None when absent), for the
            message about one that is no dict.
        load_from: The top-level ``load_from`` as written (the init plan's last step).
    """

    init_cfgs: list[LocatedInitCfg] = field(default_factory=list)
    located: list[ParsedEntry] = field(default_factory=list)
    finetune: FinetuneSettings | None = None  # typed on first read: see _read_finetune
    finetune_keys: frozenset[str] | None = None
    finetune_written: FinetuneWritten = field(default_factory=FinetuneWritten)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    tree: ConfigTree | None = None
    init_diagnostics: list[Diagnostic] = field(default_factory=list)
    finetune_diagnostics: list[Diagnostic] = field(default_factory=list)
    runtime_diagnostics: list[Diagnostic] = field(default_factory=list)
    facts: ConfigFacts = field(default_factory=ConfigFacts)
    base_facts: ConfigFacts | None = None
    parsed_init_cfgs: dict[KeyPath, ParsedInitCfg] = field(default_factory=dict)
    model_section: Mapping[str, Any] | None = None
    model_written: Any = None
    load_from: Any = None

    def written_strings(self) -> Iterator[str]:
        """Every string value the config writes (at any depth, shorter than 4,096
        characters: paths, not texts), for the commands that must not overwrite a file
        the config names."""
        return strings_in(self.tree.data if self.tree is not None else None)

    def init_cfg_at(self, path: KeyPath) -> LocatedInitCfg | None:
        """The parsed ``init_cfg`` at ``path`` (``("model", "backbone", "init_cfg")``),
        or None when there is none free of errors there."""
        return next((item for item in self.init_cfgs if item.path == path), None)

    def init_cfg_paths(self) -> list[KeyPath]:
        """The key paths of the parsed ``init_cfg`` values, depth first."""
        return [item.path for item in self.init_cfgs]

    @property
    def schema_diagnostics(self) -> list[Diagnostic]:
        """Everything the schema found, init_cfg grammar first."""
        return [
            *self.init_diagnostics,
            *self.finetune_diagnostics,
            *self.runtime_diagnostics,
            *(self._placed(self.runtime.factory_diagnostics) if self.runtime.uses_factories
              else []),
        ]

    def _placed(self, found: list[Diagnostic]) -> list[Diagnostic]:
        if self.tree is None:
            return found
        return place(found, self.tree.location, self.tree.path)


def strings_in(value: Any) -> Iterator[str]:
    """The strings in a config value (dicts, lists and tuples, at any depth; each
    container once), shorter than 4,096 characters."""
    pending: list[Any] = [value]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if 0 < len(item) < 4096:
                yield item
        elif isinstance(item, Mapping | list | tuple) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(item.values() if isinstance(item, Mapping) else item)


# Document.finetune stays a field (a constructor argument, in fields(), repr, == and
# dataclasses.replace) whose slot is wrapped after the class is made: a property in the
# class body would take the field's place, since a slots class cannot have both. Every
# read, the generated methods' included, goes through _read_finetune.
_finetune_slot: Any = vars(Document)["finetune"]


def _read_finetune(document: Document) -> FinetuneSettings | None:
    settings: FinetuneSettings | None = _finetune_slot.__get__(document, Document)
    if settings is _NOT_YET_TYPED:
        from initcfg.schema.finetune_parser import parse_finetune

        assert document.tree is not None  # set with the marker by _add_finetune
        settings = parse_finetune(document.tree)[0]
        _finetune_slot.__set__(document, settings)
    return settings


Document.finetune = property(  # type: ignore[assignment,misc]
    _read_finetune, _finetune_slot.__set__, doc="The fine-tune settings (see Document)."
)


def find_init_cfgs(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every ``init_cfg`` key at any depth whose value is not None, depth first."""
    # Iterative (a recursive generator pays each yield once per level), with a key path
    # built only for a container: every dict and list of the config is visited.
    found: list[tuple[KeyPath, Any]] = []
    stack: list[tuple[bool, Any, KeyPath]] = [(False, value, path)]
    while stack:
        is_init_cfg, node, where = stack.pop()
        if is_init_cfg:
            found.append((where, node))
            continue
        children: list[tuple[bool, Any, KeyPath]] = []
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "init_cfg":
                    if item is not None:
                        children.append((True, item, (*where, key)))
                elif isinstance(item, _CONTAINERS):
                    children.append((False, item, (*where, key)))
        elif isinstance(node, list | tuple):
            for index, item in enumerate(node):
                if isinstance(item, _CONTAINERS):
                    children.append((False, item, (*where, index)))
        if children:
            children.reverse()
            stack.extend(children)
    return iter(found)


_CONTAINERS = (dict, list, tuple)


def build_document(tree: ConfigTree) -> tuple[Document, list[Diagnostic], list[ParsedEntry]]:
    """Parse every ``init_cfg`` of ``tree``.

    Returns the document, the grammar diagnostics (key paths absolute, not yet placed
    at source locations) and every parsed entry with its absolute path, for the rules
    that look at layer names.
    """
    document = Document()
    diagnostics: list[Diagnostic] = []
    located: list[ParsedEntry] = []
    for path, value in find_init_cfgs(tree.data):
        parsed = init_cfg.parse_init_cfg(value)
        document.parsed_init_cfgs[path] = ParsedInitCfg(path, value, parsed)
        diagnostics.extend(d.under(path) for d in parsed.diagnostics)
        absolute = [
            ParsedEntry(
                path + entry.path,
                entry.model,
                entry.initializer,
                None if entry.override_of is None else path + entry.override_of,
                entry.raw_layer,
            )
            for entry in parsed.located
        ]
        located.extend(absolute)
        if parsed.entries is not None:
            document.init_cfgs.append(LocatedInitCfg(path, parsed.entries, absolute))
    _model_side(document, tree)
    return document, diagnostics, located


def _model_side(document: Document, tree: ConfigTree) -> None:
    """What building and initializing the model read: the model section, load_from."""
    data = tree.data
    section = data.get("model") if isinstance(data, Mapping) else None
    document.model_section = section if isinstance(section, Mapping) else None
    document.model_written = section
    document.load_from = data.get("load_from") if isinstance(data, Mapping) else None
    document.tree = tree


def model_document(tree: ConfigTree) -> Document:
    """The part of the document that building and initializing a model read, without
    running the grammar or the settings' checks: the model section, ``load_from``,
    ``default_scope`` and ``custom_imports``. For callers that have only the loaded
    config (``compile_init_plan(tree, model)``); its init_cfgs are parsed as needed.
    """
    document = Document()
    _model_side(document, tree)
    data = tree.data
    if isinstance(data, Mapping):
        scope = data.get("default_scope")
        document.runtime = RuntimeSettings(
            default_scope=scope if isinstance(scope, str) else None,
            custom_imports=data.get("custom_imports"),
        )
    return document


def parse_document(
    tree: ConfigTree,
    *,
    extra_optimizers: frozenset[str] = frozenset(),
    extra_schedulers: frozenset[str] = frozenset(),
) -> Document:
    """The typed document of a loaded config: the one parse of its init_cfgs, fine-tune
    and runtime settings per command. Never raises for bad input.

    Args:
        tree: The loaded, merged config.
        extra_optimizers: Optimizer types the project (or a scope package) registers;
            they are not reported as unknown (IC304).
        extra_schedulers: Scheduler types registered the same way.
    """
    if not isinstance(tree.data, Mapping):
        return model_document(tree)
    document, grammar, located = build_document(tree)
    _add_finetune(document, tree, extra_optimizers, extra_schedulers)
    settings, runtime_found = runtime.parse_runtime(tree)
    document.located = located
    document.finetune_written = _written(tree)
    document.runtime = settings
    document.tree = tree
    document.init_diagnostics = grammar
    document.runtime_diagnostics = runtime_found
    _add_facts(document, tree)
    return document


def _add_finetune(
    document: Document,
    tree: ConfigTree,
    extra_optimizers: frozenset[str],
    extra_schedulers: frozenset[str],
) -> None:
    """The fine-tune settings and their findings, or for a config that writes no
    fine-tune key the marker that types its (empty) settings when they are read."""
    document.tree = tree
    if not isinstance(tree.data, Mapping):
        return  # no settings (None), no findings, as parse_finetune answers
    document.finetune_keys = FINETUNE_KEYS.intersection(tree.data)
    if not document.finetune_keys:
        document.finetune = _NOT_YET_TYPED
        return
    from initcfg.schema.finetune_parser import parse_finetune

    document.finetune, document.finetune_diagnostics = parse_finetune(
        tree, extra_optimizers=extra_optimizers, extra_schedulers=extra_schedulers
    )


def _add_facts(document: Document, tree: ConfigTree) -> None:
    document.facts = config_facts(tree)
    document.base_facts = base_facts(tree)


def parse_finetune_document(
    tree: ConfigTree,
    *,
    extra_optimizers: frozenset[str] = frozenset(),
    extra_schedulers: frozenset[str] = frozenset(),
) -> Document:
    """The part of :func:`parse_document` the fine-tune rules read: the fine-tune
    settings and the config's (and its bases') facts, without the init_cfgs and the
    runtime settings. Never raises for bad input."""
    document = Document()
    _add_finetune(document, tree, extra_optimizers, extra_schedulers)
    _add_facts(document, tree)
    return document
