"""The ``initcfg`` command line: click commands over the library, no logic of their own."""

from __future__ import annotations

import click

from initcfg.cli.explain import explain_command
from initcfg.cli.schema import schema_command
from initcfg.cli.validate import validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="initcfg")
def main() -> None:
    """Check and plan the init_cfg and fine-tune settings of MMEngine-style configs."""


main.add_command(validate_command)
main.add_command(explain_command)
main.add_command(schema_command)
