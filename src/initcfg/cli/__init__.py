"""The ``initcfg`` command line: click commands over the library, no logic of their own.

Commands are imported when they run, so ``initcfg validate`` loads neither torch nor
the planners.
"""

from __future__ import annotations

from importlib import import_module

import click

_COMMANDS = {
    "validate": "initcfg.cli.validate:validate_command",
    "explain": "initcfg.cli.explain:explain_command",
    "schema": "initcfg.cli.schema:schema_command",
    "finetune-summary": "initcfg.cli.finetune_summary:finetune_summary",
    "plan": "initcfg.cli.plan:plan_command",
    "train": "initcfg.cli.train:train_command",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="initcfg")
def main() -> None:
    """Check and plan the init_cfg and fine-tune settings of MMEngine-style configs."""
