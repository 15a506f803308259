"""--waivers: an approved, dated exception; a malformed entry is one line naming file and entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bulwark.lab import fleet
from bulwark.report import catalogue
from bulwark.report.controls import REGISTRY, Context, Status
from bulwark.report.evaluate import HostReport, evaluate
from bulwark.report.waivers import WaiverError, load
from tests.unit.report.conftest import load as load_evidence

KNOWN = {c.id for c in REGISTRY} | set(catalogue.controls())


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  children:\n    lab:\n      hosts:\n"
                    "        lab1: {ansible_host: 127.0.0.1}\n"
                    "        lab2: {ansible_host: 127.0.0.1}\n"
                    "    web:\n      hosts:\n        web1: {ansible_host: 127.0.0.1}\n")
    return path


def _write(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "waivers.yml"
    path.write_text(yaml.safe_dump(entries))
    return path


def _entry(**over: object) -> dict[str, object]:
    return {"control": "D9", "hosts": "lab", "reason": "no internet", "approved_by": "ciso",
            "expires": "2099-12-31", **over}


def test_waived_fail_shows_reason_and_approver_only_on_matching_hosts(
    tmp_path: Path, inventory: Path, ctx: Context
) -> None:
    waivers = load(_write(tmp_path, [_entry(control="C12-root")]), KNOWN, inventory)
    assert waivers[0].matched == {"lab1", "lab2"}
    lab = evaluate(HostReport("lab1", "127.0.0.1", 22, load_evidence("neglected")), ctx,
                   waivers=waivers)
    web = evaluate(HostReport("web1", "127.0.0.1", 22, load_evidence("neglected")), ctx,
                   waivers=waivers)
    waived = lab.findings["C12-root"]
    assert waived.status is Status.WAIVED
    assert "ciso" in waived.evidence and "no internet" in waived.evidence
    assert lab.findings["C12"].status is Status.FAIL  # another check of C12: not waived
    assert web.findings["C12-root"].status is Status.FAIL
    # A policy id waives every check of that control.
    whole = load(_write(tmp_path, [_entry(control="C12")]), KNOWN, inventory)
    lab = evaluate(HostReport("lab1", "127.0.0.1", 22, load_evidence("neglected")), ctx,
                   waivers=whole)
    assert {lab.findings[c].status for c in ("C12", "C12-root")} == {Status.WAIVED}


def test_expired_waiver_no_longer_applies(tmp_path: Path, inventory: Path, ctx: Context) -> None:
    (waiver,) = load(_write(tmp_path, [_entry(control="C12", expires="2020-01-01")]), KNOWN,
                     inventory)
    assert waiver.expired(ctx.now)
    host = evaluate(HostReport("lab1", "127.0.0.1", 22, load_evidence("neglected")), ctx,
                    waivers=[waiver])
    assert host.findings["C12"].status is Status.FAIL


@pytest.mark.parametrize(("entry", "message"), [
    (_entry(control="Z99"), "entry 1 (control Z99): unknown control id 'Z99'"),
    (_entry(expires="31/12/2099"), "entry 1 (control D9): expires '31/12/2099' is not a date"),
    (_entry(expires="2099-02-30"), "is not a date"),
    ({"control": "D9", "hosts": "lab"}, "missing reason, approved_by, expires"),
    ("D9", "entry 1: expected a mapping"),
    (_entry(hosts="!"), "entry 1 (control D9): bad host pattern"),
])
def test_malformed_entry_is_one_error_naming_file_and_entry(
    tmp_path: Path, inventory: Path, entry: object, message: str
) -> None:
    path = _write(tmp_path, [entry])
    with pytest.raises(WaiverError) as exc:
        load(path, KNOWN, inventory)
    assert str(path) in str(exc.value) and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_cli_reports_a_bad_waiver_file_in_one_line_before_gathering(
    tmp_path: Path, inventory: Path
) -> None:
    path = _write(tmp_path, [_entry(), _entry(control="NOPE")])
    proc = subprocess.run(
        [sys.executable, "-c", "from bulwark.report.cli import report; report()",
         "-i", str(inventory), "--waivers", str(path), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "entry 2 (control NOPE): unknown control id" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_the_lab_ships_a_valid_d9_waiver(tmp_path: Path, inventory: Path) -> None:
    (waiver,) = load(_write(tmp_path, fleet.LAB_WAIVERS), KNOWN, inventory)
    assert waiver.control == "D9" and waiver.matched == {"lab1", "lab2"}
