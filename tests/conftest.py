"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from fixture_types import WriteFile
from openmmlab import make_torchvision_importable

REPO = Path(__file__).resolve().parents[1]

# No test may fail on machine speed: a loaded 2-core CI machine makes hypothesis's
# time-based checks (deadlines, "data generation is too slow") fire on correct code.
# Tests that pass their own `suppress_health_check` list must include `too_slow` too.
settings.register_profile(
    "initcfg", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("initcfg")
# The test extras install torchvision (for mmpretrain); MMEngine imports it when present.
make_torchvision_importable()


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write a file under tmp_path and return its path: ``write('a.yaml', text)``."""

    def _write(name: str, text: str) -> Path:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    return _write
