"""`bulwark scan-creds`: do vendor default credentials log in over SSH anywhere? (B23, B1).

Exit codes: 0 every host answered and none accepted a default; 1 at least one credential
was accepted (whatever else happened); 2 usage or configuration error; 3 none accepted but
at least one host could not be fully audited (unreachable, timeout, incomplete, error).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from bulwark.cli_support import InputProblem
from bulwark.errors import BulwarkError
from bulwark.inventory import InventoryHost, load_hosts
from bulwark.scan import output
from bulwark.scan.credentials import Credential, load_default_credentials, load_extra, select
from bulwark.scan.scanner import PASSING, HostResult, HostStatus, ScanSettings, scan

EXIT_CLEAN, EXIT_ACCEPTED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3



class Seconds(click.FloatRange):
    """A FloatRange that also refuses nan, which compares false with both bounds and would
    only fail later, in socket.settimeout or time.sleep, with a traceback."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


def exit_code(results: list[HostResult]) -> int:
    if any(r.status is HostStatus.ACCEPTED for r in results):
        return EXIT_ACCEPTED
    if all(r.status in PASSING for r in results):
        return EXIT_CLEAN
    return EXIT_INCOMPLETE


@click.command("scan-creds")
@click.option("-i", "--inventory", "inventory", required=True,
              type=click.Path(dir_okay=True, path_type=Path), help="Ansible inventory.")
@click.option("-l", "--limit", default=None, help="Ansible host pattern (as ansible --limit).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--user", "users", multiple=True, help="Only try these user names (repeatable).")
@click.option("--extra", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra user:password lines to try; never printed.")
@click.option("--include-admins", is_flag=True,
              help="Also try names listed in bulwark_admins (risks locking an admin out).")
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Hosts audited in parallel.")
@click.option("--delay", type=Seconds(0, 60), default=0.5, show_default=True,
              help="Seconds between two attempts on one host.")
@click.option("--max-attempts-per-host", "max_attempts", type=click.IntRange(1, 1000),
              default=60, show_default=True, help="Attempts per host at most.")
@click.option("--timeout", type=Seconds(0.5, 120), default=5.0, show_default=True,
              help="Seconds per connection (connect, banner, handshake, auth).")
@click.option("--host-timeout", type=Seconds(1, 3600), default=300.0,
              show_default=True, help="Wall-clock seconds per host.")
def scan_creds(inventory: Path, limit: str | None, as_json: bool, users: tuple[str, ...],
               extra: Path | None, include_admins: bool, workers: int, delay: float,
               max_attempts: int, timeout: float, host_timeout: float) -> None:
    """Try vendor default SSH credentials against every inventory host.

    Exit 0: none accepted; 1: some accepted; 2: usage error; 3: some host not fully audited.
    """
    try:
        hosts = load_hosts(inventory, limit)
        creds: list[Credential] = load_default_credentials()
        if extra is not None:
            creds += load_extra(extra)
    except BulwarkError as exc:
        raise InputProblem(str(exc)) from exc

    unknown = sorted(set(users) - {c.user for c in creds})
    if unknown:
        # A typo must not shrink the audit silently: every name asked for is in the list.
        hint = " (one name per --user: repeat the option)" if any("," in u for u in unknown) else ""
        raise click.UsageError(f"--user {', '.join(map(repr, unknown))}: no such user in the "
                               f"credential list{' or --extra' if extra else ''}{hint}")

    def creds_for(host: InventoryHost) -> list[Credential]:
        return select(creds, admins=host.admins, include_admins=include_admins, users=users)

    if users and not any(creds_for(h) for h in hosts):
        raise click.UsageError("--user matches no credential in the list (or only admins)")
    settings = ScanSettings(timeout=timeout, delay=delay, max_attempts=max_attempts,
                            host_timeout=host_timeout, workers=workers)
    results = scan(hosts, creds_for, settings)
    code = exit_code(results)
    click.echo(output.dumps(results, code) if as_json else output.table(results))
    raise SystemExit(code)
