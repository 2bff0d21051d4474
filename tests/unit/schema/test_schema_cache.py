"""The schema texts are reused while the code that built them is unchanged, and the
entry-point text scan that decides whether they may be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import initcfg
from initcfg.config.distributions import may_declare_entry_points

REPO = Path(__file__).resolve().parents[3]
PROBE = (
    "import sys\n"
    "from initcfg.schema.cache import schema_texts\n"
    "texts = schema_texts()\n"
    "heavy = [m for m in ('pydantic', 'initcfg.schema.initializers') if m in sys.modules]\n"
    "print('BUILT' if heavy else 'CACHED')\n"
    "sys.stdout.write(texts['init_cfg.schema.json'] + texts['config.schema.json'])\n"
)


def _probe(cache: Path, package_root: Path | None = None) -> tuple[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    if package_root is not None:
        env["PYTHONPATH"] = str(package_root)
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, check=True)
    how, _, text = done.stdout.partition("\n")
    return how, text


def _edit(path: Path, text: str) -> None:
    # An edit made before the run, as an upgrade or a checkout makes it: a file changed
    # within seconds of a build is not cached (see the test of that below).
    import time

    path.write_text(text)
    past = time.time() - 10
    os.utime(path, (past, past))


def test_the_second_run_reads_the_cache_and_both_equal_the_committed_files(
    tmp_path: Path,
) -> None:
    committed = "".join(
        (REPO / "schema" / name).read_text() for name in ("init_cfg.schema.json",
                                                          "config.schema.json")
    )
    assert _probe(tmp_path) == ("BUILT", committed)
    assert _probe(tmp_path) == ("CACHED", committed)
    # A stamp that no longer matches (a schema source changed) is built afresh.
    [stamp] = tmp_path.glob("initcfg/schema/*/stamp")
    stamp.write_text(stamp.read_text() + "changed\n")
    assert _probe(tmp_path) == ("BUILT", committed)


def test_a_changed_package_file_rebuilds_the_texts(tmp_path: Path) -> None:
    # A copy of the package, edited the way an upgrade or a checkout would: a model's
    # docstring is its schema description, so the new text must show.
    root = tmp_path / "src"
    shutil.copytree(Path(initcfg.__file__).parent, root / "initcfg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    how, before = _probe(cache, root)
    assert how == "BUILT" and '"description": "``normal_(mean, std)``."' in before
    assert _probe(cache, root) == ("CACHED", before)
    source = root / "initcfg" / "schema" / "initializers.py"
    text = source.read_text()
    assert '"""``normal_(mean, std)``."""' in text
    _edit(source, text.replace('"""``normal_(mean, std)``."""', '"""Edited."""'))
    how, after = _probe(cache, root)
    assert how == "BUILT" and '"description": "Edited."' in after and after != before
    assert _probe(cache, root) == ("CACHED", after)
    # A module the texts do not come from, but that was loaded while they were built,
    # counts too (the stamp is every loaded file of initcfg and Pydantic, not a guess).
    [stamp] = cache.glob("initcfg/schema/*/stamp")
    assert str(root / "initcfg" / "schema" / "registry.py") in stamp.read_text()
    assert "pydantic" + os.sep + "main.py" in stamp.read_text()
    registry = root / "initcfg" / "schema" / "registry.py"
    _edit(registry, registry.read_text() + "\n# touched\n")
    assert _probe(cache, root) == ("BUILT", after)


def test_a_file_changed_while_the_texts_were_built_is_not_stamped(tmp_path: Path) -> None:
    # The stamp is taken after the build: a file edited between its import and that
    # moment (a checkout during the run) would be stamped as new beside texts built
    # from the old code, and served until its next edit. A file changed since the
    # build began is not cached; an mtime ahead of the clock reads as such a change.
    import time

    root = tmp_path / "src"
    shutil.copytree(Path(initcfg.__file__).parent, root / "initcfg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    source = root / "initcfg" / "schema" / "initializers.py"
    ahead = time.time() + 60
    os.utime(source, (ahead, ahead))
    assert _probe(cache, root)[0] == "BUILT"
    assert _probe(cache, root)[0] == "BUILT"
    assert not list(cache.rglob("stamp"))
    past = time.time() - 60
    os.utime(source, (past, past))
    assert _probe(cache, root)[0] == "BUILT"
    assert _probe(cache, root)[0] == "CACHED"


def test_another_pydantic_on_the_path_is_not_served_the_texts_of_the_first(
    tmp_path: Path,
) -> None:
    # Two environments sharing one initcfg (an editable install in two venvs, or a
    # PYTHONPATH) share a cache folder: the texts built with one Pydantic must not be
    # served where another one would build them.
    import pydantic

    cache = tmp_path / "cache"
    how, first = _probe(cache)
    assert how == "BUILT" and '"title": "Layer"' in first
    site = tmp_path / "site"
    shutil.copytree(Path(pydantic.__file__).parent, site / "pydantic",
                    ignore=shutil.ignore_patterns("__pycache__"))
    source = site / "pydantic" / "json_schema.py"
    text = source.read_text()
    line = "return name.title().replace('_', ' ').strip()"
    assert line in text
    _edit(source, text.replace(line, "return name.upper()"))
    how, other = _probe(cache, site)
    assert how == "BUILT" and '"title": "LAYER"' in other
    # Both stay valid: each environment reads the texts its own Pydantic built.
    assert _probe(cache, site) == ("CACHED", other)
    assert _probe(cache) == ("CACHED", first)


def test_no_cache_once_the_registry_is_loaded(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import initcfg.schema.registry  # noqa: F401  (types may have been registered here)
    from initcfg.schema import cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not cache._cacheable()
    assert set(cache.schema_texts()) == set(cache.SCHEMA_FILES)
    assert not list(tmp_path.rglob("stamp"))


def test_entry_point_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "plain-1.0.dist-info").mkdir(parents=True)
    (site / "plain-1.0.dist-info" / "entry_points.txt").write_text(
        "[console_scripts]\nplain = plain:main\n"
    )
    (site / "nothing-1.0.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(site), str(tmp_path / "missing")])
    assert not may_declare_entry_points("initcfg.initializers")
    (site / "mine-1.0.egg-info").mkdir()
    (site / "mine-1.0.egg-info" / "entry_points.txt").write_text(
        "[initcfg.initializers]\ndirac = mine:Dirac\n"
    )
    assert may_declare_entry_points("initcfg.initializers")
    archive = tmp_path / "packages.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert may_declare_entry_points("initcfg.initializers")  # a zip cannot be scanned
