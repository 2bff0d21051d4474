"""`initcfg schema` reuses the text it built while its sources are unchanged, and the
entry-point text scan that decides whether it may."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from initcfg.cli import schema as schema_cli
from initcfg.config.distributions import may_declare_entry_points

REPO = Path(__file__).resolve().parents[3]
PROBE = (
    "import sys\n"
    "from initcfg.cli.schema import schema_texts\n"
    "texts = schema_texts()\n"
    "print('BUILT' if 'initcfg.schema.initializers' in sys.modules else 'CACHED')\n"
    "sys.stdout.write(texts['init_cfg.schema.json'] + texts['config.schema.json'])\n"
)


def _probe(cache: Path) -> tuple[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, check=True)
    how, _, text = done.stdout.partition("\n")
    return how, text


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


def test_no_cache_once_the_registry_is_loaded(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import initcfg.schema.registry  # noqa: F401  (types may have been registered here)

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert schema_cli._stamp() is None
    schema_cli.schema_texts()
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
