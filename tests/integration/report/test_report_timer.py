"""roles/compliance_report (issue 13 item 5, A13): applied to a lab container acting as the
management host, its service runs `bulwark report` once and the history file appears.

The container `r-mgmt` gets this worktree and its Python read-only at the same paths, so the
service runs the real bulwark CLI (the venv's) on an inventory of the container itself
(`ansible_connection: local`). The role is applied over the podman connection.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bulwark.report.gather import REPO_ROOT, ansible_playbook

pytestmark = [pytest.mark.integration, pytest.mark.lab]

NAME = "r-mgmt"
OUT = "/var/lib/bulwark/compliance"


def _exec(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", "exec", NAME, *argv], capture_output=True, text=True,
                          check=check, timeout=1200)


@pytest.fixture(scope="module")
def management_host() -> Iterator[str]:
    from bulwark.lab import hosts
    from bulwark.lab.image import BASE_IMAGE

    hosts.remove_host(NAME)
    python_home = Path(os.path.realpath(sys.executable)).parents[1]
    subprocess.run(
        ["podman", "run", "--detach", "--name", NAME, "--systemd", "always",
         "--label", "bulwark.test=r", "--network", "none",
         "--volume", f"{REPO_ROOT}:{REPO_ROOT}:ro", "--volume", f"{python_home}:{python_home}:ro",
         BASE_IMAGE, "/sbin/init"], check=True, capture_output=True)
    try:
        hosts.wait_booted(NAME)
        # The fleet this management host inspects: itself.
        _exec("sh", "-c", "mkdir -p /srv/bulwark && cat > /srv/bulwark/hosts.yml <<'EOF'\n"
              "all:\n  hosts:\n    r-mgmt-self:\n      ansible_connection: local\n"
              "      ansible_python_interpreter: /usr/bin/python3\nEOF")
        yield NAME
    finally:
        hosts.remove_host(NAME)


def _apply(tmp: Path) -> str:
    inventory = tmp / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"management": {"hosts": {NAME: {
        "ansible_connection": "containers.podman.podman",
        "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    extra = {"bulwark_compliance_report_bulwark_bin": str(Path(sys.executable).with_name(
        "bulwark")), "bulwark_compliance_report_inventory": "/srv/bulwark/hosts.yml"}
    proc = subprocess.run(
        [ansible_playbook(), "-i", str(inventory),
         str(REPO_ROOT / "playbooks/compliance_report.yml"),
         "-e", yaml.safe_dump(extra, default_flow_style=True).strip()],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
             "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1500:]
    return proc.stdout


def _changed(stdout: str) -> int:
    recap = re.search(rf"{NAME}\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", stdout)
    assert recap, stdout[-1500:]
    return int(recap.group(1))


def test_timer_runs_the_report_and_keeps_its_history(management_host: str,
                                                     tmp_path: Path) -> None:
    assert _changed(_apply(tmp_path)) > 0
    assert _changed(_apply(tmp_path)) == 0  # idempotent
    unit = _exec("systemctl", "cat", "bulwark-report.service").stdout
    assert f"report -i /srv/bulwark/hosts.yml --out {OUT} --junit {OUT}/junit.xml" in unit
    assert "SuccessExitStatus=1" in unit
    assert _exec("systemctl", "is-enabled", "bulwark-report.timer").stdout.strip() == "enabled"
    timers = _exec("systemctl", "list-timers", "--all", "--no-pager", "bulwark-report.timer")
    assert "bulwark-report.timer" in timers.stdout and "n/a" not in timers.stdout.split("\n")[1]
    assert not _exec("ls", f"{OUT}/history").stdout.strip()

    _exec("systemctl", "start", "bulwark-report.service")  # oneshot: returns when done
    history = _exec("ls", f"{OUT}/history").stdout.split()
    assert len(history) == 1 and re.fullmatch(r"report-.+\.json", history[0]), history
    assert _exec("test", "-s", f"{OUT}/report.html", check=False).returncode == 0
    assert _exec("test", "-s", f"{OUT}/junit.xml", check=False).returncode == 0
    journal = _exec("journalctl", "-u", "bulwark-report.service", "--no-pager").stdout
    assert "1 hosts," in journal, journal[-2000:]
    # A second month adds a second record; nothing is replaced.
    _exec("systemctl", "start", "bulwark-report.service")
    assert len(_exec("ls", f"{OUT}/history").stdout.split()) == 2
