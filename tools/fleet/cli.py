"""`bulwark fleet …`: click wiring only; the work is in config, collect, assess and render.

Exit codes of `bulwark fleet status`:

    0  every host is fine
    1  at least one host is flagged (see bulwark.fleet.assess for the flags)
    2  bad input: config file, env_file, S3 credentials refused, bucket missing
    3  a store cannot be reached (endpoint down, timeout, 5xx): the view would be incomplete
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bulwark.cli_support import CONFIG_FILE, InputProblem, one_line_errors
from bulwark.fleet.assess import Limits, assess_fleet
from bulwark.fleet.cache import default_dir
from bulwark.fleet.collect import collect
from bulwark.fleet.config import load_fleet_config
from bulwark.fleet.render import as_json, table


@click.group()
def fleet() -> None:
    """The whole fleet's hardening and backup health, from the status objects hosts upload."""


@fleet.command("status")
@click.option(
    "--config", "-c", "config_path", required=True, envvar="BULWARK_FLEET_CONFIG",
    type=CONFIG_FILE, metavar="FILE",
    help="Fleet config (stores: …), or a backup config: its S3 repositories' prefixes are read.",
)
@click.option("--json", "as_json_output", is_flag=True, help="Machine-readable output.")
@click.option(
    "--max-backup-age-hours", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Flag hosts whose last good backup is older (default: the config's, else 26).",
)
@click.option(
    "--max-drill-age-days", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Flag hosts without a passing drill this recent (default: the config's, else 92).",
)
@click.option(
    "--max-hardening-age-hours", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Flag hosts whose last hardening run is older (default: the config's, else 26).",
)
@click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where parsed objects are cached by ETag (default: $XDG_CACHE_HOME/bulwark/fleet).",
)
@click.option("--no-cache", is_flag=True, help="Read every object; neither read nor write a cache.")
def status_command(
    config_path: Path, as_json_output: bool, max_backup_age_hours: float | None,
    max_drill_age_days: float | None, max_hardening_age_hours: float | None,
    cache_dir: Path | None, no_cache: bool,
) -> None:
    """Per host: last hardening run, compliance, last good backup, last passing drill, flags.

    Reads every `*.bulwark-status.json` and `*.bulwark-hardening.json` object directly under
    each store's prefix: one listing per store; only objects whose ETag changed since the last
    run are fetched (in parallel). Exit 0 all fine, 1 a host flagged, 2 bad input, 3 a store
    unreachable.
    """
    with one_line_errors():
        settings = load_fleet_config(config_path)
        limits = Limits(  # the command line wins over the config (all are > 0)
            max_backup_age_hours or settings.max_backup_age_hours,
            max_drill_age_days or settings.max_drill_age_days,
            max_hardening_age_hours or settings.max_hardening_age_hours,
            settings.require_hardening,
        )
        collected = collect(settings.stores,
                            cache_dir=None if no_cache else (cache_dir or default_dir()))
        for warning in collected.warnings:
            click.echo(f"bulwark: warning: {warning}", err=True)
        now = datetime.now(UTC)
        rows = assess_fleet(collected.fetched, now=now, limits=limits,
                            expected_hosts=settings.expected_hosts)
    if as_json_output:
        click.echo(as_json(rows, now, limits, [store.display for store in settings.stores]))
    else:
        click.echo(table(rows, now))
    sys.exit(1 if any(row.flagged for row in rows) else 0)


@fleet.command("put-hardening-status")
@click.option(
    "--config", "-c", "config_path", required=True, type=CONFIG_FILE, metavar="FILE",
    help="The host's backup config: its host name, S3 stores and env_files.",
)
@click.option("--result", type=click.Choice(["ok", "failed"]), required=True)
@click.option("--commit", default=None, help="The git commit the run applied.")
@click.option("--changed", type=click.IntRange(min=0), default=0, help="Tasks changed.")
@click.option("--failed", type=click.IntRange(min=0), default=0, help="Tasks failed.")
@click.option("--failed-task", "failed_tasks", multiple=True, help="A failed task (repeat).")
@click.option("--compliance-passed", type=click.IntRange(min=0), default=None)
@click.option("--compliance-failed", type=click.IntRange(min=0), default=None)
def put_hardening_status_command(
    config_path: Path, result: str, commit: str | None, changed: int, failed: int,
    failed_tasks: tuple[str, ...], compliance_passed: int | None,
    compliance_failed: int | None,
) -> None:
    """Upload this host's hardening status object next to its backup status object.

    For the agent that applies the baseline (ansible-pull); exit 2 bad input or a store that
    refuses, 3 a store unreachable.
    """
    from bulwark.fleet import hardening_status

    with one_line_errors():
        if (compliance_passed is None) != (compliance_failed is None):
            raise InputProblem("--compliance-passed and --compliance-failed go together")
        if commit is not None and not re.fullmatch(r"[0-9a-f]{7,64}", commit):
            raise InputProblem(f"--commit {commit[:80]!r} is not a hex git commit id")
        document = hardening_status.build(
            hardening_status.host_of_config(config_path), result=result, commit=commit,
            changed=changed, failed=failed, failed_tasks=list(failed_tasks),
            compliance=None if compliance_passed is None else (compliance_passed,
                                                               compliance_failed or 0),
        )
        for written in hardening_status.publish(config_path, document):
            click.echo(f"put {written}")
