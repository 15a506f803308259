"""The lockout guard refuses an SSH-based run that would lock the connecting admin out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import ADMIN, SSH_PORT

REPO = Path(__file__).resolve().parents[3]
WATCHED = (
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d/00-bulwark.conf",
    "/etc/ssh/moduli",
    "/etc/pam.d/sshd",
)


def _run_ssh_playbook(
    tmp_path: Path, key: Path, admins: list[dict[str, object]], extra: dict[str, object]
):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        f"access-host1 ansible_host=127.0.0.1 ansible_port={SSH_PORT} ansible_user={ADMIN} "
        f"ansible_ssh_private_key_file={key} ansible_python_interpreter=/usr/bin/python3 "
        "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
    )
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"bulwark_admins": admins, **extra}))
    env = dict(os.environ)
    env.pop("ANSIBLE_FORCE_COLOR", None)
    env.update(
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        # JSON results keep the failure message on one line, quotes unescaped.
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    return subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(inventory),
            "-e",
            f"@{variables}",
            str(REPO / "playbooks" / "ssh.yml"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _checksums(host) -> dict[str, str]:
    return {path: host.file(path).sha256sum for path in WATCHED}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_an_admin", "Lockout guard: Ansible connects over SSH as 'ops', which is not in"),
        ("no_working_key", "Lockout guard: 'ops' has no key in /home/ops/.ssh/authorized_keys"),
        ("mfa_not_exempt", "Lockout guard: bulwark_ssh_mfa is totp but 'ops' connecting from"),
        ("mfa_wrong_source", "is not in bulwark_ssh_mfa_exempt / bulwark_ssh_mfa_exempt_sources"),
    ],
)
def test_guard_refuses_and_changes_nothing(
    host, tmp_path: Path, admin_key_path: Path, stranger_key_path: Path, case: str, message: str
) -> None:
    admin_pub = admin_key_path.with_suffix(".pub").read_text().strip()
    stranger_pub = stranger_key_path.with_suffix(".pub").read_text().strip()
    admins = [{"name": ADMIN, "ssh_keys": [admin_pub]}]
    extra: dict[str, object] = {}
    if case == "not_an_admin":
        admins = [{"name": "someoneelse", "ssh_keys": [admin_pub]}]
    elif case == "no_working_key":
        admins = [{"name": ADMIN, "ssh_keys": [stranger_pub]}]
    elif case == "mfa_not_exempt":
        extra = {"bulwark_ssh_mfa": "totp", "bulwark_ssh_mfa_exempt_sources": ["0.0.0.0/0"]}
    else:  # exempt account, but the play connects from outside the exempt sources
        extra = {"bulwark_ssh_mfa": "totp", "bulwark_ssh_mfa_exempt": [ADMIN],
                 "bulwark_ssh_mfa_exempt_sources": ["192.0.2.0/24"]}
    before = _checksums(host)
    result = _run_ssh_playbook(tmp_path, admin_key_path, admins, extra)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert message in output
    assert "unreachable=0" in output and "changed=0" in output
    assert _checksums(host) == before
