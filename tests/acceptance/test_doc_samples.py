"""The console samples of README.md and docs/*.md (`$ initcfg ...` and what follows) are
what the command prints, run from the repository's root.

A sample line that ends in "..." stands for any line that starts with what precedes it
(the docs shorten a long message that way).
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import click
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


def _command(words: list[str]) -> tuple[click.Command, str]:
    """The (sub)command a command line names, and its name, as click resolves it."""
    command: click.Command = main
    name = "initcfg"
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-"):
            break
        sub = command.get_command(click.Context(command), word)
        if sub is None:
            break
        command, name = sub, f"{name} {word}"
    return command, name


def _options(command: click.Command) -> set[str]:
    return {option for parameter in command.params if isinstance(parameter, click.Option)
            for option in parameter.opts + parameter.secondary_opts
            if option.startswith("--")} - {"--help"}


def command_lines() -> list[tuple[str, str]]:
    """(where, command line) for every `initcfg ...` line of a fenced block that is no
    console sample (synopses and commands to run), continuation lines joined."""
    lines = []
    for doc in [*DOCS, *sorted((REPO / "examples").rglob("README.md"))]:
        text = doc.read_text()
        for block in re.finditer(r"```[a-z]*\n(.*?)```", text, re.S):
            if block.group(1).startswith("$ "):
                continue
            start = text.count("\n", 0, block.start()) + 2
            joined = re.sub(r"\\\n\s*|\n\s+(?=\[)", " ", block.group(1))
            for offset, line in enumerate(joined.splitlines()):
                line = line.split("  #", 1)[0].strip()
                if line.startswith("initcfg "):
                    lines.append((f"{doc.relative_to(REPO)}:{start + offset}", line))
    return lines


COMMAND_LINES = command_lines()


def test_the_docs_have_command_lines() -> None:
    where = {place.split(":")[0] for place, _ in COMMAND_LINES}
    assert {"README.md", "docs/plans.md", "docs/training.md", "docs/train-plan.md"} <= where


@pytest.mark.parametrize(("where", "line"), COMMAND_LINES,
                         ids=[where for where, _ in COMMAND_LINES])
def test_a_command_line_in_the_docs_names_options_the_command_has(where: str, line: str) -> None:
    command, name = _command(line.split()[1:])
    named = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", line)) - {"--help"}
    assert named - _options(command) == set(), f"{where}: not options of {name}"
    if "[--" in line:  # a synopsis names every option
        assert _options(command) - named == set(), f"{where}: {name} options left out"


def test_train_plan_md_lists_the_options_of_plan_train() -> None:
    text = (REPO / "docs" / "train-plan.md").read_text()
    listed = text.split("its options are", 1)[1].split(".\n", 1)[0]
    command, _ = _command(["plan", "train"])
    assert set(re.findall(r"--[a-z][\w-]*", listed)) == _options(command)


def test_every_initcfg_name_the_docs_give_resolves() -> None:
    # Dotted names such as `initcfg.plan.meta.meta_model_building` or
    # `initcfg.schema.document.FINETUNE_KEYS`: a module and the attributes after it.
    entry_point_groups = {"initcfg.initializers"}
    names = {name for doc in DOCS for name in
             re.findall(r"`(initcfg(?:\.[A-Za-z_]\w*)+)", doc.read_text())}
    assert len(names) > 30
    for name in sorted(names - entry_point_groups):
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            try:
                value = importlib.import_module(".".join(parts[:end]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[end:]:
                assert hasattr(value, attribute), f"{name}: no {attribute!r}"
                value = getattr(value, attribute)
            break


def test_every_repository_path_the_docs_give_exists() -> None:
    # `tests/parity/test_real_models.py`, `benchmarks/init_speed.py`, `examples/plan/`...
    # (`schema/fields.py` and its siblings are named inside the package's own folder).
    for doc in [*DOCS, *sorted((REPO / "examples").rglob("README.md"))]:
        for path in re.findall(r"(?<![\w/.])((?:tests|benchmarks|scripts|examples|schema|src)"
                               r"/[\w./-]*\w)", doc.read_text()):
            if path.endswith(".pth"):
                continue  # a checkpoint a command in the docs writes, never committed
            assert (REPO / path).exists() or (REPO / "src" / "initcfg" / path).exists(), (
                f"{doc.name} names {path}")


def test_config_loading_md_lists_exactly_the_builtins_the_evaluator_calls() -> None:
    from initcfg.config.evaluator import SAFE_BUILTINS

    text = (REPO / "docs" / "config-loading.md").read_text()
    listed = text.split("calls to these pure builtins: `", 1)[1].split("`", 1)[0]
    assert set(listed.split()) == set(SAFE_BUILTINS)


def _help_statuses(args: list[str]) -> set[str]:
    shown = CliRunner().invoke(main, [*args, "--help"]).output
    return set(re.findall(r"\b\d{1,3}\b", shown.split("Exit status:", 1)[1].split("\n\n", 1)[0]))


@pytest.mark.parametrize(("args", "doc", "section"), [
    (["validate"], "README.md", "### `initcfg validate"),
    (["plan"], "docs/plans.md", "From the command line:"),
    (["plan", "init"], "docs/plans.md", "From the command line:"),
])
def test_help_lists_the_exit_statuses_the_docs_give(
    args: list[str], doc: str, section: str
) -> None:
    # --help of validate and plan left out 130 (Ctrl-C), which the docs list.
    text = (REPO / doc).read_text().split(section, 1)[1]
    sentence = re.search(r"Exit status:(.*?)\.\s", text, re.S)
    assert sentence is not None
    assert _help_statuses(args) == set(re.findall(r"\b\d{1,3}\b", sentence.group(1)))


def test_every_help_that_lists_exit_statuses_names_the_interrupt() -> None:
    # The README: "130 stopped by Ctrl-C (as every `initcfg` command)".
    assert "130 stopped by Ctrl-C (as every `initcfg` command)" in (REPO / "README.md").read_text()
    lists = []
    for name in main.list_commands(click.Context(main)):
        command = main.get_command(click.Context(main), name)
        assert command is not None
        subs = command.list_commands(click.Context(command)) if isinstance(
            command, click.Group) else []
        for args in [[name], *([name, sub] for sub in subs)]:
            shown = CliRunner().invoke(main, [*args, "--help"]).output
            if "Exit status:" in shown:
                lists.append(" ".join(args))
                assert "130" in _help_statuses(args), args
    commands = {"validate", "plan", "plan init", "plan train", "finetune-summary", "train"}
    assert commands <= set(lists)
