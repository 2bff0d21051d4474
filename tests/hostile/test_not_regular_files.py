"""Bases and checkpoints that exist but are no regular file: a symlink loop, a folder, a
fifo, a device. Each is reported as what it is, at the line that names it, through the
CLI under the harness's limits (a fifo opened for reading would block forever); none is
called missing, with a "did you mean" that names the very same file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import Inputs, run_limited

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos and links")


def _loop(path: Path) -> None:
    path.symlink_to(path)


def _pair(path: Path) -> None:
    other = path.with_name("other.py")
    path.symlink_to(other)
    other.symlink_to(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "symlink_loop": (_loop, "its symbolic links form a loop"),
    "symlink_pair": (_pair, "its symbolic links form a loop"),
    "folder": (_folder, "it is a folder"),
    "fifo": (_fifo, "it is not a regular file"),
    "device": (_device, "it is not a regular file"),
}


@pytest.mark.parametrize("suffix", [".py", ".yaml"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_base_that_is_no_file_is_ic001_at_the_line_naming_it(
    kind: str, suffix: str, tmp_path: Path
) -> None:
    make, says = KINDS[kind]
    make(tmp_path / f"base{suffix}")
    config = tmp_path / f"c{suffix}"
    config.write_text(f"_base_ = ['./base{suffix}']\n" if suffix == ".py"
                      else f"_base_: ./base{suffix}\n")
    inputs = Inputs([config, tmp_path / f"base{suffix}"])
    outcome = run_limited(["validate", str(config)], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(2,))  # an input that cannot be read
    assert f"{config}:1:" in outcome.output and "error[IC001]" in outcome.output
    assert says in outcome.output and "IC202" not in outcome.output
    assert "did you mean" not in outcome.output
    inputs.assert_unchanged()


@pytest.mark.parametrize("kind", ["symlink_loop", "folder", "fifo", "device"])
def test_a_checkpoint_that_is_no_file_is_ic409_saying_what_it_is(
    kind: str, tmp_path: Path
) -> None:
    make, says = KINDS[kind]
    checkpoint = tmp_path / "weights.pth"
    make(checkpoint)
    (tmp_path / "factory.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    config = tmp_path / "c.py"
    config.write_text(f"model = dict(type='factory:build')\nload_from = '{checkpoint}'\n")
    outcome = run_limited(["plan", str(config), "--apply"], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(1,))
    assert "error[IC409]" in outcome.output and says in outcome.output
    assert "does not exist" not in outcome.output


def test_the_registered_names_scan_skips_a_fifo_among_sources_and_as_its_cache(
    tmp_path: Path,
) -> None:
    # The scan of an installed package's source (for registry type names) and its cache
    # in ~/.cache read regular files only: either a fifo would block the run forever.
    import subprocess
    import sys

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "heads.py").write_text(
        "from mmengine.registry import MODELS\n\n@MODELS.register_module()\n"
        "class MyHead:\n    pass\n")
    os.mkfifo(package / "stuck.py")
    probe = (
        "import sys\nfrom initcfg.check import registered\n"
        f"names = registered._scan({str(package)!r})\n"
        "print(sorted(names.models))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):  # the second run finds the cache the first one wrote
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, timeout=120, check=True)
        assert "MyHead" in done.stdout
    [cache] = (tmp_path / "cache" / "initcfg" / "registered").glob("pkg-*.json")
    cache.unlink()
    os.mkfifo(cache)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    assert "MyHead" in done.stdout


def test_a_base_whose_name_holds_a_nul_is_ic001_not_a_traceback(tmp_path: Path) -> None:
    # A Python string literal may hold "\x00"; os.stat raises ValueError for it, not
    # OSError.
    config = tmp_path / "c.py"
    config.write_text("_base_ = ['./base\\x00.py']\n")
    outcome = run_limited(["validate", str(config)], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(2,))
    assert f"{config}:1:" in outcome.output and "error[IC001]" in outcome.output
    assert "NUL character" in outcome.output


def test_a_checkpoint_whose_name_holds_a_nul_is_ic409_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "factory.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='factory:build')\nload_from = 'weights\\x00.pth'\n")
    outcome = run_limited(["plan", str(config), "--apply"], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(1,))
    assert f"{config}:2:1: error[IC409]" in outcome.output and "NUL character" in outcome.output


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink_loop"])
def test_a_factory_file_that_is_no_file_is_named_as_what_it_is(
    kind: str, tmp_path: Path
) -> None:
    # It was "no such file 'model.py'" beside a folder or fifo of that very name.
    make, says = KINDS[kind]
    make(tmp_path / "model.py")
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='model.py:build')\n")
    outcome = run_limited(["plan", str(config)], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(2,))
    assert f"{config}:1:" in outcome.output and says in outcome.output
    assert "no such file" not in outcome.output
