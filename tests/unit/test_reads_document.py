"""Past the schema, nothing reads the raw config values: check, plan and backend take
the typed Document (issue 12). Reading ``tree.location``, ``tree.path`` or
``tree.suppressions`` to place findings is fine; ``tree.get(...)`` and ``tree.data``
are not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import initcfg

_SRC = Path(initcfg.__file__).parent
_RAW_READ = re.compile(r"\btree\.get\(|\btree\.data\b")


def _raw_reads(package: str) -> list[str]:
    found = []
    for path in sorted((_SRC / package).rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _RAW_READ.search(line):
                found.append(f"{path.relative_to(_SRC)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize(
    "package",
    [
        "check",
        "backend",
        "plan",
        "cli",
    ],
)
def test_no_raw_config_reads(package: str) -> None:
    assert (_SRC / package).is_dir()
    assert _raw_reads(package) == []


def test_the_mmengine_hook_reads_no_raw_values() -> None:
    text = (_SRC / "mmengine.py").read_text(encoding="utf-8")
    assert _RAW_READ.search(text) is None


def test_the_pattern_catches_raw_reads() -> None:
    assert _RAW_READ.search('model = tree.data.get("model")')
    assert _RAW_READ.search("lr = tree.get(path)")
    assert _RAW_READ.search("place(found, tree.location, tree.path)") is None
