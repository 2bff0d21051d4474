"""The real MMDetection 3.3.0 config corpus, downloaded once and cached outside the repo.

``mmdet_configs`` (session fixture) is the ``Path`` of ``.../mmdet/.mim/configs``;
``mmdet_config_files`` lists the configs outside ``_base_`` folders, the ones a user
would train with. The wheel comes from ``pip download --no-deps mmdet==3.3.0`` into
``~/.cache/initcfg-corpus`` (``INITCFG_CORPUS_CACHE`` overrides it); only
``mmdet/.mim`` is unpacked. Nothing is installed and nothing lands in the repo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("INITCFG_CORPUS_CACHE", Path.home() / ".cache" / "initcfg-corpus"))
WHEEL = "mmdet-3.3.0-py3-none-any.whl"


def _unpacked() -> Path:
    return CACHE / "unpacked"


def corpus_configs() -> Path:
    """Download (once) and unpack (once) the wheel; the ``configs`` folder."""
    configs = _unpacked() / "mmdet" / ".mim" / "configs"
    if (configs / "_base_" / "default_runtime.py").is_file():
        return configs
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / WHEEL
    if not wheel.is_file():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "mmdet==3.3.0", "-d", str(CACHE)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0 or not wheel.is_file():
            pytest.skip(f"cannot download mmdet==3.3.0: {done.stderr.strip()[-300:]}")
    # Unpack into a temporary folder and rename, so an interrupted run never leaves a
    # half-unpacked corpus that later runs would take for complete.
    staging = CACHE / f"unpacking-{os.getpid()}"
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith("mmdet/.mim/")]
        archive.extractall(staging, members)
    try:
        os.replace(staging, _unpacked())
    except OSError:  # another process unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return configs


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
