"""`bulwark backup …`: click wiring only; the work is in bulwark.backup.actions.

Exit codes of every `bulwark backup` command: `bulwark.backup.errors.EXIT_CODES` (shown by
`bulwark backup --help`). `status` exits 1 when a repository cannot be read (its entry carries
the error).

Errors are printed as one line on stderr (`bulwark: error: …`), never as a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from bulwark.backup.config import BackupConfig, load_config
from bulwark.backup.errors import EXIT_CODES
from bulwark.backup.execute import Restic
from bulwark.backup.progress import for_terminal, human_bytes
from bulwark.backup.signals import handle_sigterm
from bulwark.cli_support import CONFIG_FILE, one_line_errors

DEFAULT_CONFIG = Path("/etc/bulwark/backup.yml")

config_option = click.option(
    "--config",
    "-c",
    "config_path",
    type=CONFIG_FILE,
    metavar="FILE",
    default=DEFAULT_CONFIG,
    show_default=True,
    envvar="BULWARK_BACKUP_CONFIG",
    help="Backup config file (YAML).",
)


class _Console:
    """Step lines on stdout; a progress line on stderr when a person is watching."""

    def __init__(self) -> None:
        self.progress = for_terminal()

    def line(self, text: str) -> None:
        if self.progress:
            self.progress.clear()
        click.echo(text)

    def restic(self, config: BackupConfig) -> Restic:
        return Restic(config.restic_binary, lock_wait=config.lock_wait, progress=self.progress)


class _BackupGroup(click.Group):
    """`drill` and `restore` (cli_drill.py) are imported only when used: a nightly `backup run`
    does not pay for loading the drill machinery (about a tenth of a second per run)."""

    LAZY = {"drill": "drill", "restore": "restore"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            from bulwark.backup import cli_drill

            command = getattr(cli_drill, self.LAZY[cmd_name])
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


def _exit_codes_help() -> str:
    """The exit-code table for `--help` (`\b`: click keeps these lines as they are)."""
    rows = [textwrap.fill(meaning, 92, initial_indent=f"  {code:>3}  ",
                          subsequent_indent=" " * 7) for code, meaning in EXIT_CODES.items()]
    return "\b\nExit codes:\n" + "\n".join(rows)


@click.group(cls=_BackupGroup, epilog=_exit_codes_help())
@click.option("-v", "--verbose", is_flag=True, help="Log every restic call (secrets redacted).")
def backup(verbose: bool) -> None:
    """Encrypted restic backups, retention, offsite copies and restore drills."""
    handle_sigterm()  # like Ctrl-C: restic stopped, run recorded, lock released, exit 143
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger = logging.getLogger("bulwark")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


@backup.command("init")
@config_option
def init_command(config_path: Path) -> None:
    """Create missing repositories (S3 buckets too); offsite ones share the primary's chunker."""
    from bulwark.backup.actions.init import init_repositories

    console = _Console()
    with one_line_errors():
        config = load_config(config_path)
        init_repositories(config, console.restic(config), report=console.line)


@backup.command("run")
@config_option
@click.option(
    "--only",
    type=click.Choice(["all", "files", "databases"]),
    default="all",
    show_default=True,
    help="Back up only the files or only the databases (the weekly DB timer uses databases).",
)
def run_command(config_path: Path, only: str) -> None:
    """Backup to the primary, retention, copy to every other repository, retention there."""
    from bulwark.backup.actions.run import run_backup

    console = _Console()
    with one_line_errors(interrupted="run interrupted"):
        config = load_config(config_path)
        record = run_backup(config, console.restic(config), only=only,  # type: ignore[arg-type]
                            report=console.line)
    console.line(f"backup run ok in {record.duration:.1f}s")


@backup.command("check-config")
@config_option
def check_config_command(config_path: Path) -> None:
    """Validate the config file and make `run`'s pre-flight checks (sources, password file,
    env_files, restic binary) without touching any repository."""
    from bulwark.backup.preflight import preflight

    with one_line_errors():
        warnings = preflight(load_config(config_path))
    for warning in warnings:
        click.echo(f"bulwark: warning: {warning}", err=True)
    click.echo(f"{config_path}: ok")


@backup.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status_command(config_path: Path, as_json: bool) -> None:
    """Per repository: snapshots, newest snapshot, last success, last failure, size."""
    from bulwark.backup.actions.status import repository_status

    with one_line_errors():
        config = load_config(config_path)
        restic = Restic(config.restic_binary, lock_wait=config.lock_wait)
        statuses = repository_status(config, restic)
    if as_json:
        click.echo(json.dumps([status.as_dict() for status in statuses], indent=2))
    else:
        for status in statuses:
            click.echo(_status_text(status.as_dict()))
    sys.exit(1 if any(status.error for status in statuses) else 0)


def _status_text(status: dict[str, Any]) -> str:
    role = " (primary)" if status["primary"] else ""
    lines = [f"{status['repository']}{role}: {status['url']}"]
    if status["error"]:
        lines.append(f"  error: {status['error']}")
    else:
        lines.append(
            f"  snapshots: {status['snapshots']} ({status['host_snapshots']} of this host), "
            f"newest {status['newest_snapshot'] or 'never'}"
        )
        lines.append(f"  size: {human_bytes(status['size_bytes'] or 0)}")
    lines.append(f"  last successful run: {status['last_success'] or 'never'}")
    failure = status["last_failure"]
    if failure:
        lines.append(
            f"  last failure: {failure['time']} {failure['command']} {failure['step']}: "
            f"{failure['error']}"
        )
    else:
        lines.append("  last failure: none")
    return "\n".join(lines)
