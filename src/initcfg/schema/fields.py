"""Field types and coercions shared by the fine-tune models (MMEngine's number rules)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AllowInfNan,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
)

# MMEngine's default `end` of a parameter scheduler ("until the run stops").
INF = 1_000_000_000

_MMENGINE_SCOPE = "mmengine."


def _int_to_float(value: Any) -> Any:
    # Configs write `lr=1` or `gamma=1`; torch takes both, but a bool or a string is a
    # mistake, so only a real int is widened.
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _integral_float_to_int(value: Any) -> Any:
    # Loop lengths and intervals are often computed (`57300.0`); MMEngine accepts a
    # float whose value is whole (it asserts int(max_epochs) == max_epochs).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _only_float(value: Any) -> Any:
    if not isinstance(value, float):
        raise ValueError(f"must be a float, as MMEngine checks (got {value!r})")
    return value


# Finite only: torch takes lr=inf or gamma=nan without a word, and the run's weights
# are NaN after the first step; a plan's JSON would also write such a rate as null.
Real = Annotated[StrictFloat, BeforeValidator(_int_to_float), AllowInfNan(False)]
Int = StrictInt
Count = Annotated[StrictInt, BeforeValidator(_integral_float_to_int)]
Bool = StrictBool

# defer_build on every model here: a validator is built when a config first uses its
# section, not at import (most configs set a few of these sections; `--help` none).
_FORBID = ConfigDict(extra="forbid", frozen=True, defer_build=True)
