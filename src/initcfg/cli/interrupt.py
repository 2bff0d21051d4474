"""The click command class every ``initcfg`` command uses, for what Ctrl-C does."""

from __future__ import annotations

from typing import Any

import click

from initcfg.errors import EXIT_INTERRUPTED


class InterruptibleCommand(click.Command):
    """A command that Ctrl-C stops with status 130, the one :mod:`initcfg.errors` gives
    an interrupt, and a line that says so.

    click turns a KeyboardInterrupt into 'Aborted!' and status 1, which reads as "the
    config has errors"; a model factory or model code that Ctrl-C (or the code itself)
    interrupts while a command builds or plans the model ended that way.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(f"initcfg {self.name}: interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
