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
from initcfg.schema import cache as schema_cache

CACHE_FILE = schema_cache._CACHE_FILE

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


def _parts(kept: Path) -> tuple[str, dict[str, str]]:
    """The stamp and texts of a cache file, through the reader's own checks."""
    data = kept.read_bytes()
    body = data.split(b"\n", 2)[2]
    return schema_cache._parse_body(body.decode("utf-8"))


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
    # A stamp that no longer matches (a schema source changed) is built afresh, however
    # well formed the file that holds it.
    [kept] = tmp_path.glob(f"initcfg/schema/*/{CACHE_FILE}")
    stamp, texts = _parts(kept)
    path, _, _ = stamp.splitlines()[1].partition("\0")
    stale = stamp.replace(stamp.splitlines()[1], f"{path}\0{0}\0{0}")
    kept.write_bytes(schema_cache._cache_bytes(texts, stale))
    assert _probe(tmp_path) == ("BUILT", committed)
    assert _parts(kept)[0] == stamp


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
    [kept] = cache.glob(f"initcfg/schema/*/{CACHE_FILE}")
    stamp = _parts(kept)[0]
    assert str(root / "initcfg" / "schema" / "registry.py") in stamp
    assert "pydantic" + os.sep + "main.py" in stamp
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
    assert not list(cache.rglob(CACHE_FILE))
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

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not schema_cache._cacheable()
    assert set(schema_cache.schema_texts()) == set(schema_cache.SCHEMA_FILES)
    assert not list(tmp_path.rglob(CACHE_FILE))


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


def _valid_file(folder: Path) -> tuple[Path, dict[str, str]]:
    """A cache file as the writer makes it, stamped with one file that stays unchanged."""
    source = folder / "source.py"
    source.write_text("x = 1\n")
    line = schema_cache._file_line(str(source))
    assert line is not None
    texts = {name: f'{{"title": "{name}", "é": "ü"}}\n' for name in schema_cache.SCHEMA_FILES}
    schema_cache._write_cache(str(folder), texts, f"{schema_cache._python()}\n{line}\n")
    return folder / CACHE_FILE, texts


def _rewrite(kept: Path, body: bytes, header: bytes | None = None) -> None:
    """A file with a correct checksum over ``body``: only the reader's parsing refuses it."""
    import zlib

    first = header if header is not None else schema_cache._HEADER.encode()
    kept.write_bytes(b"%s\n%08x\n%s" % (first, zlib.crc32(body), body))


def _cut(kept: Path, keep: float) -> None:
    data = kept.read_bytes()
    kept.write_bytes(data[: int(len(data) * keep)])


def _flip(kept: Path, at: float) -> None:
    data = bytearray(kept.read_bytes())
    data[int(len(data) * at)] ^= 0x01
    kept.write_bytes(bytes(data))


def _other_checksum(kept: Path) -> None:
    header, checksum, body = kept.read_bytes().split(b"\n", 2)
    kept.write_bytes(b"%s\n%08x\n%s" % (header, int(checksum, 16) ^ 1, body))


def _replace_with(make: str) -> object:
    def damage(kept: Path) -> None:
        kept.unlink()
        if make == "folder":
            kept.mkdir()
        elif make == "fifo":
            os.mkfifo(kept)
        elif make == "device":
            kept.symlink_to("/dev/zero")
        elif make == "loop":
            kept.symlink_to(kept)

    return damage


# Each a way a cache file ends up torn, corrupt or foreign; every one must read as no
# cache (and a rebuild), never as texts, an exception or a hang.
DAMAGE = {
    "torn_half": lambda kept: _cut(kept, 0.5),
    "torn_last_byte": lambda kept: kept.write_bytes(kept.read_bytes()[:-1]),
    "header_only": lambda kept: kept.write_bytes(kept.read_bytes().split(b"\n")[0]),
    "empty": lambda kept: kept.write_bytes(b""),
    "flipped_in_stamp": lambda kept: _flip(kept, 0.3),
    "flipped_in_texts": lambda kept: _flip(kept, 0.9),
    "other_checksum": lambda kept: _other_checksum(kept),
    "appended": lambda kept: kept.write_bytes(kept.read_bytes() + b"\n"),
    "garbage": lambda kept: kept.write_bytes(os.urandom(4096)),
    "nul_bytes": lambda kept: kept.write_bytes(b"\0" * 4096),
    "old_version_header": lambda kept: _rewrite(
        kept, kept.read_bytes().split(b"\n", 2)[2], b"initcfg schema cache 2"),
    "foreign_json": lambda kept: _rewrite(kept, b'{"stamp": [], "texts": {}}'),
    "one_text_missing": lambda kept: _rewrite(
        kept, b"".join(f"{len(p)}:{p}".encode() for p in ("s", "t"))),
    "one_text_extra": lambda kept: _rewrite(
        kept, b"".join(f"{len(p)}:{p}".encode() for p in ("s", "t", "u", "v"))),
    "length_past_the_end": lambda kept: _rewrite(kept, b"999999:abc"),
    "negative_length": lambda kept: _rewrite(kept, b"-1:abc"),
    "huge_length": lambda kept: _rewrite(kept, b"9" * 40 + b":abc"),
    "not_utf8": lambda kept: _rewrite(kept, b"3:\xff\xfe\xfd3:abc3:abc"),
    "other_python": lambda kept: _rewrite(
        kept, b"".join(f"{len(p)}:{p}".encode() for p in ("2.7.18\n", "{}", "{}"))),
    "no_stamp_lines": lambda kept: _rewrite(kept, b"0:2:{}2:{}"),
    "folder": _replace_with("folder"),
    "fifo": _replace_with("fifo"),
    "device": _replace_with("device"),
    "symlink_loop": _replace_with("loop"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_torn_corrupt_or_foreign_cache_file_reads_as_no_cache(
    damage: str, tmp_path: Path
) -> None:
    kept, texts = _valid_file(tmp_path)
    assert schema_cache._read_cache(str(tmp_path)) == texts  # the undamaged file is read
    DAMAGE[damage](kept)  # type: ignore[operator]
    assert schema_cache._read_cache(str(tmp_path)) is None


def test_the_stamp_lives_in_the_file_it_vouches_for(tmp_path: Path) -> None:
    # The texts and their stamp cannot disagree: rewriting the cache writes one file,
    # and a stamp left behind by the layout before it (a file of its own) is not read.
    _, texts = _valid_file(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CACHE_FILE, "source.py"])
    (tmp_path / "stamp").write_text("anything\n")
    assert schema_cache._read_cache(str(tmp_path)) == texts
    # A stamped file that changes invalidates the texts written with it.
    _edit(tmp_path / "source.py", "x = 2\n")
    assert schema_cache._read_cache(str(tmp_path)) is None


@pytest.mark.parametrize("damage", ["torn_half", "flipped_in_texts", "garbage", "fifo"])
def test_a_damaged_cache_is_rebuilt_and_replaced(damage: str, tmp_path: Path) -> None:
    committed = "".join(
        (REPO / "schema" / name).read_text() for name in schema_cache.SCHEMA_FILES
    )
    assert _probe(tmp_path) == ("BUILT", committed)
    [kept] = tmp_path.glob(f"initcfg/schema/*/{CACHE_FILE}")
    DAMAGE[damage](kept)  # type: ignore[operator]
    assert _probe(tmp_path) == ("BUILT", committed)
    if damage == "fifo":  # not replaced (the writer refuses to put a file over one)
        assert not kept.is_file()
        return
    assert _probe(tmp_path) == ("CACHED", committed)


@pytest.mark.parametrize("odd", ["\u2028", "\x85", "\x1c"])
def test_a_stamped_path_with_a_unicode_line_break_still_reads(odd: str, tmp_path: Path) -> None:
    # str.splitlines() breaks lines at these too: a stamp split that way never matched
    # such a path, so the cache was rebuilt on every run.
    source = tmp_path / f"pkg{odd}source.py"
    source.write_text("x = 1\n")
    line = schema_cache._file_line(str(source))
    assert line is not None
    texts = {name: "{}\n" for name in schema_cache.SCHEMA_FILES}
    schema_cache._write_cache(str(tmp_path), texts, f"{schema_cache._python()}\n{line}\n")
    assert schema_cache._read_cache(str(tmp_path)) == texts
