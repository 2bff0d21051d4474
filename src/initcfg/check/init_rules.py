"""Rules on ``layer`` names: what MMEngine will match, and what it will do to it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, edit_distance, suggest
from initcfg.schema.init_cfg import ParsedEntry
from initcfg.schema.layers_table import LAYER_KINDS

# `Module` is the direct base of most torch layers, so MMEngine matches it on purpose.
_ALWAYS_VALID = frozenset({"Module"})


def near_miss(name: str, known: Iterable[str]) -> str | None:
    """The known class ``name`` was probably meant to be: same letters in another case,
    or one typo away (a swap, a missing, extra or wrong letter)."""
    folded = name.casefold()
    candidates = sorted(known)
    for option in candidates:
        if option.casefold() == folded:
            return option
    if len(name) < 4:
        return None
    for option in candidates:
        if abs(len(option) - len(name)) <= 1 and edit_distance(name, option) == 1:
            return option
    return None


def _layer_names(raw: object, path: KeyPath) -> list[tuple[str, KeyPath]]:
    if isinstance(raw, str):
        return [(raw, path)]
    if isinstance(raw, list):
        return [(name, (*path, i)) for i, name in enumerate(raw) if isinstance(name, str)]
    return []


def check_layer_names(
    entries: list[ParsedEntry], *, extra_layers: frozenset[str], strict: bool
) -> list[Diagnostic]:
    """Diagnostics for every ``layer`` name of the parsed entries (overrides excluded:
    MMEngine ignores ``layer`` there, which the grammar already reports)."""
    found: list[Diagnostic] = []
    for entry in entries:
        if entry.override_of is not None:
            continue
        fan_based = entry.model.fan_based
        init_name = entry.model.__name__
        for name, path in _layer_names(entry.raw_layer, (*entry.path, "layer")):
            if name in _ALWAYS_VALID or name in extra_layers:
                continue
            kind = LAYER_KINDS.get(name)
            if kind is None:
                known = [*LAYER_KINDS, *extra_layers]
                hint = suggest(name, matcher=partial(near_miss, known=known))
                if hint is not None:
                    found.append(
                        diagnostic(
                            "IC115",
                            f"layer {name!r} is not a torch.nn class name; MMEngine compares "
                            "names exactly, so it initializes nothing here",
                            path,
                            hint,
                        )
                    )
                elif strict:
                    found.append(
                        diagnostic(
                            "IC119",
                            f"layer {name!r} is neither a torch.nn class nor listed in "
                            "[tool.initcfg] extra-layers",
                            path,
                            "add it to `extra-layers` if it is one of your own classes",
                        )
                    )
            elif kind == "recurrent":
                found.append(
                    diagnostic(
                        "IC117",
                        f"layer {name!r} is recurrent: its `bias` is a bool flag and it has no "
                        "`weight`, so MMEngine crashes ('bool' object has no attribute 'fill_')",
                        path,
                        "initialize recurrent weights in the module's own init_weights",
                    )
                )
            elif kind == "no_params":
                why = (
                    "it keeps its projections in `in_proj_weight` and `out_proj`; only "
                    "`out_proj` is reached, by layer 'Linear'"
                    if name == "MultiheadAttention"
                    else "MMEngine only initializes `weight` and `bias`"
                )
                found.append(
                    diagnostic(
                        "IC116",
                        f"layer {name!r} has no `weight` or `bias`, so nothing is "
                        f"initialized: {why}",
                        path,
                    )
                )
            elif kind == "vector" and fan_based:
                found.append(
                    diagnostic(
                        "IC118",
                        f"{init_name} needs a weight of at least 2 dimensions to compute its "
                        f"fan, but {name!r} has a 1-D weight: torch raises ValueError",
                        path,
                        "initialize norm layers with Constant (val=1, bias=0) in their own "
                        "entry",
                    )
                )
    return found
