"""Controls evaluated on evidence captured from real lab containers (tests/unit/report/data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bulwark.backup.drill.report import RepositoryDrill, RestoreMeasure, to_json
from bulwark.report.controls import REGISTRY, Context, Status
from bulwark.report.evaluate import HostReport, evaluate
from tests.unit.report.conftest import CAPTURED_AT, load


def _findings(evidence: dict[str, Any] | None, ctx: Context, problem: str = "") -> dict:
    host = evaluate(HostReport("h", "127.0.0.1", 22, evidence, problem), ctx)
    return {cid: f for cid, f in host.findings.items()}


def test_registry_ids_are_unique_and_quoted() -> None:
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    assert all(c.quote.startswith("「") and c.quote.endswith("」") for c in REGISTRY)
    assert {c.top15 for c in REGISTRY if c.top15} >= {1, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15}


@pytest.mark.parametrize(("control", "needle"), [
    ("C12", "passwordauthentication yes"),
    ("B23", "pi"),
    ("B1", "guest"),
    ("C7", "telnet"),
    ("C8", "default community"),
    ("B11", "PASS_MAX_DAYS=99999"),
    ("F2", "no backup recorded"),
    ("E13", "no backup recorded"),
    ("F28", "no restore drill recorded"),
    ("C3", "nft"),
])
def test_neglected_host_fails(ctx: Context, control: str, needle: str) -> None:
    finding = _findings(load("neglected"), ctx)[control]
    assert finding.status is Status.FAIL
    assert needle in finding.evidence


def test_container_audit_is_not_applicable_not_failed(ctx: Context) -> None:
    assert _findings(load("neglected"), ctx)["E3"].status is Status.NOT_APPLICABLE


def test_hardened_host_passes_access_controls(ctx: Context) -> None:
    # hardened.json: roles accounts, ssh, firewall and services converged (site.yml).
    found = _findings(load("hardened"), ctx)
    assert "minlen=9" in found["B6"].evidence  # read from pwquality.conf.d, not the main file
    for control in ("C12", "B23", "B1", "C7", "B27", "B6", "B11", "B34", "C3"):
        assert found[control].status is Status.PASS, (control, found[control])


def test_missing_evidence_is_unknown_for_every_control(ctx: Context) -> None:
    found = _findings(None, ctx, "host unreachable over SSH")
    assert {f.status for f in found.values()} == {Status.UNKNOWN}
    assert all("unreachable" in f.evidence for f in found.values())


def _with_backups(age_hours: float, drill_ok: bool, drill_age_days: float) -> dict[str, Any]:
    ev = load("neglected")
    now = CAPTURED_AT
    state = {"version": 1, "repositories": {
        "local": {"last_success": now - age_hours * 3600, "steps": {}},
        "offsite": {"last_success": now - 3600, "steps": {}}}}
    ev["files"]["/var/lib/bulwark/state.json"] = json.dumps(state)
    ended = datetime.fromtimestamp(now, UTC) - timedelta(days=drill_age_days)
    drill = RepositoryDrill(repository="local", mode="sample",
                            restore=RestoreMeasure(files=10, bytes=50_000_000, seconds=12.5))
    if not drill_ok:
        drill.errors.append("restore failed")
    ev["drill"] = json.dumps(to_json(drill, host="h", config="/etc/bulwark/backup.yml",
                                     started=ended - timedelta(seconds=20), ended=ended))
    ev["runs_tail"] = json.dumps({"who": {"user": "root"}, "command": "run", "result": "ok"})
    return ev


def test_recent_backup_and_drill_pass_with_rto_evidence(ctx: Context) -> None:
    found = _findings(_with_backups(age_hours=5, drill_ok=True, drill_age_days=3), ctx)
    assert found["F2"].status is Status.PASS and "local: 5.0 h ago" in found["F2"].evidence
    assert found["F28"].status is Status.PASS and "RTO 12.5 s" in found["F28"].evidence
    assert found["E13"].status is Status.PASS and "by root" in found["E13"].evidence


def test_stale_backup_failed_drill_and_old_drill_fail(ctx: Context) -> None:
    found = _findings(_with_backups(age_hours=30, drill_ok=False, drill_age_days=3), ctx)
    assert found["F2"].status is Status.FAIL and "local" in found["F2"].evidence
    assert found["F28"].status is Status.FAIL and "failed" in found["F28"].evidence
    old = _findings(_with_backups(age_hours=1, drill_ok=True, drill_age_days=120), ctx)
    assert old["F28"].status is Status.FAIL and "120 days" in old["F28"].evidence
