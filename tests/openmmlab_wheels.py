"""Real OpenMMLab wheels for the tests, fetched once and cached outside the repo.

``installed_wheel("mmdet", "3.3.0")`` runs ``pip install --no-deps --target`` into
``~/.cache/initcfg-corpus/site-mmdet-3.3.0`` (``INITCFG_CORPUS_CACHE`` overrides the
cache folder) and returns that folder: the real package with its ``dist-info``, so
MMEngine's ``pkg_resources`` look-up and initcfg's ``PathFinder`` look-up both find it
once the folder is on ``sys.path``. Nothing is installed into the test environment
itself and nothing lands in the repo. A machine that cannot reach the package index
skips the tests that need the wheel, with pip's own message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("INITCFG_CORPUS_CACHE", Path.home() / ".cache" / "initcfg-corpus"))


def installed_wheel(name: str, version: str) -> Path:
    """The folder holding ``name==version`` installed without its dependencies."""
    site = CACHE / f"site-{name}-{version}"
    if (site / f"{name}-{version}.dist-info" / "RECORD").is_file():
        return site
    CACHE.mkdir(parents=True, exist_ok=True)
    # Install into a private folder and rename it into place, so an interrupted run,
    # or two test processes at once, never leave a half-installed package behind.
    staging = CACHE / f"installing-{name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--no-compile", "--target", str(staging),
         f"{name}=={version}"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"cannot install {name}=={version}: {done.stderr.strip()[-300:]}")
    try:
        os.replace(staging, site)
    except OSError:  # another process installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return site


def put_on_path(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``site`` importable here and in subprocesses the test starts."""
    monkeypatch.syspath_prepend(str(site))
    previous = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), previous])))
