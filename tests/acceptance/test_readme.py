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
