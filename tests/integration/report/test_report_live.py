"""`bulwark report` against real lab containers, rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.labhosts import CLOSED_PORT, LabHost, write_inventory

pytestmark = [pytest.mark.integration, pytest.mark.lab]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def generated(neglected_host: LabHost, hardened_host: LabHost,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, dict]:
    tmp = tmp_path_factory.mktemp("e-report")
    inv = write_inventory(tmp / "hosts.yml", [neglected_host, hardened_host])
    # An unreachable host must be reported, not abort the report; hostile and odd names
    # (issue 14 item 7) must neither escape the work dir nor read as "no evidence".
    with inv.open("a") as handle:
        handle.write(f"    e-down: {{ansible_host: 127.0.0.1, ansible_port: {CLOSED_PORT}, "
                     f"ansible_user: ops, ansible_ssh_private_key_file: {hardened_host.key}}}\n")
        handle.write(f"    ../../x/evil: {{ansible_host: 127.0.0.1, ansible_port: "
                     f"{hardened_host.port}, ansible_user: ops, "
                     f"ansible_ssh_private_key_file: {hardened_host.key}}}\n")
        handle.write(f"    'e down spaced': {{ansible_port: {CLOSED_PORT}}}\n")
    out = tmp / "out"
    workdir = tmp / "work"
    workdir.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", "from bulwark.report.cli import report; report()",
         "-i", str(inv), "--out", str(out), "--junit", str(tmp / "junit.xml")],
        capture_output=True, text=True, timeout=1200, cwd=workdir,
        env={**os.environ, "TMPDIR": str(workdir)})
    assert "Traceback" not in proc.stderr, proc.stderr
    # Nothing was written outside the private temp dir (it is removed after the run).
    assert not (tmp / "x").exists() and not (workdir.parent / "x").exists()
    assert not list(workdir.rglob("*.json")) and not list(workdir.rglob("evil*"))
    return proc.returncode, out, json.loads((out / "report.json").read_text())


def _result(doc: dict, host: str, control: str) -> dict:
    (found,) = [r for r in doc["results"] if r["host"] == host and r["control"] == control]
    return found


def test_neglected_host_fails_ssh_and_account_controls(generated: tuple[int, Path, dict]) -> None:
    code, _, doc = generated
    assert code == 1
    for control in ("C12", "B23", "B1", "C7", "F2"):
        assert _result(doc, "e-neglected", control)["status"] == "FAIL", control
    assert "no backup config" in _result(doc, "e-neglected", "F2")["evidence"]
    assert "guest" in _result(doc, "e-neglected", "B1")["evidence"]


def test_hardened_host_passes_remote_access_controls(generated: tuple[int, Path, dict]) -> None:
    _, _, doc = generated
    for control in ("C12", "C12-root", "B1", "B27"):
        assert _result(doc, "e-hardened", control)["status"] == "PASS", control
    assert "key-only" in _result(doc, "e-hardened", "C12")["evidence"]
    # The evil-named alias of the same host was gathered like any other.
    assert _result(doc, "../../x/evil", "C12")["status"] == "PASS"


def test_unreachable_hosts_are_unknown_with_the_reason(generated: tuple[int, Path, dict]) -> None:
    _, _, doc = generated
    for host in ("e-down", "e down spaced"):
        down = [r for r in doc["results"] if r["host"] == host and r["status"] != "NOT_APPLICABLE"]
        assert down and {r["status"] for r in down} == {"UNKNOWN"}, host
        assert "unreachable over SSH" in down[0]["evidence"], down[0]["evidence"]


def test_json_shape_junit_and_no_secrets(generated: tuple[int, Path, dict]) -> None:
    _, out, doc = generated
    assert doc["schema_version"] == 2 and doc["generated_at"]
    assert [h["name"] for h in doc["hosts"]] == ["e-neglected", "e-hardened", "e-down",
                                                 "../../x/evil", "e down spaced"]
    total = sum(doc["summary"][s] for s in ("PASS", "FAIL", "NOT_APPLICABLE", "UNKNOWN",
                                            "WAIVED"))
    assert total == len(doc["results"]) == 5 * len(doc["controls"])
    junit = (out.parent / "junit.xml").read_text()
    assert junit.count("<testcase ") == len(doc["results"])
    for path in (out / "report.json", out / "report.html", out / "evidence.log"):
        text = path.read_text()
        assert not re.search(r"\$(y|6|5|2b)\$", text), f"password hash in {path.name}"
        assert "rocommunity" not in text


def test_html_renders_in_chromium_with_the_json_counts(
    generated: tuple[int, Path, dict], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed: apt-get install -y chromium"
    _, out, doc = generated
    proc = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert "<h1>Compliance evidence</h1>" in dom
    for status in ("PASS", "FAIL", "NOT_APPLICABLE", "UNKNOWN", "WAIVED"):
        shown = re.search(rf'id="count-{status}" data-count="(\d+)">(\d+)<', dom)
        assert shown, status
        assert int(shown.group(1)) == int(shown.group(2)) == doc["summary"][status]
    # The matrix comes first: one column per host, one cell per check.
    assert dom.index('id="matrix"') < dom.index('id="chart-results"')
    assert dom.count('class="cell FAIL"') >= doc["summary"]["FAIL"] // 2
    assert 'id="chart-backup-age"' in dom and "no backup recorded" in dom
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                    "--window-size=1400,1000", f"--screenshot={shot}",
                    (out / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
