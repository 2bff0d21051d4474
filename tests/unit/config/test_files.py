"""Reading config files: whole, exactly once, and nothing that is not a sane file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from initcfg.config import files
from initcfg.config.files import read_config_file, read_config_text


def test_reads_the_whole_text_with_its_status(tmp_path: Path) -> None:
    path = tmp_path / "c.py"
    path.write_text("name = 'Zürich'\n" * 5000, encoding="utf-8")
    text, status = read_config_file(str(path))
    assert text == path.read_text(encoding="utf-8")
    assert (status.st_size, status.st_mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)


def test_a_file_over_the_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_CONFIG_BYTES", 10)
    path = tmp_path / "c.py"
    path.write_text("x = 1\n" * 3)
    with pytest.raises(OSError) as raised:
        read_config_text(str(path))
    assert raised.value.errno == errno.EFBIG
    path.write_text("x = 1\n")
    assert read_config_text(str(path)) == "x = 1\n"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_file_that_reports_no_size_is_read_to_its_end() -> None:
    assert os.stat("/proc/self/status").st_size == 0
    text = read_config_text("/proc/self/status")
    assert text.startswith("Name:") and "Pid:" in text and text.endswith("\n")


def test_a_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(OSError) as raised:
        read_config_text(str(tmp_path))
    assert raised.value.errno in (errno.EINVAL, errno.EISDIR)
