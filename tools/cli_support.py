"""What every `bulwark` command shares at the command line: a mistake is one line, never a
traceback.

    with one_line_errors():
        config = load_config(config_path)
        ...

A :class:`bulwark.errors.BulwarkError` raised inside is printed as `bulwark: error: <message>`
(whitespace folded, so it is always one line) on stderr and the process exits with the
error's `exit_code`; Ctrl-C prints `bulwark: interrupted` and exits 130. The top-level group
(bulwark.cli) wraps every command in it; commands that must say something about an
interruption (the drill removes its restored data) use it themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bulwark.errors import BulwarkError

EXIT_INTERRUPTED = 130

#: The type of every --config option: the path as given. The loader, not click, says what is
#: wrong with it (no such file, a directory, permission denied), as one `bulwark: error:` line;
#: click would print a usage message instead.
CONFIG_FILE = click.Path(path_type=Path, readable=False)


@contextmanager
def one_line_errors(*, interrupted: str = "interrupted") -> Iterator[None]:
    """BulwarkError -> one `bulwark: error:` line and its exit code; Ctrl-C -> exit 130."""
    try:
        yield
    except BulwarkError as exc:
        click.echo(f"bulwark: error: {' '.join(str(exc).split())}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        # SIGTERM arrives as a KeyboardInterrupt subclass too (bulwark.backup.signals).
        by = getattr(exc, "signal_name", None)
        click.echo(f"bulwark: {interrupted}{f' (by {by})' if by else ''}", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_INTERRUPTED))


class InputProblem(click.ClickException):
    """A user mistake found by a command whose exit codes 1 and up mean results (a FAIL in the
    report, an accepted credential in the scan): printed like every other mistake,
    `bulwark: error: <message>` on one line, with exit code 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:  # noqa: ARG002 - click's signature
        click.echo(f"bulwark: error: {' '.join(self.format_message().split())}", err=True)
