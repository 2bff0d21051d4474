"""The console samples of README.md and docs/*.md (`$ initcfg ...` and what follows) are
what the command prints, run from the repository's root.

A sample line that ends in "..." stands for any line that starts with what precedes it
(the docs shorten a long message that way).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.cli import main

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def console_samples() -> list[tuple[str, str, list[str]]]:
    """(where, command, expected lines) for every fenced block that opens with
    ``$ initcfg``."""
    samples = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.finditer(r"```(?:console)?\n(\$ initcfg [^\n]*)\n(.*?)```", text, re.S):
            line = text.count("\n", 0, block.start()) + 1
            samples.append((f"{doc.name}:{line}", block.group(1)[2:],
                            block.group(2).rstrip("\n").splitlines()))
    return samples


SAMPLES = console_samples()


def test_the_docs_have_console_samples() -> None:
    assert {where.split(":")[0] for where, _, _ in SAMPLES} >= {"README.md", "finetune.md"}


@pytest.mark.parametrize(("where", "command", "expected"), SAMPLES,
                         ids=[where for where, _, _ in SAMPLES])
def test_console_sample_is_what_the_command_prints(
    where: str, command: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    printed = result.output.rstrip("\n").splitlines()
    assert len(printed) == len(expected), f"{where}:\n{result.output}"
    for shown, real in zip(expected, printed, strict=True):
        if shown.endswith("..."):
            assert real.startswith(shown[:-3]), f"{where}: {real!r}"
        else:
            assert real == shown, f"{where}: {real!r}"


def test_train_help_lists_the_exit_statuses_training_md_documents() -> None:
    # --help named 130 for an interrupted run and left out SIGTERM's 143.
    text = (REPO / "docs" / "training.md").read_text()
    sentence = text.split("Exit status:", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"\b\d{1,3}\b", sentence))
    assert documented >= {"0", "1", "2", "130", "143"}
    shown = CliRunner().invoke(main, ["train", "--help"]).output
    statuses = shown.split("Exit status:", 1)[1].split("Options:", 1)[0]
    assert set(re.findall(r"\b\d{1,3}\b", statuses)) == documented
