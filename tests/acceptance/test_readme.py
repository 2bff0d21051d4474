"""The README's Quick start: two commands, the second one exactly what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

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
