"""The roles refuse secret settings they cannot honour before touching the host: run by Ansible
on this machine (local connection), only the roles' validate task files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backup.conftest import clean_env

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]
PLAY = """---
- name: Only the role's input checks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate
      ansible.builtin.include_role: {{name: {role}, tasks_from: validate.yml}}
"""
BACKUP = {"bulwark_backup_agent_restic_password": "lab-only-Restic-Passw0rd"}
PULL = {"bulwark_pull_agent_repo_url": "file:///srv/bulwark.git"}


def _validate(tmp_path: Path, role: str, variables: dict[str, Any]) -> str:
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY.format(role=role))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         str(playbook), "-e", json.dumps({**variables,
                                          "ansible_python_interpreter": sys.executable})],
        capture_output=True, text=True, timeout=300, check=False,
        env=clean_env({"ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
                       "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}),
    )
    return f"rc={done.returncode}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(("variables", "needle"), [
    ({"bulwark_backup_agent_secrets": "vault"}, 'must be files or systemd-creds (got "vault")'),
    ({"bulwark_backup_agent_secrets": "systemd-creds", "bulwark_backup_agent_rotate_key": True},
     "rotate_key needs files"),
])
def test_backup_agent_refuses_secrets_it_cannot_keep(tmp_path: Path, variables: dict[str, Any],
                                                     needle: str) -> None:
    output = _validate(tmp_path, "backup_agent", {**BACKUP, **variables})
    assert not output.startswith("rc=0"), output
    assert needle in " ".join(output.split()), output


def test_backup_agent_files_mode_passes(tmp_path: Path) -> None:
    output = _validate(tmp_path, "backup_agent", BACKUP)
    assert output.startswith("rc=0"), output


@pytest.mark.parametrize("key", ["0xA0BAA88993DC3D0A", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nx"])
def test_pull_agent_refuses_a_signing_key_that_is_not_an_armoured_public_key(
        tmp_path: Path, key: str) -> None:
    output = _validate(tmp_path, "pull_agent", {**PULL, "bulwark_pull_agent_signing_key": key})
    assert not output.startswith("rc=0"), output
    assert "must be an ASCII-armoured OpenPGP public key" in " ".join(output.split()), output


def test_pull_agent_accepts_an_armoured_public_key(tmp_path: Path) -> None:
    key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"
    output = _validate(tmp_path, "pull_agent", {**PULL, "bulwark_pull_agent_signing_key": key})
    assert output.startswith("rc=0"), output
