"""The lockout guard refuses an SSH-based run that would lock the connecting admin out."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ADMIN, run_playbook_as_admin

WATCHED = (
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d/00-bulwark.conf",
    "/etc/ssh/moduli",
    "/etc/pam.d/sshd",
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
    result = run_playbook_as_admin(
        tmp_path, admin_key_path, "ssh.yml", {"bulwark_admins": admins, **extra}
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert message in output
    assert "unreachable=0" in output and "changed=0" in output
    assert _checksums(host) == before
