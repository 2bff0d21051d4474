"""initcfg.errors: one root, every public error, the exit statuses defined once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from initcfg import errors
from initcfg.diagnostics import diagnostic

PUBLIC = [
    "ConfigLoadError", "InitError", "InitCfgError", "InitCfgKeyError", "CheckpointError",
    "FactoryError", "TrainError",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_error_has_the_one_root(name: str) -> None:
    assert issubclass(getattr(errors, name), errors.InitcfgError)


def test_old_import_paths_name_the_same_classes() -> None:
    from initcfg.backend.torch import CheckpointError, InitCfgError, InitError
    from initcfg.errors import ConfigLoadError, FactoryError, InitCfgKeyError, TrainError

    assert (InitError, InitCfgError, InitCfgKeyError, CheckpointError) == (
        errors.InitError, errors.InitCfgError, errors.InitCfgKeyError, errors.CheckpointError
    )
    assert (TrainError, ConfigLoadError, FactoryError) == (
        errors.TrainError, errors.ConfigLoadError, errors.FactoryError
    )


def test_the_builtin_bases_stay() -> None:
    assert issubclass(errors.ConfigLoadError, ValueError)
    assert issubclass(errors.InitError, ValueError)
    assert issubclass(errors.InitCfgKeyError, KeyError)
    assert issubclass(errors.FactoryError, ValueError)


def test_exit_codes() -> None:
    assert (errors.EXIT_CLEAN, errors.EXIT_ERRORS, errors.EXIT_USAGE) == (0, 1, 2)
    assert errors.EXIT_INTERRUPTED == 130
    assert errors.ConfigLoadError("c.py", []).exit_code == errors.EXIT_USAGE
    assert errors.FactoryError("no").exit_code == errors.EXIT_USAGE
    assert errors.InitError("no").exit_code == errors.EXIT_ERRORS
    assert errors.TrainError("stop", exit_code=130).exit_code == 130


def test_error_for_picks_the_class_by_the_code_group() -> None:
    grammar = diagnostic("IC102", "no type", ("init_cfg",))
    checkpoint = diagnostic("IC409", "cannot read", ("init_cfg",))
    assert errors.error_for([], "x") is None
    assert type(errors.error_for([grammar, checkpoint], "x")) is errors.InitCfgError
    assert type(errors.error_for([checkpoint], "x")) is errors.CheckpointError


def test_errors_needs_no_torch() -> None:
    code = "import sys, initcfg.errors; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
