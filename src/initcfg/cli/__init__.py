"""The ``initcfg`` command line: click commands over the library, no logic of their own.

Commands are imported when they run, so ``initcfg validate`` loads neither torch nor
the planners.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module

import click

# name -> (module:attribute, the one-line help `initcfg --help` shows). The help is kept
# here so listing the commands imports none of them; a test holds it equal to each
# command's own first docstring line.
_COMMANDS = {
    "validate": ("initcfg.cli.validate:validate_command",
                 "Check config files (directories are walked for .py, .yaml, .yml and .json)."),
    "explain": ("initcfg.cli.explain:explain_command",
                "Print what a diagnostic code means, why it matters, an example and the fix."),
    "schema": ("initcfg.cli.schema:schema_command",
               "Export the JSON Schema of init_cfg and of whole configs (for editors)."),
    "finetune-summary": ("initcfg.cli.finetune_summary:finetune_summary",
                         "Show what CONFIG changes relative to its _base_ in the fine-tune "
                         "settings."),
    "plan": ("initcfg.cli.plan:plan_command",
             "Plan CONFIG before it runs: the init plan (plan init) or the training plan "
             "(plan train)."),
    "train": ("initcfg.cli.train:train_command",
              "Train the model CONFIG describes: init plan, load_from, optimizer, schedule, "
              "loop."),
}


_PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"


def _without_pydantic_plugins() -> None:
    """Run this process's Pydantic validators without third-party Pydantic plugins.

    The command line's validators are initcfg's own: nothing outside it observes them.
    Pydantic looks plugins up through ``importlib.metadata`` when it builds its first
    validator, which costs more than most validations; here its loader answers that
    there are none. A library user's process (``import initcfg``) is left as it is.
    """
    if _PYDANTIC_PLUGIN_LOADER not in sys.modules:
        loader = types.ModuleType(_PYDANTIC_PLUGIN_LOADER)
        loader.get_plugins = tuple  # type: ignore[attr-defined]
        # Should a Pydantic release ask its loader for anything else, it gets the real one.
        loader.__getattr__ = _real_plugin_loader_attribute  # type: ignore[method-assign]
        sys.modules[_PYDANTIC_PLUGIN_LOADER] = loader


def _real_plugin_loader_attribute(name: str) -> object:
    if name.startswith("__"):  # the import system probing the module
        raise AttributeError(name)
    sys.modules.pop(_PYDANTIC_PLUGIN_LOADER, None)
    return getattr(import_module(_PYDANTIC_PLUGIN_LOADER), name)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute = entry[0].split(":")
        _without_pydantic_plugins()
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="initcfg")
def main() -> None:
    """Check and plan the init_cfg and fine-tune settings of MMEngine-style configs."""
