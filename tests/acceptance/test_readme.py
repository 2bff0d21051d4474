"""The README: its Quick start (two commands, the second one exactly what CI runs) and
its Commands section against the real command line."""

from __future__ import annotations

import re
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", section, re.S)
    assert block is not None, "Quick start must open with a fenced code block"
    assert section.lstrip().startswith("```"), "the code block must open the section"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands_that_pin_the_cpu_torch() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all(command.startswith("pip install torch==2.13.0 ") for command in commands)
    assert "examples.shapes.run" in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in ci


def test_ci_runs_it_in_a_fresh_virtual_environment() -> None:
    """What a newcomer gets: a new venv, activated before the README's command."""
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    command = ci.index(quick_start_commands()[1])
    made = next(i for i, line in enumerate(ci) if "python3 -m venv" in line)
    activated = next(i for i, line in enumerate(ci) if "/bin/activate" in line)
    assert made < activated < command
    assert "set -euo pipefail" in ci


def test_the_example_command_installs_what_draws_the_plot() -> None:
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert "'.[examples]'" in quick_start_commands()[0]
    assert any(requirement.startswith("matplotlib") for requirement in extras["examples"])


def _long_options(command: click.Command) -> set[str]:
    names: set[str] = set()
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            names |= {o for o in parameter.opts + parameter.secondary_opts if o.startswith("--")}
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            assert sub is not None
            names |= _long_options(sub)
    return names - {"--help"}


# Options of other programs that the Commands section shows in their own command lines.
_NOT_OURS = {"--nproc_per_node", "--no-python"}


def test_every_command_section_names_exactly_the_options_the_command_has() -> None:
    """The README's section on CMD names every option of `initcfg CMD --help` (else it is
    undocumented), and every option it names exists (a section may name another
    command's: `explain` takes prefixes "as `--select` takes them")."""
    from initcfg.cli import main

    text = (REPO / "README.md").read_text()
    commands = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    sections = commands.split("\n### ")[1:]
    context = click.Context(main)
    every_option = _long_options(main)
    seen = set()
    for section in sections:
        name = re.match(r"`initcfg ([\w-]+)", section)
        assert name is not None, section.splitlines()[0]
        command = main.get_command(context, name.group(1))
        assert command is not None, name.group(1)
        seen.add(name.group(1))
        mentioned = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", section)) - _NOT_OURS
        options = _long_options(command)
        assert options - mentioned == set(), f"{name.group(1)}: not in the README"
        assert mentioned - every_option == set(), f"{name.group(1)}: in the README, not the CLI"
    assert seen == set(main.list_commands(context))


def test_the_pkg_base_paragraph_names_the_dicts_that_get_the_scope(tmp_path: Path) -> None:
    # It said "every inherited dict with a `type`": MMEngine (and the loader) give
    # `_scope_` only to the outermost ones, so `model.backbone` has none.
    import initcfg

    text = (REPO / "README.md").read_text()
    paragraph = text.split("With a `pkg::` base", 1)[1].split("\n\n", 1)[0]
    shown = re.search(r"\(`([\w.]+)` gets it, `([\w.]+)` inside it\s+does not\)", paragraph)
    assert shown is not None, paragraph
    config = tmp_path / "child.py"
    config.write_text("_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']\n")
    merged = initcfg.load_config(config).to_dict()

    def at(path: str) -> dict[str, object]:
        value = merged
        for key in path.split("."):
            value = value[key]
        return value

    assert "type" in at(shown.group(1)) and at(shown.group(1))["_scope_"] == "mmpretrain"
    assert "type" in at(shown.group(2)) and "_scope_" not in at(shown.group(2))


def test_the_configuration_sample_is_settings_initcfg_reads(tmp_path: Path) -> None:
    # Every key and value of the README's [tool.initcfg] sample is read (no IC007-IC009:
    # its own `select` would hide an IC008 from validate) and means what its comments say.
    from initcfg.check.settings import project_settings

    text = (REPO / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1]
    sample = re.search(r"```toml\n(.*?)```", section, re.S)
    assert sample is not None and "[tool.initcfg]" in sample.group(1)
    (tmp_path / "pyproject.toml").write_text(sample.group(1))
    config = tmp_path / "configs" / "model_ft.py"
    config.parent.mkdir()
    config.write_text("model = dict(type='M')\n")
    settings = project_settings(str(config))
    assert [d.code for d in settings.diagnostics] == []
    assert settings.extra_layers == {"ConvModule", "DeformConv2dPack"}
    assert settings.extra_optimizers == {"LARS", "Lamb"}
    assert settings.extra_schedulers == {"MyWarmupLR"}
    assert (settings.select, settings.ignore, settings.fail_on) == (
        {"IC1", "IC3"}, {"IC311"}, "warning")
    assert len(settings.per_file_ignores) == 2


def test_the_editors_sample_is_a_config_validate_passes(tmp_path: Path) -> None:
    import initcfg

    text = (REPO / "README.md").read_text()
    section = text.split("\n## Editors\n", 1)[1]
    sample = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert sample is not None and sample.group(1).startswith("# yaml-language-server:")
    config = tmp_path / "config.yaml"
    config.write_text(sample.group(1))
    assert initcfg.validate(config, strict=True) == []
