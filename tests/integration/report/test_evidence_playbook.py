"""playbooks/evidence.yml is read-only: check mode runs clean and nothing is reported changed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from bulwark.report.gather import (
    DEFAULT_PLAYBOOK,
    REPO_ROOT,
    ansible_playbook,
    evidence_file_name,
)
from tests.fixtures.labhosts import LabHost, write_inventory

pytestmark = [pytest.mark.integration, pytest.mark.lab]


def test_check_mode_changes_nothing_and_still_writes_evidence(
    hardened_host: LabHost, tmp_path: Path
) -> None:
    inv = write_inventory(tmp_path / "hosts.yml", [hardened_host])
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    before = hardened_host.exec("sh", "-c", "find /etc /var/lib/bulwark -newer /etc/hostname "
                                "-type f 2>/dev/null | sort")
    proc = subprocess.run(
        [ansible_playbook(), "--check", "-i", str(inv), str(DEFAULT_PLAYBOOK),
         "-e", json.dumps({"bulwark_evidence_dir": str(evidence)})],
        capture_output=True, text=True, timeout=900,
        env={"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout[-2000:]
    recap = re.search(r"e-hardened\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0",
                      proc.stdout)
    assert recap and recap.group(1) == "0", proc.stdout[-1500:]
    doc = json.loads((evidence / evidence_file_name("e-hardened")).read_text())
    assert "### sshd ops" in doc["probe"] and "passwordauthentication no" in doc["probe"]
    assert not re.search(r"\$(y|6)\$[./A-Za-z0-9]", doc["probe"]), "a password hash left the host"
    after = hardened_host.exec("sh", "-c", "find /etc /var/lib/bulwark -newer /etc/hostname "
                               "-type f 2>/dev/null | sort")
    assert after == before
