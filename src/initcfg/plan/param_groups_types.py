"""The param-group plan's data types: paramwise rules in, assignments and groups out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from initcfg.schema.optim_wrapper import CustomKey, ParamwiseCfg

Scalar = float | int | bool | str
# An optimizer option a custom key copies into its groups: a scalar, None (torch's own
# choice, as for foreach), or a sequence of scalars such as Adam's betas.
GroupOption = Scalar | tuple[Scalar, ...] | None
ParamStatus = Literal["trained", "frozen", "duplicate"]


@dataclass(frozen=True, slots=True)
class CustomKeyRule:
    """One ``custom_keys`` entry: the keys the user wrote, in order.

    Attributes:
        values: Every key given for this entry (``lr_mult``, ``decay_mult`` and any
            optimizer option such as ``momentum``), as MMEngine copies them into the group.
    """

    values: tuple[tuple[str, GroupOption], ...] = ()

    def get(self, key: str) -> GroupOption:
        for name, value in self.values:
            if name == key:
                return value
        return None


def _custom_key_rule(entry: CustomKey) -> CustomKeyRule:
    """The keys written in one schema ``custom_keys`` entry: its fields, then the rest."""
    given = entry.model_fields_set
    written = [(name, getattr(entry, name)) for name in type(entry).model_fields if name in given]
    written += list((entry.model_extra or {}).items())
    return CustomKeyRule(tuple(written))


@dataclass(frozen=True, slots=True)
class ParamwiseRules:
    """``paramwise_cfg`` as the constructor reads it: the schema's model and whether
    MMEngine walks the model.

    The multipliers are the schema's :class:`~initcfg.schema.optim_wrapper.ParamwiseCfg`
    (``None`` = not set); this view adds only what the constructor needs besides.

    Attributes:
        cfg: The schema model.
        given: Whether ``paramwise_cfg`` is a non-empty dict. MMEngine only walks the
            model (and drops frozen parameters) when it is.
        custom_keys: Substring key → the keys written in its entry.
    """

    cfg: ParamwiseCfg = field(default_factory=ParamwiseCfg)
    given: bool = False
    custom_keys: Mapping[str, CustomKeyRule] = field(init=False)

    def __post_init__(self) -> None:
        custom = {str(key): _custom_key_rule(entry) for key, entry in self.cfg.custom_keys.items()}
        object.__setattr__(self, "custom_keys", custom)

    @classmethod
    def from_cfg(cls, cfg: ParamwiseCfg | None, *, given: bool | None = None) -> ParamwiseRules:
        """The rules of a schema model (``given`` defaults to "some key was written")."""
        if cfg is None:
            return cls()
        return cls(cfg=cfg, given=bool(cfg.model_fields_set) if given is None else given)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ParamwiseRules:
        """Rules from a plain ``paramwise_cfg`` mapping (the keys the user wrote), read by
        the schema's model. Unknown keys are ignored, as MMEngine ignores them.
        """
        if not values:
            return cls()
        return cls.from_cfg(ParamwiseCfg.model_validate(dict(values)), given=True)

    def sorted_keys(self) -> list[str]:
        """Custom keys in match priority: longest first, then alphabetical."""
        return sorted(sorted(self.custom_keys), key=len, reverse=True)


class ParamAssignment(BaseModel):
    """What the optimizer does with one parameter.

    Attributes:
        name: The parameter's name in the (unwrapped) model.
        module_type: Class name of the module that owns it.
        shape: Its shape.
        status: ``trained``, ``frozen`` (``requires_grad=False``) or ``duplicate``
            (already placed under another name).
        in_optimizer: Whether the optimizer holds it. Frozen parameters are held only
            when no ``paramwise_cfg`` is set (and then never receive a gradient).
        lr: Its initial learning rate (before any scheduler), None when unknown.
        weight_decay: Its weight decay, None when unknown.
        lr_rule: Which rule set ``lr``: ``base``, ``custom_keys['…']``, ``bias_lr_mult``,
            ``dcn_offset_lr_mult``.
        decay_rule: Which rule set ``weight_decay``: ``base``, ``custom_keys['…']``,
            ``norm_decay_mult``, ``bias_decay_mult``, ``dwconv_decay_mult``,
            ``flat_decay_mult``.
        extra: Other optimizer options a custom key sets for it (``momentum``…).
        group: Index of its group in :attr:`ParamGroupsPlan.groups`, None when not held.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    module_type: str
    shape: list[int]
    status: ParamStatus
    in_optimizer: bool
    lr: float | None
    weight_decay: float | None
    lr_rule: str = "base"
    decay_rule: str = "base"
    extra: dict[str, GroupOption] = {}
    group: int | None = None


class ParamGroupPlan(BaseModel):
    """Parameters that share every optimizer option.

    MMEngine makes one group per parameter; equal groups are merged here, which changes
    nothing in the updates and keeps multi-tensor optimizer kernels fast.
    """

    model_config = ConfigDict(extra="forbid")

    index: int
    lr: float | None
    weight_decay: float | None
    extra: dict[str, GroupOption] = {}
    params: list[str]
    numel: int


class ParamGroupsPlan(BaseModel):
    """The optimizer's parameter groups for one model.

    Attributes:
        optimizer: The optimizer type (``SGD``, ``AdamW``…).
        base_lr: ``optimizer.lr`` from the config (None when not written).
        base_weight_decay: ``optimizer.weight_decay`` from the config.
        default_lr: The learning rate a group without its own gets (the config's, or the
            optimizer class default).
        default_weight_decay: Likewise for weight decay.
        paramwise: Whether a non-empty ``paramwise_cfg`` was applied.
        unwrapped: Whether the model was replaced by its ``module`` attribute.
        params: Every parameter, in the order the constructor visits them.
        groups: The merged groups handed to the optimizer.
        unused_custom_keys: ``custom_keys`` that match no parameter.
    """

    model_config = ConfigDict(extra="forbid")

    optimizer: str
    base_lr: float | None
    base_weight_decay: float | None
    default_lr: float | None
    default_weight_decay: float | None
    paramwise: bool
    unwrapped: bool = False
    params: list[ParamAssignment]
    groups: list[ParamGroupPlan]
    unused_custom_keys: list[str] = []

    def by_name(self) -> dict[str, ParamAssignment]:
        """The first assignment of each parameter name."""
        out: dict[str, ParamAssignment] = {}
        for item in self.params:
            out.setdefault(item.name, item)
        return out
