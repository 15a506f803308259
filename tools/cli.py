"""The `bulwark` command: click wiring only. Each sub-command lives in its own module.

Errors the operator can fix (:class:`bulwark.errors.BulwarkError`) are printed as one line
on stderr with the error's exit code; they never show a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from bulwark import __version__
from bulwark.errors import BulwarkError


class BulwarkGroup(click.Group):
    """A click group that turns BulwarkError into one line and its exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            click.echo("bulwark: aborted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except BulwarkError as exc:
            click.echo(f"bulwark: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("bulwark: interrupted", err=True)
            sys.exit(130)


@click.group(cls=BulwarkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bulwark")
def main() -> None:
    """Bulwark: harden Linux servers and keep verified, encrypted backups.

    \b
    lab         a local fleet of Debian 12 hosts (podman) to try everything on
    backup      restic backups, retention, offsite copies, restore drills
    """


def _register() -> None:
    from bulwark.backup.cli import backup
    from bulwark.lab.cli import lab

    main.add_command(lab)
    main.add_command(backup)


_register()
