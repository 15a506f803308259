"""`bulwark report` against real lab containers, rendered in headless Chromium."""

from __future__ import annotations

import json
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
    # An unreachable host must be reported, not abort the report.
    with inv.open("a") as handle:
        handle.write(f"    e-down: {{ansible_host: 127.0.0.1, ansible_port: {CLOSED_PORT}, "
                     f"ansible_user: ops, ansible_ssh_private_key_file: {hardened_host.key}}}\n")
    out = tmp / "out"
    proc = subprocess.run(
        [sys.executable, "-c", "from bulwark.report.cli import report; report()",
         "-i", str(inv), "--out", str(out)],
        capture_output=True, text=True, timeout=1200)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, out, json.loads((out / "report.json").read_text())


def _result(doc: dict, host: str, control: str) -> dict:
    (found,) = [r for r in doc["results"] if r["host"] == host and r["control"] == control]
    return found


def test_neglected_host_fails_ssh_and_account_controls(generated: tuple[int, Path, dict]) -> None:
    code, _, doc = generated
    assert code == 1
    for control in ("C12", "B23", "B1", "C7", "F2"):
        assert _result(doc, "e-neglected", control)["status"] == "FAIL", control
    assert "no backup recorded" in _result(doc, "e-neglected", "F2")["evidence"]
    assert "guest" in _result(doc, "e-neglected", "B1")["evidence"]


def test_hardened_host_passes_remote_access_controls(generated: tuple[int, Path, dict]) -> None:
    _, _, doc = generated
    for control in ("C12", "B23", "B1", "C7", "B27"):
        assert _result(doc, "e-hardened", control)["status"] == "PASS", control
    assert "passwordauthentication no" in _result(doc, "e-hardened", "C12")["evidence"]


def test_unreachable_host_is_unknown_not_a_crash(generated: tuple[int, Path, dict]) -> None:
    _, _, doc = generated
    down = [r for r in doc["results"] if r["host"] == "e-down"]
    assert down and {r["status"] for r in down} == {"UNKNOWN"}
    assert "unreachable" in down[0]["evidence"]


def test_json_shape_and_no_secrets(generated: tuple[int, Path, dict]) -> None:
    _, out, doc = generated
    assert doc["schema_version"] == 1 and doc["generated_at"]
    assert [h["name"] for h in doc["hosts"]] == ["e-neglected", "e-hardened", "e-down"]
    total = sum(doc["summary"][s] for s in ("PASS", "FAIL", "NOT_APPLICABLE", "UNKNOWN"))
    assert total == len(doc["results"]) == 3 * doc["summary"]["controls"]
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
    for status in ("PASS", "FAIL", "NOT_APPLICABLE", "UNKNOWN"):
        shown = re.search(rf'id="count-{status}" data-count="(\d+)">(\d+)<', dom)
        assert shown, status
        assert int(shown.group(1)) == int(shown.group(2)) == doc["summary"][status]
    # The SVG charts made it into the rendered DOM with one bar row per host.
    assert dom.count('class="bar-FAIL"') >= 2
    assert 'id="chart-backup-age"' in dom and "no backup recorded" in dom
