"""Real OpenMMLab packages for the checks that depend on them (``mmdet::`` bases, the
names a scope package registers), installed from their wheels, never imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmmlab_wheels import installed_wheel, put_on_path


@pytest.fixture
def mmdet_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The folder holding the real mmdet 3.3.0 (``--no-deps``), on ``sys.path`` for this
    test; the registered-names cache goes to the test's own folder."""
    site = installed_wheel("mmdet", "3.3.0")
    put_on_path(site, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return site


@pytest.fixture
def mmpretrain_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The real mmpretrain 1.2.0 (``--no-deps``), like ``mmdet_site``."""
    site = installed_wheel("mmpretrain", "1.2.0")
    put_on_path(site, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return site
