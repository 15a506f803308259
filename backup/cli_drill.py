"""`bulwark backup drill` and `bulwark backup restore`: click wiring only.

backup/cli.py loads this module only when `drill` or `restore` is asked for.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from bulwark.backup.actions.drill import DrillOptions, DrillOutcome, run_drill
from bulwark.backup.actions.restore import VERIFIED_HOW, RestoreRequest, run_restore
from bulwark.backup.cli import pinged
from bulwark.backup.config import load_config
from bulwark.backup.drill.report import summary
from bulwark.backup.drill.sampling import SampleLimits
from bulwark.backup.drill.settings import DEFAULT_CHECK_SLICES
from bulwark.backup.execute import Restic
from bulwark.cli_support import CONFIG_FILE, one_line_errors

EXIT_DRILL_FAILED = 1

_config_option = click.option(
    "--config", "config_path", required=True, metavar="FILE",
    type=CONFIG_FILE, help="The backup config file.",
)


@click.command("drill")
@_config_option
@click.option("--repository", metavar="NAME", help="Drill only this repository.")
@click.option("--full", is_flag=True,
              help="Restore everything and read all pack data (the quarterly drill, F5).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--seed", type=int, help="Reproduce the sample of an earlier drill report.")
@click.option("--max-files", type=click.IntRange(min=1),
              help=f"Sample size bound (files); default: the config's drill.max_files "
                   f"({SampleLimits.max_files}).")
@click.option("--max-bytes", type=click.IntRange(min=1),
              help=f"Sample size bound (bytes); default: the config's drill.max_bytes "
                   f"({SampleLimits.max_bytes}).")
@click.option("--check-slices", type=click.IntRange(min=1),
              help="restic check reads 1/N of the pack data per drill, rotating; default: the "
                   f"config's drill.check_slices ({DEFAULT_CHECK_SLICES}).")
def drill(
    config_path: Path, repository: str | None, full: bool, as_json: bool, seed: int | None,
    max_files: int | None, max_bytes: int | None, check_slices: int | None,
) -> None:
    """Restore the latest snapshots into a private directory and prove they are intact.

    Exits 1 if any file, check, offsite copy or database fails, or if the status object cannot
    be uploaded; the report is written to state_dir/drills/ either way and the restored data is
    deleted.
    """
    # Ctrl-C: the drill's workspace has already been removed on the way out.
    with one_line_errors(interrupted="interrupted; restored data removed"):
        config = load_config(config_path)
        limits = None
        if max_files or max_bytes:
            limits = SampleLimits(max_files=max_files or config.drill.max_files,
                                  max_bytes=max_bytes or config.drill.max_bytes)
        options = DrillOptions(
            full=full, repository=repository, seed=seed, check_slices=check_slices,
            limits=limits,
        )
        tail: list[str] = []  # the ping body (monitoring.ping_url)
        with pinged(config, tail):
            outcome = run_drill(config, Restic(config.restic_binary,
                                               lock_wait=config.lock_wait), options)
            _finish(outcome, as_json, tail)


def _finish(outcome: DrillOutcome, as_json: bool, tail: list[str]) -> None:
    if as_json:
        click.echo(json.dumps({"ok": outcome.ok, "reports": outcome.reports}, indent=2))
    else:
        for report, path in zip(outcome.reports, outcome.paths, strict=True):
            click.echo(summary(report))
            click.echo(f"  report: {path}")
    tail += [summary(report) for report in outcome.reports]
    # One line: the failed repositories, then any status object the fleet view will miss
    # (a drill that passed but could not say so fails too).
    problems = [str(failure) for failure in outcome.status_failures]
    if not outcome.ok:
        failed = [r["repository"] for r in outcome.reports if not r["ok"]]
        problems.insert(0, f"restore drill FAILED for {', '.join(failed)}")
    if problems:
        tail.append(f"bulwark: error: {'; '.join(problems)}")
        click.echo(tail[-1], err=True)
        sys.exit(EXIT_DRILL_FAILED)


@click.command("restore")
@_config_option
@click.option("--snapshot", required=True, metavar="ID|latest", help="Snapshot to restore.")
@click.option("--target", required=True, metavar="DIR",
              type=click.Path(path_type=Path), help="Directory to restore into.")
@click.option("--include", "includes", multiple=True, metavar="PATH",
              help="Restore only this path of the snapshot (repeatable).")
@click.option("--force-root", is_flag=True, help="Allow restoring over / .")
def restore(
    config_path: Path, snapshot: str, target: Path, includes: tuple[str, ...], force_root: bool
) -> None:
    """Restore a snapshot; back up what the target holds first (F17), verify after (F18)."""
    say: Callable[[str], None] = click.echo
    with one_line_errors():
        config = load_config(config_path)
        outcome = run_restore(
            config,
            Restic(config.restic_binary, lock_wait=config.lock_wait),
            RestoreRequest(snapshot=snapshot, target=target, includes=includes,
                           force_root=force_root),
            say,
        )
    status = "verified" if outcome.ok else "FAILED verification"
    say(f"restore {status}: {outcome.verified}/{outcome.expected} files, {outcome.bytes} bytes "
        f"in {outcome.seconds:.1f} s")
    say(f"verified: {VERIFIED_HOW}")
    if outcome.safety_snapshot:
        say(f"previous contents: snapshot {outcome.safety_snapshot[:8]} (tag pre-restore)")
    if not outcome.ok:
        for problem in outcome.problems[:20]:
            click.echo(f"  {problem}", err=True)
        click.echo(f"bulwark: restore into {outcome.target} FAILED verification", err=True)
        sys.exit(1)
