"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmmlab import make_torchvision_importable

REPO = Path(__file__).resolve().parents[1]

# The test extras install torchvision (for mmpretrain); MMEngine imports it when present.
make_torchvision_importable()


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a file under tmp_path and return its path: ``write('a.yaml', text)``."""

    def _write(name: str, text: str) -> Path:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    return _write
