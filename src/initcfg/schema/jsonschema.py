"""JSON Schema for editors and other tools, built from the Pydantic models.

``init_cfg.schema.json`` describes one ``init_cfg`` value; ``config.schema.json`` a
whole config document, with that schema applied to every ``init_cfg`` key at any depth.
Registered initializer types are included.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from initcfg.schema.initializers import FLOAT32_MAX, BaseInit
from initcfg.schema.registry import initializer_types

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILES = ("init_cfg.schema.json", "config.schema.json")


# Pydantic's names for numeric bounds → JSON Schema's.
_BOUND_KEYWORDS = {
    "ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum",
}


def _bounds_on_branches(node: Any) -> None:
    """Move numeric bounds that Pydantic leaves beside an ``anyOf`` into its numeric
    branches, in place, at any depth.

    For a union field (``std: int | float = Field(ge=0)``) Pydantic cannot put the bound
    on one type, so it writes ``"ge": 0`` next to the ``anyOf``: a word JSON Schema
    does not know, which every validator ignores, so ``std: -1`` passed the schema
    while ``initcfg validate`` reports IC105.
    """
    if isinstance(node, list):
        for item in node:
            _bounds_on_branches(item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if isinstance(branches, list):
        for pydantic_word, json_word in _BOUND_KEYWORDS.items():
            if pydantic_word not in node:
                continue
            bound = node.pop(pydantic_word)
            for branch in branches:
                if isinstance(branch, dict) and branch.get("type") in {"integer", "number"}:
                    branch[json_word] = bound
    for value in node.values():
        _bounds_on_branches(value)


# ``resolve_type_name`` reads ``mmengine.<anything>.<Name>`` and ``...<Name>Init`` (the
# scope prefix and the class paths of new-style imports) as ``<Name>``; "[\s\S]" and not
# "." so that any character between the dots matches, as it does there.
_SCOPED_SPELLING = r"mmengine\.(?:[\s\S]*\.)?"


def _type_spelling(name: str, names: set[str]) -> dict[str, Any]:
    """The ``type`` values initcfg resolves to the registered type ``name``: the name,
    and its scoped spellings. ``<Name>Init`` is left to a type registered under that
    name, which wins there."""
    tail = re.escape(name) + ("" if f"{name}Init" in names else "(?:Init)?")
    return {
        "anyOf": [
            {"const": name},
            {"type": "string", "pattern": f"^{_SCOPED_SPELLING}{tail}$"},
        ]
    }


def _within_float32(properties: dict[str, Any]) -> None:
    """Bound every numeric argument to what a float32 tensor holds, in place.

    Every initializer refuses such a value (IC105: torch cannot fill a parameter with
    it), whatever the argument; a bound of the argument's own is kept where it is
    the tighter one.
    """
    for argument in properties.values():
        for branch in argument.get("anyOf", [argument]):
            if branch.get("type") not in {"integer", "number"}:
                continue
            if "minimum" not in branch and "exclusiveMinimum" not in branch:
                branch["minimum"] = -FLOAT32_MAX
            if "maximum" not in branch and "exclusiveMaximum" not in branch:
                branch["maximum"] = FLOAT32_MAX


def _entry_schema(
    model: type[BaseInit], name: str, names: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's own schema with ``override`` pointing at the shared item schema,
    and the ``$defs`` it needs."""
    raw = model.model_json_schema(ref_template="#/$defs/{model}")
    _bounds_on_branches(raw)
    defs = raw.pop("$defs", {})
    for unused in ("Override", "BaseInit"):
        defs.pop(unused, None)
    properties = raw.setdefault("properties", {})
    _within_float32(properties)
    properties["type"] = {"title": "Type", **_type_spelling(name, names)}
    # MMEngine's registry pops _scope_ before it builds the initializer, whatever it holds.
    properties["_scope_"] = {"description": "The registry scope; MMEngine drops it."}
    if "override" in properties:
        properties["override"] = {
            "description": "Initialize the named direct submodule (every module in it "
            "that has a weight or bias).",
            "anyOf": [
                {"$ref": "#/$defs/OverrideItem"},
                {"type": "array", "items": {"$ref": "#/$defs/OverrideItem"}},
                {"type": "null"},
            ],
        }
    raw["required"] = sorted(set(raw.get("required", [])) | {"type"})
    raw["additionalProperties"] = False
    return raw, defs


def _override_item(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = {"type": "string", "pattern": r"^[^.]+$", "description": "A direct attribute."}
    variants: list[dict[str, Any]] = [
        {
            "title": "inherit the parent entry",
            "type": "object",
            "properties": {"name": name},
            "required": ["name"],
            "additionalProperties": False,
        }
    ]
    for entry in entries.values():
        variant = copy.deepcopy(entry)
        variant["properties"].pop("override", None)
        variant["properties"]["name"] = name
        variant["required"] = sorted(set(variant["required"]) | {"name"})
        variants.append(variant)
    return {"oneOf": variants}


def init_cfg_schema() -> dict[str, Any]:
    """The JSON Schema of one ``init_cfg`` value (a dict or a list of dicts)."""
    defs: dict[str, Any] = {}
    entries: dict[str, dict[str, Any]] = {}
    types = initializer_types()
    for name, model in types.items():
        entry, extra = _entry_schema(model, name, set(types))
        defs.update(extra)
        entries[name] = entry
    defs.update(entries)
    defs["OverrideItem"] = _override_item(entries)
    defs["Entry"] = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {
                "anyOf": [
                    {"enum": list(entries)},
                    {
                        "type": "string",
                        "pattern": f"^{_SCOPED_SPELLING}(?:"
                        + "|".join(re.escape(name) for name in entries)
                        + ")(?:Init)?$",
                    },
                ]
            }
        },
        "allOf": [
            {
                "if": {"properties": {"type": _type_spelling(name, set(entries))}},
                "then": {"$ref": f"#/$defs/{name}"},
            }
            for name in entries
        ],
    }
    defs["CheckpointOnly"] = {
        "description": "a checkpoint for a module whose own init_weights reads "
        "init_cfg['checkpoint'] (IC123)",
        "type": "object",
        "required": ["checkpoint"],
        "not": {"required": ["type"]},
    }
    return {
        "$schema": DRAFT,
        "$id": "init_cfg.schema.json",
        "title": "MMEngine init_cfg",
        "description": "Weight initialization of one module, as MMEngine 0.10.7 reads it.",
        "anyOf": [
            {"$ref": "#/$defs/Entry"},
            # validate warns (IC123) and does not refuse this form in a list either.
            {
                "type": "array",
                "items": {
                    "anyOf": [{"$ref": "#/$defs/Entry"}, {"$ref": "#/$defs/CheckpointOnly"}]
                },
            },
            {"description": "empty: initializes nothing", "type": "object", "maxProperties": 0},
            {"$ref": "#/$defs/CheckpointOnly"},
        ],
        "$defs": defs,
    }


def _node(name: str, init_cfg_key: dict[str, Any]) -> dict[str, Any]:
    """Any value, with every ``init_cfg`` key in it checked by ``init_cfg_key``."""
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {"init_cfg": init_cfg_key},
                "additionalProperties": {"$ref": f"#/$defs/{name}"},
            },
            {"type": "array", "items": {"$ref": f"#/$defs/{name}"}},
            {"not": {"type": ["object", "array"]}},
        ]
    }


def _document(node: str, init_cfg_key: dict[str, Any]) -> dict[str, Any]:
    # The document's own init_cfg is one too (validate checks it): without it here,
    # the top-level key was read as a plain value like any other.
    return {
        "properties": {
            # validate refuses any other entry (IC211): a base is a path.
            "_base_": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
            "init_cfg": init_cfg_key,
        },
        "additionalProperties": {"$ref": f"#/$defs/{node}"},
    }


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a config document: any mapping, with every ``init_cfg`` key at
    any depth checked against the init_cfg schema.

    In a config with ``_base_`` a dict ``init_cfg`` is merged into its base's, key by
    key (``{val: 2}`` over a base Constant, ``_delete_: true`` to replace it), so what
    the file holds need not be a whole entry: only lists, which replace the base's
    value, and values that are neither are checked there.
    """
    inner = init_cfg_schema()
    defs = inner.pop("$defs")
    defs["InitCfg"] = {k: v for k, v in inner.items() if k not in {"$schema", "$id"}}
    whole = {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/InitCfg"}]}
    merged = {
        "anyOf": [
            {"type": "null"},
            {"description": "merged into the base config's init_cfg", "type": "object"},
            {"$ref": "#/$defs/InitCfg"},
        ]
    }
    defs["Node"] = _node("Node", whole)
    defs["ChildNode"] = _node("ChildNode", merged)
    return {
        "$schema": DRAFT,
        "$id": "config.schema.json",
        "title": "MMEngine-style config (initcfg)",
        "type": "object",
        "if": {"required": ["_base_"]},
        "then": _document("ChildNode", merged),
        "else": _document("Node", whole),
        "$defs": defs,
    }


def render_schemas() -> dict[str, str]:
    """File name → text of every exported schema."""
    return {
        "init_cfg.schema.json": json.dumps(init_cfg_schema(), indent=2) + "\n",
        "config.schema.json": json.dumps(config_schema(), indent=2) + "\n",
    }


def write_schemas(directory: Path) -> list[Path]:
    """Write the schema files into ``directory`` atomically; returns their paths."""
    from initcfg.config.atomic import write_text_atomic

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        target = directory / name
        write_text_atomic(target, text)
        written.append(target)
    return written
