"""`bulwark backup …`: click wiring only; the work is in bulwark.backup.actions.

Exit codes of every `bulwark backup` command: `bulwark.backup.errors.EXIT_CODES` (shown by
`bulwark backup --help`). `status` exits 1 when a repository cannot be read (its entry carries
the error), or when a repository configured with `immutable_days` sits in a bucket that does
not enforce it.

Errors are printed as one line on stderr (`bulwark: error: …`), never as a traceback.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from bulwark.backup.config import BackupConfig, load_config
from bulwark.backup.errors import EXIT_CODES, InputError
from bulwark.backup.execute import Restic
from bulwark.backup.progress import for_terminal, human_bytes
from bulwark.backup.signals import handle_sigterm
from bulwark.cli_support import CONFIG_FILE, one_line_errors
from bulwark.errors import BulwarkError

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
        self.tail: collections.deque[str] = collections.deque(maxlen=20)  # for ping bodies

    def line(self, text: str) -> None:
        if self.progress:
            self.progress.clear()
        self.tail.append(text)
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
    rows = [textwrap.fill(meaning, 92, initial_indent=f"  {code:>3}  ", subsequent_indent=" " * 7,
                          break_on_hyphens=False) for code, meaning in EXIT_CODES.items()]
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
@click.option("--keep", is_flag=True,
              help="Tag the snapshots `keep`: retention never forgets them (F19, F35).")
@click.option("--reason", metavar="TEXT", help="Why they are kept (tag reason:TEXT); "
              "required with --keep, e.g. pre-patch.")
def run_command(config_path: Path, only: str, keep: bool, reason: str | None) -> None:
    """Backup to the primary, retention, copy to every other repository, retention there."""
    from bulwark.backup.actions.run import run_backup

    console = _Console()
    with one_line_errors(interrupted="run interrupted"):
        if keep != (reason is not None):
            raise InputError("--keep and --reason go together (--keep --reason pre-patch)")
        config = load_config(config_path)
        with pinged(config, console.tail):
            record = run_backup(config, console.restic(config),
                                only=only,  # type: ignore[arg-type]
                                report=console.line, keep_reason=reason)
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
    sys.exit(1 if any(status.error or status.immutable_problem for status in statuses) else 0)


@contextlib.contextmanager
def pinged(config: BackupConfig, tail: Iterable[str]) -> Iterator[None]:
    """monitoring.ping_url: /start, then success or /fail with the exit code (ping.py)."""
    from bulwark.backup.ping import Pinger

    pinger = Pinger(config.monitoring.ping_url, warn=lambda line: click.echo(line, err=True))
    pinger.start()
    try:
        yield
    except BulwarkError as exc:
        pinger.fail(exc.exit_code, [*tail, f"bulwark: error: {exc}"])
        raise
    except KeyboardInterrupt:
        pinger.fail(130, [*tail, "bulwark: interrupted"])
        raise
    except SystemExit as exc:
        if exc.code:
            pinger.fail(exc.code if isinstance(exc.code, int) else 1, list(tail))
        else:
            pinger.success(list(tail))
        raise
    pinger.success(list(tail))


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
        if status.get("immutable_days"):
            lines.append(
                f"  immutable: NOT ENFORCED: {status['immutable_problem']}"
                if status["immutable_problem"]
                else f"  immutable: Object Lock COMPLIANCE >= {status['immutable_days']} days"
            )
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


@backup.command("recover")
@config_option
@click.option("--repository", required=True, metavar="NAME",
              help="The S3 repository (versioned bucket) to recover.")
@click.option("--as-of", "as_of", required=True, metavar="TIME",
              help="Rebuild it as it stood then (ISO 8601; no offset means UTC).")
@click.option("--to", "to", required=True, metavar="URL",
              help="Empty place for the new repository: s3:…/bucket/prefix or /local/path.")
@click.option("--to-env-file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="S3 keys for --to (default: the repository's env_file).")
@click.option("--read-data", is_flag=True, help="restic check --read-data on the result.")
def recover_command(config_path: Path, repository: str, as_of: str, to: str,
                    to_env_file: Path | None, read_data: bool) -> None:
    """Rebuild a repository as of TIME from its bucket's object versions (ransomware recovery).

    Copies the object versions current at TIME into a new repository at --to, runs restic
    check on it and lists its snapshots. The source bucket is never modified.
    """
    from bulwark.backup.actions.recover import RecoverRequest, parse_as_of, run_recover

    console = _Console()
    with one_line_errors():
        config = load_config(config_path)
        request = RecoverRequest(repository=repository, as_of=parse_as_of(as_of), to=to,
                                 to_env_file=to_env_file, read_data=read_data)
        outcome = run_recover(config, console.restic(config), request, say=console.line)
    for snapshot in outcome.snapshots:
        console.line(f"  {snapshot.short_id}  {snapshot.time.isoformat(timespec='seconds')}  "
                     f"{snapshot.hostname}  {','.join(snapshot.tags)}  {' '.join(snapshot.paths)}")
    console.line(f"recovered {outcome.objects} objects ({human_bytes(outcome.bytes)}) in "
                 f"{outcome.seconds:.1f}s: {len(outcome.snapshots)} snapshots, restic check ok")


@backup.command("rotate-key")
@config_option
@click.option("--new-password-file", required=True, metavar="FILE",
              type=click.Path(path_type=Path, dir_okay=False),
              help="File holding the new repository password.")
def rotate_key_command(config_path: Path, new_password_file: Path) -> None:
    """Change the repository password everywhere (B17, B18), safe to interrupt.

    Adds the new key to every repository, proves it opens each one, switches the config's
    password_file atomically, then removes the old keys. Run it again after an interruption.
    """
    from bulwark.backup.actions.rotate_key import rotate_key

    console = _Console()
    with one_line_errors():
        config = load_config(config_path)
        record = rotate_key(config, console.restic(config), new_password_file, say=console.line)
    console.line(f"rotate-key ok in {record.duration:.1f}s: "
                 f"{len({s.repository for s in record.steps if s.step == 'key-remove'})} "
                 "repositories now open only with the new password")
