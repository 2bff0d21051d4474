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

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("INITCFG_CORPUS_CACHE", Path.home() / ".cache" / "initcfg-corpus"))


def installed_wheel(name: str, version: str) -> Path:
    """The folder holding ``name==version`` installed without its dependencies."""
    site = CACHE / f"site-{name}-{version}"
    if _installed(site, name, version):
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
    _move_into_place(staging, site, name, version)
    return site


def _installed(site: Path, name: str, version: str) -> bool:
    """Whether ``site`` holds the finished install of ``name==version``: its
    ``.dist-info`` folder with the ``RECORD`` pip writes. The folder is named by the
    wheel's escaped project name (``mmcv_lite-2.1.0.dist-info`` for ``mmcv-lite``), not
    as the requirement spells it, so the names are compared normalized; compared as
    spelled, a cached mmcv-lite was never found and every run installed it again (and
    skipped its test on a machine without the package index)."""
    for record in site.glob("*.dist-info/RECORD"):
        project, _, found = record.parent.name.removesuffix(".dist-info").rpartition("-")
        if _normalized(project) == _normalized(name) and found == version:
            return True
    return False


def _normalized(name: str) -> str:
    """A project name as PEP 503 compares them: case and runs of ``-_.`` ignored."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _move_into_place(staging: Path, site: Path, name: str, version: str) -> None:
    """Rename the finished ``staging`` folder to ``site``.

    A ``site`` folder that is there but is not a finished install (left by hand, or
    thinned by a tool that cleans caches file by file) would otherwise be used as it is
    by every later run: it is moved aside and replaced.
    """
    for _ in range(2):
        try:
            os.replace(staging, site)
            return
        except OSError:  # site exists and is not empty
            if _installed(site, name, version):  # another process installed it first
                shutil.rmtree(staging, ignore_errors=True)
                return
        broken = site.with_name(f"broken-{site.name}-{os.getpid()}")
        with contextlib.suppress(OSError):  # gone already: another process moved it
            os.replace(site, broken)
        shutil.rmtree(broken, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    pytest.fail(f"cannot put {staging.name} in place of {site}: it keeps reappearing")


def put_on_path(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``site`` importable here and in subprocesses the test starts."""
    monkeypatch.syspath_prepend(str(site))
    previous = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), previous])))
