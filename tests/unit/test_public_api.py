"""The public names DESIGN.md promises, exactly, and torch only when asked for."""

from __future__ import annotations

import subprocess
import sys

import initcfg

PUBLIC = {
    "ConfigTree",
    "Diagnostic",
    "InitPlan",
    "InitReport",
    "TrainPlan",
    "compile_init_plan",
    "compile_train_plan",
    "init_weights",
    "initialize",
    "load_config",
    "schema",
    "validate",
    "validate_init_cfg",
}


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(initcfg.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(initcfg, name) is not None, name


def test_diagnostic_fields_match_the_contract() -> None:
    [found] = initcfg.validate_init_cfg({"type": "Kaiming", "layer": "Conv2d", "mode": "x"})
    assert {"code", "severity", "message", "path", "file", "line", "column", "hint"} <= set(
        found.__dataclass_fields__
    )
    assert (found.code, found.severity, found.path) == ("IC105", "error", "mode")


def test_importing_initcfg_does_not_import_torch() -> None:
    probe = "import sys, initcfg; initcfg.validate_init_cfg({}); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_dir_shows_only_the_public_api_and_the_version() -> None:
    from importlib.metadata import version

    assert set(dir(initcfg)) == PUBLIC | {"__version__"}
    assert initcfg.__version__ == version("initcfg")


def test_importing_initcfg_imports_nothing_heavy() -> None:
    probe = ("import sys, initcfg; print(sorted(m for m in ('pydantic', 'yaml', 'torch', "
             "'initcfg.schema') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr
