"""The real MMDetection 3.3.0 config corpus, installed once and cached outside the repo.

``mmdet_configs`` (session fixture) is the ``Path`` of ``.../mmdet/.mim/configs`` inside
the real mmdet 3.3.0 wheel, installed with ``--no-deps`` into a cached folder by
``tests/openmmlab_wheels.py``; ``mmdet_config_files`` lists the configs outside ``_base_``
folders, the ones a user would train with. ``mmdet_installed`` (per test) also puts that
folder on ``sys.path`` and ``PYTHONPATH``, so ``mmdet::`` bases resolve for MMEngine and
initcfg alike, as they do where mmdet is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openmmlab_wheels import installed_wheel, put_on_path


def corpus_configs() -> Path:
    """Install (once) the mmdet 3.3.0 wheel; its ``configs`` folder."""
    return installed_wheel("mmdet", "3.3.0") / "mmdet" / ".mim" / "configs"


def config_files(configs: Path) -> list[Path]:
    """The configs of the corpus that are not in a ``_base_`` folder, sorted."""
    return sorted(
        path for path in configs.rglob("*.py") if "_base_" not in path.relative_to(configs).parts
    )


@pytest.fixture(scope="session")
def mmdet_configs() -> Path:
    """``.../mmdet/.mim/configs`` of MMDetection 3.3.0."""
    return corpus_configs()


@pytest.fixture(scope="session")
def mmdet_config_files(mmdet_configs: Path) -> list[Path]:
    """Every config under ``mmdet_configs`` outside ``_base_`` folders (823 files)."""
    return config_files(mmdet_configs)


@pytest.fixture
def mmdet_installed(mmdet_configs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mmdet 3.3.0 package folder, importable for this test and its subprocesses."""
    put_on_path(mmdet_configs.parents[2], monkeypatch)
    return mmdet_configs.parents[1]
