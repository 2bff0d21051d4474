"""Parse one ``init_cfg`` value into typed initializer models, with grammar diagnostics.

Diagnostics carry key paths relative to the value (``[1].override.name``) and no
location; the checker places them. Parsing never raises for any input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, did_you_mean
from initcfg.schema.initializers import BaseInit, Pretrained, TruncNormal, WeightInit
from initcfg.schema.pydantic_errors import BOUND_TYPES, FieldError, bounds_of, field_errors
from initcfg.schema.registry import initializer_types, type_name_of

_SCOPE_PREFIX = "mmengine."
# Numeric arguments that MMEngine checks with isinstance(value, (int, float)) or passes to
# torch's fills: True and False pass as 1 and 0, which is rarely what was meant.
# The numbers MMEngine passes on as they are, so that a bool computes as 1 or 0: every
# one but Kaiming's `a`, which the model refuses as a bool (torch does for leaky_relu).
_NUMBERS_THAT_TAKE_BOOLS = ("val", "bias", "mean", "std", "gain", "a", "b")


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class ParsedEntry(NamedTuple):
    """An entry of the ``init_cfg`` value and where it stands in it.

    ``model`` is the initializer type the entry names; ``initializer`` the typed entry,
    None when its arguments have errors (rules on ``layer`` still see it).
    ``override_of`` is the path of the entry an override item belongs to; ``raw_layer``
    is what the user wrote for ``layer`` (also inside overrides, where it is ignored).
    """

    path: KeyPath
    model: type[BaseInit]
    initializer: BaseInit | None
    override_of: KeyPath | None = None
    raw_layer: Any = None


class InitCfgParse(NamedTuple):
    """Result of parsing one ``init_cfg`` value."""

    entries: list[BaseInit] | None
    located: list[ParsedEntry]
    diagnostics: list[Diagnostic]


def _here(code: str, message: str, path: KeyPath, hint: str | None = None) -> Diagnostic:
    return diagnostic(code, message, path, hint)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_type_name(name: str) -> str:
    """The registry name a ``type`` string stands for: ``mmengine.Constant`` and class
    paths recorded from new-style imports (``mmengine.model.KaimingInit``) included."""
    known = initializer_types()
    if name in known:
        return name
    if name.startswith(_SCOPE_PREFIX):
        tail = name.rsplit(".", 1)[-1]
        if tail in known:
            return tail
        if tail.endswith("Init") and tail[: -len("Init")] in known:
            return tail[: -len("Init")]
    return name


def _expected(error_types: set[str]) -> str:
    numeric = {"int_type", "float_type", "int_from_float", "float_parsing", "int_parsing"}
    if error_types & {"string_type"} and error_types & {"list_type"}:
        return "a string or a list of strings"
    if error_types & numeric:
        return "a number"
    if "string_type" in error_types:
        return "a string"
    if "bool_type" in error_types:
        return "a bool"
    if "list_type" in error_types:
        return "a list"
    return "a valid value"


def _pydantic_diagnostics(
    error: ValidationError, model: type[BaseInit], path: KeyPath
) -> list[Diagnostic]:
    by_field: dict[str, list[FieldError]] = {}
    out: list[Diagnostic] = []
    for item in field_errors(error):
        if not item.loc:
            out.append(_here("IC105", f"{model.__name__}: {item.reason}", path))
            continue
        by_field.setdefault(str(item.loc[0]), []).append(item)
    type_name = model.__name__
    for field, items in by_field.items():
        kinds = {item.type for item in items}
        first = items[0]
        got = first.got
        where = (*path, field)
        if "missing" in kinds:
            out.append(_here("IC106", f"{type_name} needs {field!r}", where))
        elif "literal_error" in kinds:
            hint = first.literal_hint()
            out.append(
                _here(
                    "IC105", f"{field!r} must be {first.expected} (got {_show(got)})", where, hint
                )
            )
        elif "value_error" in kinds:
            out.append(_here("IC105", f"{field!r} {first.reason} (got {_show(got)})", where))
        elif "string_too_short" in kinds:
            out.append(_here("IC105", f"{field!r} must not be empty", where))
        elif kinds & BOUND_TYPES:
            bounds = bounds_of(items)
            why = ""
            if field == "bias_prob":
                why = "; outside (0, 1) MMEngine silently fills the bias with inf or NaN"
            out.append(
                _here(
                    "IC105",
                    f"{field!r} must be {' and '.join(bounds)} (got {_show(got)}){why}",
                    where,
                )
            )
        else:
            out.append(
                _here("IC105", f"{field!r} must be {_expected(kinds)} (got {_show(got)})", where)
            )
    return out


class _Parser:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.located: list[ParsedEntry] = []

    def report(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.append(_here(code, message, path, hint))

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def value(self, value: Any) -> list[BaseInit] | None:
        if isinstance(value, Mapping):
            if not value:
                self.report("IC122", "init_cfg is empty: it initializes nothing", ())
                return []
            built = self.entry(value, ())
            # An entry left out with only a warning (IC123) is no entry, not a failure.
            return [built] if built is not None else (None if self.has_errors() else [])
        # A tuple is read as the list it iterates as: BaseModule.init_weights loops over
        # a module's init_cfg whatever sequence it is (MMEngine's initialize() itself
        # takes only a dict or a list; initcfg.initialize refuses a tuple before this).
        if isinstance(value, list | tuple):
            if not value:
                self.report("IC122", "init_cfg is empty: it initializes nothing", ())
                return []
            entries: list[BaseInit] = []
            for index, item in enumerate(value):
                if not isinstance(item, Mapping):
                    self.report(
                        "IC101",
                        f"each init_cfg entry must be a dict (got {_show(item)})",
                        (index,),
                    )
                    continue
                built = self.entry(item, (index,))
                if built is not None:
                    entries.append(built)
            return None if self.has_errors() else entries
        self.report(
            "IC101", f"init_cfg must be a dict or a list of dicts (got {_show(value)})", ()
        )
        return None

    def model_for(self, entry: Mapping[str, Any], path: KeyPath) -> type[BaseInit] | None:
        if "type" not in entry and "checkpoint" in entry:
            self.report(
                "IC123",
                "init_cfg has 'checkpoint' but no 'type': only a module whose own "
                "init_weights reads init_cfg['checkpoint'] (as MMDetection's PVT does) "
                "understands it; MMEngine's generic initialization raises KeyError('type')",
                path,
                "write `type: Pretrained` to load it the generic way",
            )
            return None
        if "type" not in entry:
            self.report(
                "IC102",
                "init_cfg entry has no 'type'",
                path,
                "add `type:` naming an initializer such as Kaiming or Normal",
            )
            return None
        raw = entry["type"]
        if not isinstance(raw, str):
            self.report("IC102", f"'type' must be a string (got {_show(raw)})", (*path, "type"))
            return None
        known = initializer_types()
        name = resolve_type_name(raw)
        if name in known:
            return known[name]
        stem = raw[: -len("Init")] if raw.endswith("Init") else raw
        hint = did_you_mean(stem, known) or did_you_mean(raw, known)
        self.report(
            "IC103",
            f"unknown initializer type {raw!r}; known types: {', '.join(known)}",
            (*path, "type"),
            hint,
        )
        return None

    def entry(
        self,
        entry: Mapping[str, Any],
        path: KeyPath,
        override_of: KeyPath | None = None,
        override_name: str = "",
    ) -> BaseInit | None:
        model = self.model_for(entry, path)
        errors_before = len(self.diagnostics)
        clean = self.arguments(entry, model, path, in_override=override_of is not None)
        overrides: list[dict[str, Any]] | None = None
        if entry.get("override") is not None:  # MMEngine treats override=None as absent
            if entry["override"] == [] and override_of is None:
                # MMEngine loops over no item: the key is a leftover or an unfinished edit.
                self.report(
                    "IC124",
                    "'override' is an empty list: it initializes no submodule",
                    (*path, "override"),
                    "add items with `name:`, or remove the key",
                )
            if override_of is not None:
                self.report(
                    "IC112",
                    "an override cannot hold another override",
                    (*path, "override"),
                    "list both items under the entry's own `override`",
                )
            else:
                overrides = self.overrides(entry["override"], (*path, "override"), path)
        if model is None:
            return None
        raw_layer = entry.get("layer")
        self.layer_shape(raw_layer, path, clean, in_override=override_of is not None)
        try:
            built = model.model_validate(clean)
        except ValidationError as error:
            self.diagnostics.extend(_pydantic_diagnostics(error, model, path))
            self.located.append(ParsedEntry(path, model, None, override_of, raw_layer))
            return None
        if any(d.severity == "error" for d in self.diagnostics[errors_before:]):
            self.located.append(ParsedEntry(path, model, None, override_of, raw_layer))
            return None
        if override_of is not None and isinstance(built, WeightInit) and "layer" in clean:
            # MMEngine's constructor still checks the value, then never uses it.
            self.report(
                "IC111",
                "'layer' inside an override is ignored: the override initializes every "
                f"module with a weight or bias under {override_name!r}",
                (*path, "layer"),
            )
            built = built.model_copy(update={"layer": None})
        raw_type = entry.get("type")
        if isinstance(built, Pretrained) and isinstance(raw_type, str):
            # MMEngine defers only the exact name or the PretrainedInit class itself.
            built._deferred = raw_type == "Pretrained" or raw_type.endswith("PretrainedInit")
        self.cross_field(built, path, entry, override_of)
        if overrides:
            built = built.model_copy(
                update={"override": [_override_model(item) for item in overrides]}
            )
        self.located.append(ParsedEntry(path, model, built, override_of, raw_layer))
        return built

    def arguments(
        self,
        entry: Mapping[str, Any],
        model: type[BaseInit] | None,
        path: KeyPath,
        *,
        in_override: bool,
    ) -> dict[str, Any]:
        """The entry's keys that become constructor arguments; the others reported."""
        fields = set(model.model_fields) if model else set()
        # A misspelt `override` is the costliest typo (the submodule keeps the entry's
        # initializer), so it is offered where an override may stand: not inside one.
        spellable = fields - {"type", "override"} | (set() if in_override else {"override"})
        clean: dict[str, Any] = {}
        for key, item in entry.items():
            if not isinstance(key, str):
                self.report("IC104", f"init_cfg keys must be strings (got {_show(key)})", path)
            elif key in {"override", "_scope_"}:
                continue  # override is parsed on its own; the registry drops _scope_
            elif key == "type" and model is not None:
                clean[key] = type_name_of(model)  # scoped spellings resolved
            elif model is None or key in fields:
                clean[key] = item
            elif key in model.fixed_arguments:
                self.report(
                    "IC104",
                    f"{model.__name__} fixes {key!r}; passing it makes MMEngine raise "
                    "'multiple values for argument'",
                    (*path, key),
                    "remove it, or use Kaiming to choose it yourself",
                )
            else:
                hint = did_you_mean(key, sorted(spellable))
                self.report(
                    "IC104", f"{model.__name__} takes no argument {key!r}", (*path, key), hint
                )
        return clean

    def layer_shape(
        self, raw_layer: Any, path: KeyPath, clean: dict[str, Any], *, in_override: bool
    ) -> None:
        # Pydantic would take a tuple or a set for the list; MMEngine's BaseInit accepts
        # only str or list and raises TypeError for the others (in an override too).
        if isinstance(raw_layer, tuple | set | frozenset):
            kind = type(raw_layer).__name__
            self.report(
                "IC105",
                f"'layer' must be a string or a list, not a {kind} (got {_show(raw_layer)}); "
                f"MMEngine raises on a {kind}",
                (*path, "layer"),
                "write it as a list",
            )
            clean.pop("layer", None)
        elif isinstance(raw_layer, list) and not in_override:
            # MMEngine intersects set(layer) with each module's class names: a string
            # takes part, another hashable value never matches, an unhashable one raises.
            for index, item in enumerate(raw_layer):
                if isinstance(item, str):
                    continue
                where = (*path, "layer", index)
                if _hashable(item):
                    self.report(
                        "IC121",
                        f"'layer' item {_show(item)} is not a string, so it names no class; "
                        "MMEngine silently ignores it",
                        where,
                        "write the class name as a string, or remove the item",
                    )
                else:
                    self.report(
                        "IC105",
                        f"'layer' item {_show(item)} is a nested {type(item).__name__}; "
                        "MMEngine puts the names in a set and raises TypeError (unhashable "
                        "type)",
                        where,
                        "list class names as strings, one level deep",
                    )
            if any(not _hashable(item) for item in raw_layer):
                clean.pop("layer", None)

    def cross_field(
        self,
        built: BaseInit,
        path: KeyPath,
        entry: Mapping[str, Any],
        override_of: KeyPath | None,
    ) -> None:
        if isinstance(built, WeightInit):
            # An empty list, '' or only non-strings name no class, like a missing layer.
            no_layer = not any(built.layers)
            no_override = not entry.get("override")
            if override_of is None and no_layer and no_override:
                if "layer" in entry and entry["layer"] is not None:
                    self.report(
                        "IC107",
                        f"{type(built).__name__} entry's 'layer' ({_show(entry['layer'])}) "
                        "names no class and the entry has no 'override': it initializes "
                        "nothing",
                        (*path, "layer"),
                        "name the classes to initialize, such as `layer: Conv2d`",
                    )
                else:
                    # An empty override list has its own warning (IC124).
                    other = "an override item" if "override" in entry else "'override'"
                    self.report(
                        "IC107",
                        f"{type(built).__name__} entry has neither 'layer' nor {other}: "
                        "it initializes nothing",
                        path,
                        "add `layer:` naming the classes to initialize",
                    )
            for key in _NUMBERS_THAT_TAKE_BOOLS:
                if isinstance(entry.get(key), bool) and key in type(built).model_fields:
                    number = int(entry[key])
                    self.report(
                        "IC125",
                        f"{key!r} is the bool {entry[key]}; MMEngine accepts it as the number "
                        f"{number} (a bool is an int in Python)",
                        (*path, key),
                        f"write {key}={number}",
                    )
            if "bias" in entry and built.bias_prob is not None:
                self.report(
                    "IC108",
                    f"'bias_prob' ({built.bias_prob}) replaces 'bias' ({built.bias}); "
                    "the 'bias' value is ignored",
                    (*path, "bias"),
                )
        if isinstance(built, TruncNormal):
            if built.a == built.b:
                self.report(
                    "IC120",
                    f"TruncNormal with a == b == {built.a} fills every value with {built.a}",
                    path,
                    "use Constant",
                )
            elif built.mean < built.a - 2 * built.std or built.mean > built.b + 2 * built.std:
                # Both CDF bounds saturate: below the interval erfinv(1) = +inf clamps to b,
                # above it erfinv(-1) = -inf clamps to a.
                cutoff = built.b if built.mean < built.a else built.a
                self.report(
                    "IC120",
                    f"TruncNormal mean {built.mean} lies more than 2 std outside "
                    f"[{built.a}, {built.b}]: MMEngine's routine makes every value {cutoff}",
                    path,
                )

    def overrides(
        self, value: Any, path: KeyPath, parent: KeyPath
    ) -> list[dict[str, Any]] | None:
        if isinstance(value, Mapping):
            items: list[tuple[KeyPath, Any]] = [(path, value)]
        elif isinstance(value, list):
            items = [((*path, index), item) for index, item in enumerate(value)]
        else:
            self.report(
                "IC114",
                f"'override' must be a dict or a list of dicts (got {_show(value)})",
                path,
            )
            return None
        good: list[dict[str, Any]] = []
        for item_path, item in items:
            if not isinstance(item, Mapping):
                self.report(
                    "IC114", f"each override item must be a dict (got {_show(item)})", item_path
                )
                continue
            checked = self.override_item(item, item_path, parent)
            if checked is not None:
                good.append(checked)
        return good if len(good) == len(items) else None

    def override_item(
        self, item: Mapping[str, Any], path: KeyPath, parent: KeyPath
    ) -> dict[str, Any] | None:
        if "name" not in item:
            self.report(
                "IC109",
                "override item has no 'name'",
                path,
                "add `name:` with the attribute name of the submodule it initializes",
            )
            return None
        name = item["name"]
        if not isinstance(name, str):
            self.report("IC105", f"'name' must be a string (got {_show(name)})", (*path, "name"))
            return None
        if not name:
            self.report(
                "IC105",
                "override 'name' is empty; MMEngine finds no such attribute and raises",
                (*path, "name"),
            )
            return None
        if "." in name:
            self.report(
                "IC113",
                f"override name {name!r} is a dotted path; MMEngine looks it up with hasattr, "
                "so it never matches",
                (*path, "name"),
                f"put this init_cfg on the module that owns {name.rsplit('.', 1)[-1]!r}",
            )
            return None
        rest = {key: val for key, val in item.items() if key != "name"}
        if not rest:
            return {"name": name}
        if "type" not in rest:
            self.report(
                "IC110",
                f"override {name!r} has arguments ({', '.join(map(str, rest))}) but no 'type'",
                path,
                "add `type:`, or keep only `name:` to reuse the parent entry's initializer",
            )
            return None
        built = self.entry(
            item_without(item, "name"), path, override_of=parent, override_name=name
        )
        if built is None:
            return None
        return {"name": name, "initializer": built}


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def item_without(item: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _override_model(item: dict[str, Any]) -> Any:
    from initcfg.schema.initializers import Override

    return Override(name=item["name"], initializer=item.get("initializer"))


def parse_init_cfg(value: Any) -> InitCfgParse:
    """Parse one ``init_cfg`` value (dict or list) into typed initializers.

    Returns the typed entries (None when any error was found), every entry with its
    key path (for rules that look at layer names), and the grammar diagnostics.
    """
    parser = _Parser()
    entries = parser.value(value)
    if any(d.severity == "error" for d in parser.diagnostics):
        entries = None
    return InitCfgParse(entries, parser.located, parser.diagnostics)
