"""`bulwark fleet …`: click wiring only; the work is in config, collect, assess and render.

Exit codes of `bulwark fleet status`:

    0  every host is fine
    1  at least one host is flagged (backup-stale, drill-stale, missing, unreadable,
       not-immutable),
       or a store's endpoint cannot be reached
    2  bad input: config file, env_file, S3 credentials refused, bucket missing
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bulwark.cli_support import CONFIG_FILE, one_line_errors
from bulwark.fleet.assess import Limits, assess_fleet
from bulwark.fleet.collect import collect
from bulwark.fleet.config import load_fleet_config
from bulwark.fleet.render import as_json, table


@click.group()
def fleet() -> None:
    """The whole fleet's backup health, from the status objects every host uploads."""


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
def status_command(
    config_path: Path, as_json_output: bool, max_backup_age_hours: float | None,
    max_drill_age_days: float | None,
) -> None:
    """Per host: last good backup, last run, last passing drill, flags. Exit 1 if any flagged.

    Reads every `*.bulwark-status.json` object directly under each store's prefix: one listing
    per store, objects fetched in parallel.
    """
    with one_line_errors():
        settings = load_fleet_config(config_path)
        limits = Limits(  # the command line wins over the config (both are > 0)
            max_backup_age_hours or settings.max_backup_age_hours,
            max_drill_age_days or settings.max_drill_age_days,
        )
        now = datetime.now(UTC)
        rows = assess_fleet(collect(settings.stores), now=now, limits=limits,
                            expected_hosts=settings.expected_hosts)
    if as_json_output:
        click.echo(as_json(rows, now, limits, [store.display for store in settings.stores]))
    else:
        click.echo(table(rows, now))
    sys.exit(1 if any(row.flagged for row in rows) else 0)
