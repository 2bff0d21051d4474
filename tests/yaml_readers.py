"""The fast YAML reader beside the full one: the same values, and the same location
table for every container once the fast reader's tables are filled."""

from __future__ import annotations

import math
from typing import Any

from initcfg.config.yaml_loader import parse_yaml
from initcfg.diagnostics import Location

Tables = dict[int, dict[Any, Location]]


def full_read(text: str, file: str) -> tuple[Any, Tables, list[Any]]:
    """The full reader's value, its tables by container id, and its diagnostics."""
    tables: Tables = {}

    def record(container: object, key: Any, location: Location) -> None:
        tables.setdefault(id(container), {})[key] = location

    value, _, problems = parse_yaml(text, file, record)
    return value, tables, problems


def fast_read(text: str, file: str) -> tuple[Any, Tables, list[Any], bool]:
    """The reader a load uses (fast, or full after a fallback); whether it was fast."""
    recorded: Tables = {}
    given: Tables = {}

    def record(container: object, key: Any, location: Location) -> None:
        recorded.setdefault(id(container), {})[key] = location

    def put(container: object, table: dict[Any, Location]) -> None:
        given[id(container)] = table

    value, _, problems = parse_yaml(text, file, record, put=put)
    assert not (recorded and given)
    return value, (given or recorded), problems, bool(given)


def containers(a: Any, b: Any, out: list[tuple[Any, Any]]) -> None:
    """The pairs of containers of two equal values, in the order the readers build."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        out.append((a, b))
        for key in a:
            containers(a[key], b[key], out)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        out.append((a, b))
        for x, y in zip(a, b, strict=True):
            containers(x, y, out)
    else:
        assert type(a) is type(b)
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def assert_same_reading(text: str, file: str = "c.yaml") -> bool:
    """Both readers agree on ``text``; returns whether the fast reader took it."""
    full_value, full_tables, full_problems = full_read(text, file)
    fast_value, fast_tables, fast_problems, fast = fast_read(text, file)
    assert fast_problems == full_problems
    pairs: list[tuple[Any, Any]] = []
    containers(full_value, fast_value, pairs)
    for full_container, fast_container in pairs:
        expected = full_tables.get(id(full_container), {})
        got = fast_tables.get(id(fast_container), {})
        assert dict(got.items()) == expected, (file, expected, dict(got.items()))
    return fast
