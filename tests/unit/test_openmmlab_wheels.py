"""The wheel cache of ``tests/openmmlab_wheels.py``: what is cached is found again
without the package index, and a folder that is not a finished install is replaced.

A wheel made here stands for the real ones, and pip installs it from a local folder
with the index switched off, so these tests need no network.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import openmmlab_wheels
from openmmlab_wheels import installed_wheel

# Spelled as mmcv-lite is: the wheel's .dist-info folder escapes the name differently.
PROJECT = "initcfg-probe.wheel"
ESCAPED = "initcfg_probe_wheel"


def _make_wheel(folder: Path) -> Path:
    """A pure-Python wheel of PROJECT 1.0 with one module, in ``folder``."""
    info = f"{ESCAPED}-1.0.dist-info"
    files = {
        f"{ESCAPED}.py": "ANSWER = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    folder.mkdir()
    wheel = folder / f"{ESCAPED}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(name, text)
    return wheel


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The wheel in a folder pip installs from (and nothing else); the cache empty."""
    wheel = _make_wheel(tmp_path / "wheels")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel.parent))
    monkeypatch.setattr(openmmlab_wheels, "CACHE", tmp_path / "cache")
    return wheel


def _installed_or_fail(name: str, version: str) -> Path:
    # installed_wheel skips the test when pip cannot install: here that means it did
    # not find what is cached, which is the failure under test.
    try:
        return installed_wheel(name, version)
    except pytest.skip.Exception as skipped:
        pytest.fail(f"the cache was not used; pip ran again: {skipped}")


def test_a_cached_wheel_whose_dist_info_escapes_its_name_is_reused(local_index: Path) -> None:
    site = _installed_or_fail(PROJECT, "1.0")
    assert (site / f"{ESCAPED}-1.0.dist-info" / "RECORD").is_file()
    local_index.unlink()  # from now on pip cannot install it
    assert _installed_or_fail(PROJECT, "1.0") == site
    assert (site / f"{ESCAPED}.py").read_text() == "ANSWER = 42\n"


def test_a_site_folder_that_is_not_a_finished_install_is_replaced(local_index: Path) -> None:
    site = openmmlab_wheels.CACHE / f"site-{PROJECT}-1.0"
    (site / "leftover").mkdir(parents=True)
    (site / "leftover" / "half.py").write_text("")
    assert _installed_or_fail(PROJECT, "1.0") == site
    assert (site / f"{ESCAPED}-1.0.dist-info" / "RECORD").is_file()
    assert (site / f"{ESCAPED}.py").is_file()
    assert not (site / "leftover").exists()
    # Nothing is left beside it: no staging folder, no folder moved aside.
    assert sorted(p.name for p in openmmlab_wheels.CACHE.iterdir()) == [site.name]
