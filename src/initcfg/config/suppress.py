"""Inline suppressions: ``# initcfg: ignore[IC115,IC119]`` on the line of a value."""

from __future__ import annotations

import re

_SUPPRESSION = re.compile(r"#\s*initcfg:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


def find_suppressions(text: str) -> dict[int, set[str]]:
    """Line (1-based) → codes silenced on it. A comment cannot be told from a ``#``
    inside a string by a regex, which only ever makes a suppression too eager to apply
    on a line that already says ``initcfg: ignore``."""
    found: dict[int, set[str]] = {}
    if "initcfg:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), 1):
        match = _SUPPRESSION.search(line)
        if match:
            codes = {code.strip().upper() for code in match.group(1).split(",") if code.strip()}
            found[number] = codes
    return found
