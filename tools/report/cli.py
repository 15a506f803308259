"""`bulwark report`: compliance evidence for auditors, per host and per policy control.

Exit codes: 0 every control PASS or NOT_APPLICABLE on every host; 1 any FAIL or UNKNOWN
(an auditor cannot accept "could not verify"); 2 usage error (bad inventory, no ansible).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

from bulwark.cli_support import InputProblem
from bulwark.errors import BulwarkError
from bulwark.inventory import load_hosts
from bulwark.report import catalogue, history, junit, render
from bulwark.report.controls import REGISTRY, Context, Status, for_roles
from bulwark.report.evaluate import HostReport, evaluate
from bulwark.report.gather import DEFAULT_PLAYBOOK, gather
from bulwark.report.waivers import Waiver
from bulwark.report.waivers import load as load_waivers
from bulwark.scan.credentials import load_vendor_accounts

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


@click.command("report")
@click.option("-i", "--inventory", "inventory", required=True,
              type=click.Path(path_type=Path), help="Ansible inventory.")
@click.option("-l", "--limit", default=None, help="Ansible host pattern.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports/compliance"), show_default=True,
              help="Directory for the report.")
@click.option("--playbook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEFAULT_PLAYBOOK, show_default=True, help="Evidence playbook.")
@click.option("--waivers", "waivers_file", type=click.Path(path_type=Path), default=None,
              help="YAML list of {control, hosts, reason, approved_by, expires}.")
@click.option("--roles", "roles", default=None,
              help="Only the checks whose implementing roles are all among these (comma-"
                   "separated), e.g. for a Molecule scenario's verify step; policy controls "
                   "without a check are not listed.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write JUnit XML (one testcase per host × check).")
def report(inventory: Path, limit: str | None, out_dir: Path, playbook: Path,
           waivers_file: Path | None, roles: str | None, junit_file: Path | None) -> None:
    """Gather evidence live and write report.html and report.json.

    Exit 0: all controls pass; 1: any FAIL or UNKNOWN; 2: usage error.
    """
    try:
        hosts = load_hosts(inventory, limit)
        vendor_accounts = load_vendor_accounts()
        selected = for_roles({r.strip() for r in roles.split(",") if r.strip()}) \
            if roles else None
        known = {c.id for c in REGISTRY} | set(catalogue.controls())
        waivers: list[Waiver] = (load_waivers(waivers_file, known, inventory)
                                 if waivers_file else [])
        render.prepare(out_dir)
        with tempfile.TemporaryDirectory(prefix="bulwark-evidence-") as tmp:
            gathered = gather(inventory, limit, Path(tmp), playbook)
        (out_dir / "evidence.log").write_text(gathered.log, encoding="utf-8")
    except (BulwarkError, OSError, ValueError) as exc:
        raise InputProblem(str(exc)) from exc
    now = time.time()
    ctx = Context(now=now, vendor_accounts=frozenset(vendor_accounts))
    reports = []
    for h in hosts:
        evidence = gathered.evidence.get(h.name)
        problem = gathered.problems.get(h.name, "no evidence gathered (see evidence.log)")
        reports.append(evaluate(HostReport(h.name, h.address, h.port, evidence,
                                           "" if evidence else problem), ctx, selected,
                                waivers=waivers, with_catalogue=selected is None))
    doc = render.to_json(reports, now, str(inventory), waivers, selected)
    runs, problems = history.load(out_dir)
    for line in problems:
        click.echo(f"warning: {line}", err=True)
    doc["changes"] = history.changes(runs[-1][1] if runs else None, doc)
    doc["trend"] = history.trend(runs, doc)
    for w in doc["waivers"]["expired"]:
        click.echo(f"warning: waiver for {w['control']} on {w['hosts']} expired {w['expires']}",
                   err=True)
    try:
        json_path, html_path = render.write(out_dir, doc)
        history.save(out_dir, doc)
        if junit_file is not None:
            junit.write(junit_file, doc)
    except (BulwarkError, OSError) as exc:
        raise InputProblem(str(exc)) from exc
    summary = doc["summary"]
    click.echo(f"{summary['hosts']} hosts, {summary['controls']} controls: "
               + ", ".join(f"{s} {summary[str(s)]}" for s in Status))
    click.echo(f"wrote {html_path} and {json_path}")
    failing = summary[str(Status.FAIL)] + summary[str(Status.UNKNOWN)]
    raise SystemExit(EXIT_FAIL if failing else EXIT_PASS)
