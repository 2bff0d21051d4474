"""One Pydantic model per MMEngine 0.10.7 weight initializer.

The models mirror MMEngine's constructor signatures and defaults, and add the value
constraints MMEngine only discovers inside torch (and only when some module matches).
Nothing here imports torch.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

Number = StrictInt | StrictFloat


def _bool_as_int(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


# A number MMEngine hands on to torch unchecked: a bool computes as the int it is, with
# the same tensors as 1 or 0 (IC125 warns), so it is kept as that int. Not Kaiming's
# `a`: torch's calculate_gain refuses a bool slope for leaky_relu.
BoolNumber = Annotated[Number | StrictBool, AfterValidator(_bool_as_int)]
Distribution = Literal["normal", "uniform"]
FanMode = Literal["fan_in", "fan_out"]


def _fan_mode_lowered(value: Any) -> Any:
    # Only a spelling that lowers to a mode is changed: the error for any other value
    # quotes it as the user wrote it.
    if isinstance(value, str) and value.lower() in ("fan_in", "fan_out"):
        return value.lower()
    return value


# torch's kaiming_* lower-case ``mode`` before checking it, so MMEngine runs 'FAN_IN' as
# 'fan_in'; the model keeps the spelling torch uses. (``distribution`` and
# ``nonlinearity`` are compared exactly, by MMEngine and by calculate_gain.)
KaimingMode = Annotated[
    FanMode,
    BeforeValidator(_fan_mode_lowered),
    WithJsonSchema({
        "type": "string",
        "pattern": "^[fF][aA][nN]_(?:[iI][nN]|[oO][uU][tT])$",
        "description": "'fan_in' or 'fan_out', in any case (torch lower-cases it).",
    }),
]
# The names torch.nn.init.calculate_gain accepts.
Nonlinearity = Literal[
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]
FLOAT32_MAX = 3.4028234663852886e38
NONLINEARITIES: tuple[str, ...] = Nonlinearity.__args__  # type: ignore[attr-defined]


class Override(BaseModel):
    """One ``override`` item, resolved.

    ``initializer`` is None for a name-only item, which reuses its parent entry's type
    and arguments (minus ``layer``); see :meth:`BaseInit.resolved_overrides`.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: StrictStr
    initializer: SerializeAsAny[BaseInit] | None = None

    @field_validator("initializer", mode="before")
    @classmethod
    def _dispatch_on_type(cls, value: Any) -> Any:
        if isinstance(value, dict):
            from initcfg.schema.registry import parse_initializer

            return parse_initializer(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _from_flat(cls, value: Any) -> Any:
        # Users write overrides flat: {name, type, args...}; keep the typed form nested.
        if isinstance(value, dict) and "initializer" not in value:
            rest = {k: v for k, v in value.items() if k != "name"}
            if rest:
                return {"name": value.get("name"), "initializer": rest}
            return {"name": value.get("name")}
        return value


class BaseInit(BaseModel):
    """Keys every initializer entry may carry."""

    # defer_build: a model's validator is built on first use, which keeps the start-up
    # of `initcfg validate` short (most configs use two or three initializer types).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: Arguments whose values are fixed by the initializer and may not be passed.
    fixed_arguments: ClassVar[frozenset[str]] = frozenset()
    #: Whether the type computes fans from the weight shape (fails on 1-D weights).
    fan_based: ClassVar[bool] = False

    type: str
    override: list[Override] | None = None

    @field_validator("override", mode="before")
    @classmethod
    def _override_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("*", mode="after")
    @classmethod
    def _fits_float32(cls, value: Any) -> Any:
        # Parameters are float32: torch refuses a fill it cannot represent.
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                too_big = abs(float(value)) > FLOAT32_MAX
            except OverflowError:
                too_big = True
            if too_big:
                raise ValueError(f"must fit a float32 tensor (|value| <= {FLOAT32_MAX:.4g})")
            if value != value:  # NaN passes every bound, and fills the tensor with NaN
                raise ValueError("must be a number, not NaN (NaN would fill the tensor)")
        return value

    @property
    def layers(self) -> tuple[str, ...]:
        return ()

    def resolved_overrides(self) -> list[tuple[str, BaseInit]]:
        """``(attribute name, initializer)`` per override item, name-only items filled in
        from this entry (minus ``layer`` and ``override``), as MMEngine does."""
        resolved: list[tuple[str, BaseInit]] = []
        for item in self.override or ():
            if item.initializer is not None:
                resolved.append((item.name, item.initializer))
            else:
                inherited = self.model_copy(update={"override": None})
                if isinstance(inherited, WeightInit):
                    inherited = inherited.model_copy(update={"layer": None})
                resolved.append((item.name, inherited))
        return resolved


# torch converts a Python int for fill_ (Constant's val, every bias) into a 64-bit
# scalar, signed or unsigned, and raises OverflowError outside that, whatever the
# tensor's dtype; as a float the same number would fill fine.
_FILL_INT_MIN, _FILL_INT_MAX = -(2**63), 2**64 - 1


def _fill_int_converts(value: Any) -> Any:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not _FILL_INT_MIN <= value <= _FILL_INT_MAX
    ):
        raise ValueError(
            "as an integer must lie in [-2**63, 2**64 - 1]: torch's fill_ raises "
            "OverflowError converting it (write it as a float, 1e20)"
        )
    return value


class WeightInit(BaseInit):
    """Keys of the initializers that write ``weight`` and ``bias`` (MMEngine's BaseInit)."""

    layer: StrictStr | list[Any] | None = None
    bias: Number | StrictBool = 0
    bias_prob: StrictFloat | None = Field(default=None, gt=0, lt=1)

    _bias_fills = field_validator("bias", mode="after")(_fill_int_converts)

    @property
    def layers(self) -> tuple[str, ...]:
        if self.layer is None:
            return ()
        if isinstance(self.layer, str):
            return (self.layer,)
        return tuple(name for name in self.layer if isinstance(name, str))

    @property
    def bias_value(self) -> float:
        """The constant the bias is filled with: ``bias``, or the one ``bias_prob`` implies."""
        if self.bias_prob is not None:
            return bias_from_prob(self.bias_prob)
        return float(self.bias)


class Constant(WeightInit):
    """``weight = val``; ``bias = bias``."""

    type: Literal["Constant"] = "Constant"
    val: Number | StrictBool

    _val_fills = field_validator("val", mode="after")(_fill_int_converts)


class Xavier(WeightInit):
    """``xavier_normal_``/``xavier_uniform_`` with ``gain``."""

    fan_based: ClassVar[bool] = True
    type: Literal["Xavier"] = "Xavier"
    gain: BoolNumber = Field(default=1, ge=0)
    distribution: Distribution = "normal"


class Normal(WeightInit):
    """``normal_(mean, std)``."""

    type: Literal["Normal"] = "Normal"
    mean: BoolNumber = 0
    std: BoolNumber = Field(default=1, ge=0)


class TruncNormal(WeightInit):
    """Normal with values cut to ``[a, b]``, MMEngine's own inverse-CDF routine."""

    type: Literal["TruncNormal"] = "TruncNormal"
    mean: BoolNumber = 0
    std: BoolNumber = Field(default=1, gt=0)
    a: BoolNumber = -2
    b: BoolNumber = 2

    @model_validator(mode="after")
    def _bounds_ordered(self) -> TruncNormal:
        if self.a > self.b:
            raise ValueError(f"'a' must not exceed 'b' (got a={self.a}, b={self.b})")
        return self


class Uniform(WeightInit):
    """``uniform_(a, b)``; ``a == b`` fills a constant."""

    type: Literal["Uniform"] = "Uniform"
    a: BoolNumber = 0
    b: BoolNumber = 1

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Uniform:
        if self.a > self.b:
            raise ValueError(f"'a' must not exceed 'b' (got a={self.a}, b={self.b})")
        return self


class Kaiming(WeightInit):
    """``kaiming_normal_``/``kaiming_uniform_``; ``a`` matters only for leaky_relu, where
    None is torch's default slope, 0.01."""

    fan_based: ClassVar[bool] = True
    type: Literal["Kaiming"] = "Kaiming"
    a: Number | None = 0
    mode: KaimingMode = "fan_out"
    nonlinearity: Nonlinearity = "relu"
    distribution: Distribution = "normal"


class Caffe2Xavier(WeightInit):
    """Kaiming uniform with a=1, fan_in, leaky_relu: the arguments are fixed."""

    fan_based: ClassVar[bool] = True
    fixed_arguments: ClassVar[frozenset[str]] = frozenset(
        {"a", "mode", "nonlinearity", "distribution"}
    )
    type: Literal["Caffe2Xavier"] = "Caffe2Xavier"


class Pretrained(BaseInit):
    """Load a checkpoint (optionally only the keys under ``prefix``).

    ``init_weights`` runs a module's Pretrained entries after its children only when the
    entry's type is spelled exactly ``Pretrained`` (or is the ``PretrainedInit`` class);
    a scoped spelling such as ``mmengine.Pretrained`` runs in order. ``deferred`` keeps
    that distinction, which the normalized ``type`` loses.
    """

    _deferred: bool = PrivateAttr(default=True)

    @property
    def deferred(self) -> bool:
        """Whether ``init_weights`` runs this entry after the module's children."""
        return self._deferred

    type: Literal["Pretrained"] = "Pretrained"
    checkpoint: StrictStr
    prefix: StrictStr | None = Field(default=None, min_length=1)
    map_location: StrictStr | None = "cpu"


BUILTIN_INITIALIZERS: tuple[type[BaseInit], ...] = (
    Constant,
    Xavier,
    Normal,
    TruncNormal,
    Uniform,
    Kaiming,
    Caffe2Xavier,
    Pretrained,
)

# No `Override.model_rebuild()` here: it would build every initializer's validator at
# import. `BaseInit` is resolved from this module when Override is first used.


def bias_from_prob(prob: float) -> float:
    """``-log((1 - p) / p)``, through numpy's log when present, as MMEngine's
    ``bias_init_with_prob`` computes it (libm and numpy may round the last bit
    differently). The one formula: :attr:`WeightInit.bias_value` and the planned bias
    fill both use it."""
    ratio = (1 - prob) / prob
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy ships with torch wheels
        import math

        return float(-math.log(ratio))
    return float(-numpy.log(ratio))
