"""The `bulwark` command: click wiring only. Each sub-command lives in its own module.

Errors the operator can fix (:class:`bulwark.errors.BulwarkError`) are printed as one line
on stderr with the error's exit code; they never show a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from bulwark import __version__
from bulwark.cli_support import EXIT_INTERRUPTED, one_line_errors


class BulwarkGroup(click.Group):
    """A click group that turns BulwarkError into one line and its exit code (one_line_errors,
    the same as every sub-command uses)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with one_line_errors():
            try:
                return super().main(*args, standalone_mode=False, **kwargs)
            except click.exceptions.Abort:
                click.echo("bulwark: aborted", err=True)
                sys.exit(EXIT_INTERRUPTED)
            except click.ClickException as exc:
                exc.show()
                sys.exit(exc.exit_code)
            except click.exceptions.Exit as exc:
                sys.exit(exc.exit_code)


#: Sub-commands, imported only when used, so that `bulwark backup` on a backed-up host needs
#: neither Ansible nor the lab's dependencies, and `bulwark --help` stays fast.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "lab": ("bulwark.lab.cli", "lab",
            "A local fleet of Debian 12 hosts (podman) to try it all on."),
    "backup": ("bulwark.backup.cli", "backup",
               "Encrypted restic backups, retention, offsite copies, restore drills."),
    "scan-creds": ("bulwark.scan.cli", "scan_creds",
                   "Try vendor default credentials over SSH on every inventory host."),
    "report": ("bulwark.report.cli", "report",
               "Compliance evidence per host and policy control (HTML + JSON)."),
    "fleet": ("bulwark.fleet.cli", "fleet",
              "Fleet-wide backup health from the hosts' S3 status objects."),
}


class LazyBulwarkGroup(BulwarkGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyBulwarkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bulwark")
def main() -> None:
    """Bulwark: harden Linux servers and keep verified, encrypted backups.

    Run `bulwark COMMAND --help` for the details of each command.
    """
