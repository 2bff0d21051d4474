"""Short text for steps and initializers, as plan tables and diagnostics show them."""

from __future__ import annotations

import os
import sys
from typing import Any

from torch import nn

from initcfg.diagnostics import KeyPath
from initcfg.plan.steps import Step
from initcfg.schema.initializers import BaseInit, Pretrained


def _relative(where: str) -> str:
    file, _, line = where.rpartition(":")
    for root in sys.path:
        if root and os.path.isabs(file) and file.startswith(root.rstrip(os.sep) + os.sep):
            return f"{os.path.relpath(file, root)}:{line}"
    return where


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def describe_initializer(init: BaseInit | None) -> str:
    """``Kaiming(mode=fan_in)``: the type and its non-default arguments."""
    if init is None:
        return "init_weights()"
    if isinstance(init, Pretrained):
        prefix = f", prefix={init.prefix}" if init.prefix else ""
        return f"Pretrained({os.path.basename(init.checkpoint)}{prefix})"
    args = init.model_dump(exclude_defaults=True, exclude={"type", "override", "layer"})
    inner = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{init.type}({inner})"


def describe_step(step: Step) -> str:
    if step.kind == "call":
        return f"{step.target or 'model'}.init_weights()"
    text = describe_initializer(step.initializer)
    if step.load is not None and step.load.uninspected:
        return f"loads {step.load.checkpoint} (not inspected)"
    if step.origin.source == "load_from":
        text = f"load_from({step.load.checkpoint if step.load else ''})"
    elif step.whole:
        text += f" on {step.target}"
    return text


def _first_misfits(
    missing: list[str],
    unexpected: list[str],
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
) -> str:
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing[:3]) + (" …" if len(missing) > 3 else ""))
    if unexpected:
        parts.append(
            "unexpected " + ", ".join(unexpected[:3]) + (" …" if len(unexpected) > 3 else "")
        )
    for key, have, want in mismatched[:3]:
        parts.append(f"{key}: checkpoint {list(have)} vs model {list(want)}")
    return " (" + "; ".join(parts) + ")" if parts else ""


def _mm_container(module: nn.Module) -> str:
    if isinstance(module, nn.ModuleList):
        return "ModuleList"
    if isinstance(module, nn.ModuleDict):
        return "ModuleDict"
    if isinstance(module, nn.Sequential):
        return "Sequential"
    return "BaseModule"


def _layer_item_key(key: KeyPath | None, layer: Any, name: str) -> KeyPath | None:
    if key is None:
        return None
    if isinstance(layer, list) and name in layer:
        return (*key, layer.index(name))
    return key
