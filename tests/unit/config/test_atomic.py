"""The one atomic writer: modes as open() gives them, no folder made unasked, symlinks
replaced rather than written through. (The cause of a failed write, kept through
torch's rewording, is checked under a real file-size limit in tests/hostile.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from initcfg.config.atomic import stale_temp_files, write_atomic, write_bytes_atomic


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_mode_open_would_give(umask: int, tmp_path: Path) -> None:
    before = os.umask(umask)
    try:
        write_bytes_atomic(tmp_path / "new.bin", b"x")
        (tmp_path / "plain.bin").write_bytes(b"x")
    finally:
        os.umask(before)
    made = stat.S_IMODE((tmp_path / "new.bin").stat().st_mode)
    assert made == stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode) == 0o666 & ~umask


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_missing_folder_is_made_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "a" / "b.bin", lambda s: s.write(b"x"), create_folders=False)
    assert not (tmp_path / "a").exists()
    write_atomic(tmp_path / "a" / "b.bin", lambda s: s.write(b"x"))
    assert (tmp_path / "a" / "b.bin").read_bytes() == b"x"


def test_a_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    write_bytes_atomic(link, b"new")
    assert outside.read_text() == "keep" and not link.is_symlink() and link.read_bytes() == b"new"


def test_stale_temp_files_are_the_writers_names_only(tmp_path: Path) -> None:
    (tmp_path / ".epoch_1.pth.ab12cd34.tmp").write_bytes(b"")
    (tmp_path / ".notes.tmp").write_bytes(b"")
    (tmp_path / ".x.pth.zzzzzzzz.tmp").symlink_to(tmp_path / ".notes.tmp")
    assert [p.name for p in stale_temp_files(tmp_path)] == [".epoch_1.pth.ab12cd34.tmp"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    # The temp file is initcfg's own (not tempfile's): while it is written it is a new
    # file of the writer's pattern, beside the target, and a failure removes it.
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")
    seen: list[tuple[list[str], int]] = []

    def failing(stream: object) -> None:
        temps = [p.name for p in stale_temp_files(tmp_path)]
        seen.append((temps, stat.S_IMODE(os.stat(tmp_path / temps[0]).st_mode)))
        raise KeyboardInterrupt

    os.chmod(target, 0o640)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, failing)
    [(temps, mode)] = seen
    assert len(temps) == 1 and temps[0].startswith(".kept.bin.") and mode == 0o640
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.bin"]


def test_a_trailing_separator_names_the_file(tmp_path: Path) -> None:
    write_bytes_atomic(f"{tmp_path / 'out'}{os.sep}", b"x")  # as Path("out/") reads it
    assert (tmp_path / "out").read_bytes() == b"x"
    with pytest.raises(IsADirectoryError):
        write_bytes_atomic(f"{tmp_path}{os.sep}", b"x")
