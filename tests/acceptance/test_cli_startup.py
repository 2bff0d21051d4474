"""`initcfg --help` lists every command without importing any of them."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from cli_probe import print_loaded, probe_cli
from initcfg.cli import _COMMANDS, main


def test_help_lists_each_command_with_its_own_first_line() -> None:
    context = click.Context(main)
    for name, (_, listed) in _COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None and command.help is not None
        own = " ".join(command.help.split("\n\n")[0].split())
        assert own.startswith(listed.rstrip(".")), (name, listed, own)
    shown = CliRunner().invoke(main, ["--help"])
    assert shown.exit_code == 0
    assert all(name in shown.output for name in _COMMANDS)


def test_help_and_import_stay_cheap() -> None:
    heavy = ("pydantic", "yaml", "torch", "initcfg.schema", "initcfg.check.validate")
    done = probe_cli(["--help"], print_loaded("HEAVY", heavy))
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_validate_builds_only_what_the_config_uses(tmp_path: Path) -> None:
    # No Pydantic plugin scan and no entry-point look-up through importlib.metadata
    # (no installed distribution names initcfg's group), and no validator of a model
    # the config does not use.
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  init_cfg: {type: Normal, layer: Conv2d, std: 0.01}\n")
    then = (
        "from initcfg.schema import Kaiming, Normal\n"
        "from initcfg.schema.finetune import OptimWrapperCfg\n"
        "print('METADATA', 'importlib.metadata' in sys.modules)\n"
        "print('BUILT', Normal.__pydantic_complete__, Kaiming.__pydantic_complete__,\n"
        "      OptimWrapperCfg.__pydantic_complete__)\n"
    )
    done = probe_cli(["validate", str(config)], then)
    assert "EXIT 0" in done.stdout, done.stdout + done.stderr
    assert "METADATA False" in done.stdout, done.stdout
    assert "BUILT True False False" in done.stdout, done.stdout


def test_explain_imports_neither_the_loader_nor_the_schema() -> None:
    # `explain` renders the catalogue: the `_base_` line finder it shares with the
    # renderers once pulled in the loader and the Python evaluator (1.21x -> 1.45x
    # `import click`).
    heavy = (
        "initcfg.config.bases", "initcfg.config.evaluator", "json", "pydantic", "yaml",
        "initcfg.schema",
    )
    done = probe_cli(["explain", "IC101"], print_loaded("HEAVY", heavy))
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_validating_plain_yaml_imports_no_evaluator_json_or_package_scan(tmp_path: Path) -> None:
    # The safe evaluator reads Python configs only, json JSON configs and caches, the
    # registered-names scan configs with a scope: a YAML file without one needs the
    # location table and the plain values of config.evaluator.
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  init_cfg: {type: Normal, layer: Conv2d, std: 0.01}\n")
    heavy = (
        "initcfg.config.evaluator.core", "initcfg.config.evaluator.callables", "json",
        "traceback", "initcfg.check.registered",
    )
    then = (
        print_loaded("HEAVY", heavy) + "\n"
        "from initcfg.config.evaluator import Evaluator\n"
        "print('LATER', Evaluator.__module__)\n"
    )
    done = probe_cli(["validate", str(config)], then)
    assert "EXIT 0" in done.stdout, done.stdout + done.stderr
    assert "HEAVY []" in done.stdout, done.stdout
    assert "LATER initcfg.config.evaluator.core" in done.stdout, done.stdout
