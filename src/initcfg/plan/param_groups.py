"""Per-parameter learning rate and weight decay, resolved the way MMEngine does it.

MMEngine 0.10.7's ``DefaultOptimWrapperConstructor`` walks the model module by module
and gives every parameter its own optimizer group when ``paramwise_cfg`` is set. The
rules, in the order they are tried for one parameter:

1. ``bypass_duplicate``: a parameter already placed (a shared module, tied weights) is
   skipped. Without it, the second placement makes torch raise.
2. ``requires_grad=False``: skipped (only when ``paramwise_cfg`` is set; without it the
   whole ``model.parameters()`` goes into one group, frozen ones included).
3. ``custom_keys``: the longest key that is a substring of ``"{module}.{param}"`` wins,
   ties broken alphabetically; its ``lr_mult``/``decay_mult`` (and any other key, copied
   verbatim into the group) replace every rule below.
4. otherwise ``bias_lr_mult`` for biases outside norm layers and DCN children,
   ``dcn_offset_lr_mult`` for DCN ``conv_offset`` convs, and the first applicable decay
   rule of norm, bias, depthwise conv, one-dimensional ("flat").

Quirks kept on purpose: a root module's own parameters are matched as ``".weight"``
(an empty module prefix), a ``Conv2d`` with ``in_channels == groups`` counts as
depthwise even when it has one input channel, and a model with an attribute named
``module`` is unwrapped to it (MMEngine's test for a DDP wrapper).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from initcfg.diagnostics import Diagnostic, diagnostic
from initcfg.plan.param_groups_types import CustomKeyRule as CustomKeyRule
from initcfg.plan.param_groups_types import GroupOption as GroupOption
from initcfg.plan.param_groups_types import ParamAssignment as ParamAssignment
from initcfg.plan.param_groups_types import ParamGroupPlan as ParamGroupPlan
from initcfg.plan.param_groups_types import ParamGroupsPlan as ParamGroupsPlan
from initcfg.plan.param_groups_types import ParamStatus as ParamStatus
from initcfg.plan.param_groups_types import ParamwiseRules as ParamwiseRules
from initcfg.plan.param_groups_types import Scalar as Scalar
from initcfg.schema.optim_wrapper import DECAY_MULT_KEYS

__all__ = [
    "CustomKeyRule",
    "ParamAssignment",
    "ParamGroupPlan",
    "ParamGroupsPlan",
    "ParamwiseRules",
    "optimizer_class",
    "optimizer_defaults",
    "resolve_param_groups",
    "torch_param_groups",
    "unwrap_model",
]


# The classes MMEngine counts as normalization layers (torch's own, not RMSNorm).
_NORM_TYPES: tuple[type[nn.Module], ...] = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)
_DCN_NAMES = frozenset({"DeformConv2d", "ModulatedDeformConv2d"})
# Group keys that are bookkeeping for MMEngine and ignored by every torch optimizer.
_BOOKKEEPING = frozenset({"lr_mult", "decay_mult"})


def unwrap_model(model: nn.Module) -> tuple[nn.Module, bool]:
    """The module MMEngine builds the optimizer for, and whether it was unwrapped."""
    inner = getattr(model, "module", None)
    if isinstance(inner, nn.Module):
        return inner, True
    return model, False


def optimizer_class(name: str) -> type[torch.optim.Optimizer] | None:
    """The ``torch.optim`` class registered under ``name`` in MMEngine, if any."""
    candidate = getattr(torch.optim, name, None)
    if isinstance(candidate, type) and issubclass(candidate, torch.optim.Optimizer):
        return candidate
    return None


def optimizer_defaults(name: str) -> dict[str, Any]:
    """The keyword defaults of optimizer ``name`` (empty when it is not torch's)."""
    cls = optimizer_class(name)
    if cls is None:
        return {}
    out: dict[str, Any] = {}
    for param in inspect.signature(cls).parameters.values():
        if param.default is not inspect.Parameter.empty:
            out[param.name] = param.default
    return out


def _is_dcn(module: nn.Module) -> bool:
    # MMEngine checks isinstance against mmcv.ops classes, which exist only with mmcv-full.
    return any(
        cls.__name__ in _DCN_NAMES and cls.__module__.startswith("mmcv")
        for cls in type(module).__mro__
    )


def _walk(
    module: nn.Module, prefix: str, parent_dcn: bool
) -> Iterator[tuple[str, nn.Module, bool]]:
    # Same traversal as the constructor: own parameters, then children, with no
    # de-duplication of modules shared by two parents.
    yield prefix, module, parent_dcn
    dcn = _is_dcn(module)
    for child_name, child in module.named_children():
        child_prefix = f"{prefix}.{child_name}" if prefix else child_name
        yield from _walk(child, child_prefix, dcn)


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(slots=True)
class _Resolver:
    rules: ParamwiseRules
    base_lr: float | None
    base_wd: float | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    used_keys: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)

    def _mult(self, base: float | None, mult: float, what: str, path: str) -> float | None:
        if base is None:
            if what not in self.reported:
                self.reported.add(what)
                self.diagnostics.append(
                    diagnostic(
                        "IC452",
                        f"{what} needs a base value, but the optimizer sets none",
                        path=path,
                        hint="MMEngine raises here; add it to `optim_wrapper.optimizer`.",
                    )
                )
            return None
        return base * mult

    def assign(
        self, prefix: str, module: nn.Module, parent_dcn: bool, name: str, param: nn.Parameter
    ) -> tuple[dict[str, GroupOption], str, str]:
        """The group options for one parameter (lr/weight_decay only when set)."""
        rules = self.rules
        group: dict[str, GroupOption] = {}
        lr_rule = decay_rule = "base"
        match_name = f"{prefix}.{name}"
        for key in rules.sorted_keys():
            if key not in match_name:
                continue
            self.used_keys.add(key)
            entry = rules.custom_keys[key]
            label = f"custom_keys[{key!r}]"
            lr_mult = _as_float(entry.get("lr_mult"))
            lr = self._mult(
                self.base_lr,
                1.0 if lr_mult is None else lr_mult,
                "`lr`",
                "optim_wrapper.optimizer.lr",
            )
            if lr is not None:
                group["lr"] = lr
            lr_rule = label
            if self.base_wd is not None:
                decay_mult = _as_float(entry.get("decay_mult"))
                group["weight_decay"] = self.base_wd * (1.0 if decay_mult is None else decay_mult)
                decay_rule = label
            for key_name, value in entry.values:
                group[key_name] = value
            return group, lr_rule, decay_rule

        is_norm = isinstance(module, _NORM_TYPES)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        if name == "bias" and not (is_norm or parent_dcn) and rules.cfg.bias_lr_mult is not None:
            lr = self._mult(
                self.base_lr, rules.cfg.bias_lr_mult, "`bias_lr_mult`", "optim_wrapper.optimizer.lr"
            )
            if lr is not None:
                group["lr"] = lr
                lr_rule = "bias_lr_mult"
        if (
            "conv_offset" in prefix
            and parent_dcn
            and rules.cfg.dcn_offset_lr_mult is not None
            and isinstance(module, nn.Conv2d)
        ):
            lr = self._mult(
                self.base_lr,
                rules.cfg.dcn_offset_lr_mult,
                "`dcn_offset_lr_mult`",
                "optim_wrapper.optimizer.lr",
            )
            if lr is not None:
                group["lr"] = lr
                lr_rule = "dcn_offset_lr_mult"
        if self.base_wd is not None:
            mult: float | None = None
            if is_norm and rules.cfg.norm_decay_mult is not None:
                mult, decay_rule = rules.cfg.norm_decay_mult, "norm_decay_mult"
            elif name == "bias" and not parent_dcn and rules.cfg.bias_decay_mult is not None:
                mult, decay_rule = rules.cfg.bias_decay_mult, "bias_decay_mult"
            elif is_dwconv and rules.cfg.dwconv_decay_mult is not None:
                mult, decay_rule = rules.cfg.dwconv_decay_mult, "dwconv_decay_mult"
            elif param.ndim == 1 and not parent_dcn and rules.cfg.flat_decay_mult is not None:
                mult, decay_rule = rules.cfg.flat_decay_mult, "flat_decay_mult"
            if mult is not None:
                group["weight_decay"] = self.base_wd * mult
        return group, lr_rule, decay_rule


def _check_base_wd(rules: ParamwiseRules, base_wd: float | None) -> list[Diagnostic]:
    if base_wd is not None:
        return []
    # MMEngine refuses these at construction, before looking at the model. It asks
    # whether a key is written, so one written as None counts.
    named = sorted(rules.cfg.model_fields_set & DECAY_MULT_KEYS)
    named += [
        f"custom_keys[{key!r}].decay_mult"
        for key, entry in rules.custom_keys.items()
        if any(name == "decay_mult" for name, _ in entry.values)
    ]
    if not named:
        return []
    return [
        diagnostic(
            "IC451",
            f"{', '.join(named)} multiplies the weight decay, but "
            "`optim_wrapper.optimizer.weight_decay` is not set",
            path="optim_wrapper.paramwise_cfg",
            hint="MMEngine raises ValueError('base_wd should not be None'); "
            "set `weight_decay` in the optimizer.",
        )
    ]


def resolve_param_groups(
    model: nn.Module,
    optimizer_type: str,
    optimizer_kwargs: Mapping[str, Any],
    rules: ParamwiseRules | None = None,
) -> tuple[ParamGroupsPlan, list[Diagnostic]]:
    """Resolve every parameter's optimizer options.

    Args:
        model: The model (a DDP-style wrapper is unwrapped as MMEngine does).
        optimizer_type: The optimizer's registry name (``SGD``, ``AdamW``…).
        optimizer_kwargs: The optimizer's options from the config (``lr``,
            ``weight_decay``…), without ``type``.
        rules: The ``paramwise_cfg`` rules; None or empty for none.

    Returns:
        The groups plan and the problems found (diagnostic codes IC45x).
    """
    rules = rules or ParamwiseRules()
    root, unwrapped = unwrap_model(model)
    diagnostics: list[Diagnostic] = []
    if unwrapped and not isinstance(model, nn.parallel.DistributedDataParallel | nn.DataParallel):
        diagnostics.append(
            diagnostic(
                "IC455",
                f"the model has an attribute `module` ({type(root).__name__}): MMEngine takes "
                "it for a DDP wrapper and gives only its parameters to the optimizer",
                path="model",
                hint="Rename the submodule; parameters outside it are never trained.",
            )
        )
    base_lr = _as_float(optimizer_kwargs.get("lr"))
    base_wd = _as_float(optimizer_kwargs.get("weight_decay"))
    defaults = optimizer_defaults(optimizer_type)
    default_lr = base_lr if base_lr is not None else _as_float(defaults.get("lr"))
    default_wd = base_wd if base_wd is not None else _as_float(defaults.get("weight_decay"))
    if optimizer_class(optimizer_type) is None:
        diagnostics.append(
            diagnostic(
                "IC456",
                f"optimizer {optimizer_type!r} is not a torch.optim class; defaults for options "
                "the config does not set are unknown",
                path="optim_wrapper.optimizer.type",
            )
        )

    assignments: list[ParamAssignment] = []
    if not rules.given:
        for name, param in root.named_parameters():
            owner = root.get_submodule(name.rpartition(".")[0]) if "." in name else root
            assignments.append(
                ParamAssignment(
                    name=name,
                    module_type=type(owner).__name__,
                    shape=list(param.shape),
                    status="trained" if param.requires_grad else "frozen",
                    in_optimizer=True,
                    lr=default_lr,
                    weight_decay=default_wd,
                )
            )
        unused: list[str] = []
    else:
        diagnostics += _check_base_wd(rules, base_wd)
        resolver = _Resolver(rules, base_lr, base_wd)
        placed: set[int] = set()
        for prefix, module, parent_dcn in _walk(root, "", False):
            for pname, param in module.named_parameters(recurse=False):
                full = f"{prefix}.{pname}" if prefix else pname
                common: dict[str, Any] = {
                    "name": full,
                    "module_type": type(module).__name__,
                    "shape": list(param.shape),
                }
                if rules.cfg.bypass_duplicate and id(param) in placed:
                    assignments.append(
                        ParamAssignment(
                            **common, status="duplicate", in_optimizer=False, lr=None,
                            weight_decay=None,
                        )
                    )
                    continue
                if not param.requires_grad:
                    assignments.append(
                        ParamAssignment(
                            **common, status="frozen", in_optimizer=False, lr=None,
                            weight_decay=None,
                        )
                    )
                    continue
                options, lr_rule, decay_rule = resolver.assign(
                    prefix, module, parent_dcn, pname, param
                )
                lr = _as_float(options.pop("lr", default_lr))
                weight_decay = _as_float(options.pop("weight_decay", default_wd))
                extra = {k: v for k, v in options.items() if k not in _BOOKKEEPING}
                duplicate = id(param) in placed
                placed.add(id(param))
                assignments.append(
                    ParamAssignment(
                        **common,
                        status="duplicate" if duplicate else "trained",
                        in_optimizer=not duplicate,
                        lr=lr,
                        weight_decay=weight_decay,
                        lr_rule=lr_rule,
                        decay_rule=decay_rule,
                        extra=extra,
                    )
                )
                if duplicate:
                    diagnostics.append(
                        diagnostic(
                            "IC453",
                            f"parameter {full!r} is shared with another module and would be "
                            "placed in two optimizer groups",
                            path="optim_wrapper.paramwise_cfg",
                            hint="torch raises 'some parameters appear in more than one "
                            "parameter group'; set `bypass_duplicate=True`.",
                        )
                    )
        diagnostics += resolver.diagnostics
        unused = sorted(set(rules.custom_keys) - resolver.used_keys)
        for key in unused:
            diagnostics.append(
                diagnostic(
                    "IC454",
                    f"custom key {key!r} matches no trainable parameter name",
                    path=f"optim_wrapper.paramwise_cfg.custom_keys.{key}",
                    hint="Keys are substrings of names such as 'backbone.layer1.0.conv1.weight'.",
                )
            )

    groups = _merge_groups(assignments)
    if not any(a.in_optimizer for a in assignments):
        diagnostics.append(
            diagnostic(
                "IC457",
                "no parameter is left for the optimizer",
                path="optim_wrapper",
                hint="torch raises 'optimizer got an empty parameter list'; unfreeze something.",
            )
        )
    plan = ParamGroupsPlan(
        optimizer=optimizer_type,
        base_lr=base_lr,
        base_weight_decay=base_wd,
        default_lr=default_lr,
        default_weight_decay=default_wd,
        paramwise=rules.given,
        unwrapped=unwrapped,
        params=assignments,
        groups=groups,
        unused_custom_keys=unused,
    )
    return plan, diagnostics


def _group_key(item: ParamAssignment) -> tuple[object, ...]:
    extra = tuple(sorted((k, repr(v)) for k, v in item.extra.items()))
    return (item.lr, item.weight_decay, extra)


def _merge_groups(assignments: list[ParamAssignment]) -> list[ParamGroupPlan]:
    groups: list[ParamGroupPlan] = []
    index: dict[tuple[object, ...], int] = {}
    for item in assignments:
        if not item.in_optimizer:
            continue
        key = _group_key(item)
        if key not in index:
            index[key] = len(groups)
            groups.append(
                ParamGroupPlan(
                    index=len(groups),
                    lr=item.lr,
                    weight_decay=item.weight_decay,
                    extra=dict(item.extra),
                    params=[],
                    numel=0,
                )
            )
        group = groups[index[key]]
        group.params.append(item.name)
        group.numel += math.prod(item.shape)
        item.group = group.index
    return groups


def torch_param_groups(plan: ParamGroupsPlan, model: nn.Module) -> list[dict[str, Any]]:
    """The ``params`` argument for a torch optimizer, built from ``plan``.

    Args:
        plan: Groups resolved for this model (or one with the same parameter names).
        model: The model whose parameters are placed (unwrapped like the plan was).

    Returns:
        One dict per group: ``params`` plus the options the group sets.

    Raises:
        KeyError: A parameter named in the plan is not in the model.
    """
    root = unwrap_model(model)[0] if plan.unwrapped else model
    named = dict(root.named_parameters(remove_duplicate=False))
    out: list[dict[str, Any]] = []
    for group in plan.groups:
        entry: dict[str, Any] = {"params": [named[name] for name in group.params]}
        if group.lr is not None:
            entry["lr"] = group.lr
        if group.weight_decay is not None:
            entry["weight_decay"] = group.weight_decay
        entry.update(group.extra)
        out.append(entry)
    return out
