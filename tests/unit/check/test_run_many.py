"""One ``validate_paths`` run over many configs: what it keeps for the run (the
installed packages, the collector paused) and what it leaves as it found it."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from initcfg.check.run import validate_paths
from initcfg.config.bases import package_root, package_roots_kept


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_found(tmp_path: Path, enabled: bool) -> None:
    for index in range(3):
        (tmp_path / f"c{index}.py").write_text(f"x = {index}\n")
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        result = validate_paths([str(tmp_path)])
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
    assert len(result.files) == 3


def test_a_failing_file_still_restores_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "c.py").write_text("x = 1\n")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("initcfg.check.run.load_tree", broken)
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        validate_paths([str(tmp_path)])
    assert gc.isenabled()


def test_package_roots_are_kept_only_inside_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    assert package_root("initcfg_late_pkg") is None
    with package_roots_kept():
        assert package_root("initcfg_late_pkg") is None
        package = tmp_path / "initcfg_late_pkg"
        package.mkdir()
        (package / "__init__.py").write_text("")
        import importlib

        importlib.invalidate_caches()
        # Installed after the run started: the run keeps what it saw.
        assert package_root("initcfg_late_pkg") is None
        with package_roots_kept():  # a nested block shares the outer one's answers
            assert package_root("initcfg_late_pkg") is None
    assert package_root("initcfg_late_pkg") == str(package)
    assert "initcfg_late_pkg" not in sys.modules


def test_the_merged_bases_are_built_only_for_a_fine_tune(tmp_path: Path) -> None:
    """``tree.base`` is a second copy of most of the config: validating a config that
    sets no ``load_from`` never builds it, and a fine-tune's comparison does."""
    from initcfg.check.validate import check_tree
    from initcfg.config.load import LoadedTree, load_tree

    (tmp_path / "base.py").write_text(
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02))\n"
    )
    plain = tmp_path / "plain.py"
    plain.write_text("_base_ = './base.py'\nx = 1\n")
    tuned = tmp_path / "tuned.py"
    tuned.write_text("_base_ = './base.py'\nload_from = 'ckpt.pth'\n")
    first, second = load_tree(plain), load_tree(tuned)
    assert isinstance(first, LoadedTree) and isinstance(second, LoadedTree)
    check_tree(first)
    found = check_tree(second)
    assert first.has_base and first._pending_base is not None
    assert second._pending_base is None and second.base is not None
    assert "IC310" in {d.code for d in found}  # the lr compared with the base's


def test_the_validate_command_run_in_process_leaves_the_collector_on(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from initcfg.cli import main

    (tmp_path / "c.py").write_text("x = 1\n")
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()


def test_a_huge_file_named_like_a_config_is_never_read_whole(tmp_path: Path) -> None:
    import tracemalloc

    from initcfg.check.base_lines import base_lines
    from initcfg.check.run import looks_like_code

    folder = tmp_path / "walk"
    folder.mkdir()
    for name in ("big.py", "big.yaml"):
        with open(folder / name, "wb") as stream:  # sparse: no disk used
            stream.write(b"_base_ = 'x.py'\ndef f(): pass\n")
            stream.truncate(256 * 1024 * 1024)
    tracemalloc.start()
    try:
        result = validate_paths([str(folder), str(folder / "big.yaml")])
        looked = looks_like_code(str(folder / "big.py")), base_lines(str(folder / "big.yaml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # at most the 16 MiB cap and its text, not 256 MiB
    assert looked == (False, ())  # too large to look at: loading says why
    assert sorted((d.code, Path(d.file or "").name) for d in result.diagnostics) == [
        ("IC001", "big.py"), ("IC001", "big.yaml")  # named twice, checked once
    ]
    assert all("larger than 16 MiB" in d.message for d in result.diagnostics)


def test_an_empty_path_is_an_error_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "c.yaml").write_text("model: {init_cfg: {type: Kaiming, layer: Conv2D}}\n")
    monkeypatch.chdir(tmp_path)
    result = validate_paths([""])
    assert result.files == []
    [problem] = result.diagnostics
    assert problem.code == "IC001" and "empty path" in problem.message


def test_skip_non_configs_applies_the_walks_rules_to_named_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = tmp_path / "helpers.py"
    helper.write_text("import torch\nclass MyHead:\n    pass\n")
    metafile = tmp_path / "metafile.yml"
    metafile.write_text("- Name: resnet\n")
    config = tmp_path / "c.yaml"
    config.write_text("model: {init_cfg: {type: Kaiming, layer: Conv2D}}\n")
    named = [str(helper), str(metafile), str(config)]
    checked = validate_paths(named)
    assert sorted({d.code for d in checked.diagnostics}) == ["IC005", "IC115", "IC201"]
    notes = tmp_path / "notes.txt"
    notes.write_text("not a config\n")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "site.py").write_text("x = 1\n")
    skipping = validate_paths([*named, str(notes)], skip_non_configs=True)
    assert skipping.files == [str(config)]
    monkeypatch.chdir(tmp_path)  # a relative path through a folder a walk skips
    assert validate_paths(["venv/site.py"], skip_non_configs=True).files == []
    assert validate_paths(["venv/site.py"]).files == ["venv/site.py"]
    assert [d.code for d in skipping.diagnostics] == ["IC115"]
    assert sorted(why for _, why in skipping.skipped) == ["not a config", "project code"]


def test_a_file_named_several_ways_is_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "a.yaml").write_text(
        "model: {init_cfg: {type: Kaiming, layer: Conv2D}}\n"
    )
    (tmp_path / "configs" / "b.yaml").write_text("x: 1\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "configs" / "a.yaml")
    named = ["configs/a.yaml", "./configs/a.yaml", "configs", str(tmp_path / "configs")]
    result = validate_paths([*named, "link.yaml"])
    # a symlink is its own config: its relative bases resolve from where it is
    assert result.files == ["configs/a.yaml", "configs/b.yaml", "link.yaml"]
    assert [d.code for d in result.diagnostics] == ["IC115", "IC115"]
