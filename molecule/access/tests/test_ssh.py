"""The ssh role's real outcome: key-only admin logins, hardened sshd, ssh-audit policy pass."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import paramiko
import pytest
from conftest import ADMIN, SSH_PORT, assert_key_login_refused, run_remote

SSH_AUDIT_POLICY = "Hardened Debian 12 (version 3)"
VENV_BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"


def _sshd_t(host, connection_spec: str | None = None) -> dict[str, str]:
    command = "sshd -T" if connection_spec is None else f"sshd -T -C {connection_spec}"
    output = host.check_output(command)
    settings: dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.partition(" ")
        settings.setdefault(key, value)
    return settings


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("passwordauthentication", "no"),
        ("permitrootlogin", "no"),
        ("permitemptypasswords", "no"),
        # The scenario runs with bulwark_ssh_mfa: totp (B35): keyboard-interactive carries the
        # TOTP code, after the key (test_mfa.py).
        ("kbdinteractiveauthentication", "yes"),
        ("pubkeyauthentication", "yes"),
        ("authenticationmethods", "publickey,keyboard-interactive:pam"),
        ("allowusers", ADMIN),
        ("maxauthtries", "3"),
        ("logingracetime", "30"),
        ("maxsessions", "4"),
        ("clientaliveinterval", "300"),
        ("clientalivecountmax", "2"),
        ("allowtcpforwarding", "no"),
        ("allowagentforwarding", "no"),
        ("x11forwarding", "no"),
        ("permittunnel", "no"),
        ("loglevel", "VERBOSE"),
        ("banner", "/etc/issue.net"),
        ("requiredrsasize", "3072"),
    ],
)
def test_sshd_effective_setting(host, keyword: str, expected: str) -> None:
    assert _sshd_t(host)[keyword] == expected


def test_allowusers_is_exactly_the_admins(host) -> None:
    lines = host.check_output("sshd -T").splitlines()
    allowed = [line.split(" ", 1)[1] for line in lines if line.startswith("allowusers ")]
    assert allowed == [ADMIN, "sec1", "aud1"]


def test_match_blocks_cannot_reopen_passwords(host) -> None:
    """Evaluated for a concrete connection, so Match blocks in any drop-in are applied."""
    settings = _sshd_t(host, "user=admin,host=client.example,addr=203.0.113.9")
    assert settings["passwordauthentication"] == "no"
    assert settings["permitrootlogin"] == "no"


def test_cloud_init_dropin_is_neutralised(host) -> None:
    dropin = host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf")
    assert dropin.exists, "the neglected image's cloud-init drop-in must still be there"
    active = [
        line
        for line in dropin.content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert active == []
    assert "PasswordAuthentication yes" in dropin.content_string  # kept, commented out


def test_host_keys_are_ed25519_and_rsa4096_only(host) -> None:
    keys = sorted(host.file("/etc/ssh").listdir())
    host_keys = [name for name in keys if name.startswith("ssh_host_")]
    assert host_keys == [
        "ssh_host_ed25519_key",
        "ssh_host_ed25519_key.pub",
        "ssh_host_rsa_key",
        "ssh_host_rsa_key.pub",
    ]
    assert host.check_output("ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub").startswith("4096 ")


def test_moduli_has_no_group_below_3071_bits(host) -> None:
    sizes = [
        int(line.split()[4])
        for line in host.file("/etc/ssh/moduli").content_string.splitlines()
        if line and not line.startswith("#")
    ]
    assert sizes, "group exchange needs at least one group"
    assert min(sizes) >= 3071


def test_admin_logs_in_with_key_and_has_sudo(admin_client: paramiko.SSHClient) -> None:
    status, out, _ = run_remote(admin_client, "id -un")
    assert (status, out.strip()) == (0, ADMIN)
    status, out, err = run_remote(admin_client, "sudo -n true && sudo -n id -u")
    assert status == 0, err
    assert out.strip() == "0"


def _password_is_real(host, user: str, password: str) -> bool:
    script = (
        "import crypt, sys; "
        "h = [l.split(':')[1] for l in open('/etc/shadow') if l.startswith(sys.argv[1] + ':')][0]; "
        "print(crypt.crypt(sys.argv[2], h) == h)"
    )
    return host.check_output(f'python3 -W ignore -c "{script}" {user} {password}') == "True"


@pytest.mark.parametrize(("user", "password"), [("root", "root"), ("admin", "admin")])
def test_real_password_login_is_refused(host, user: str, password: str) -> None:
    assert _password_is_real(host, user, password), f"{user}:{password} must exist for this test"
    transport = paramiko.Transport(("127.0.0.1", SSH_PORT))
    try:
        transport.start_client(timeout=20)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_password(user, password)
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_root_key_login_is_refused(host, admin_key_path: Path) -> None:
    # prepare.yml put the admin key into root's authorized_keys, as on a neglected host.
    assert host.file("/root/.ssh/authorized_keys").contains("ssh-ed25519")
    assert_key_login_refused("root", admin_key_path)


def test_unknown_key_is_refused_for_the_admin(stranger_key_path: Path) -> None:
    assert_key_login_refused(ADMIN, stranger_key_path)

def test_legal_banner_is_sent_before_authentication(admin_client: paramiko.SSHClient) -> None:
    banner = admin_client.get_transport().get_banner()
    assert banner is not None
    assert b"Authorised access only" in banner


def test_version_string_hides_the_distribution() -> None:
    with socket.create_connection(("127.0.0.1", SSH_PORT), timeout=20) as sock:
        ident = sock.recv(256).decode()
    assert ident.startswith("SSH-2.0-OpenSSH_")
    assert "Debian" not in ident


def test_ssh_audit_hardened_debian12_policy_passes() -> None:
    result = subprocess.run(
        [
            str(VENV_BIN / "ssh-audit"),
            "-n",
            "-P",
            SSH_AUDIT_POLICY,
            "-p",
            str(SSH_PORT),
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_ssh_audit_standard_audit_has_no_fail() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ssh-audit"), "-n", "-p", str(SSH_PORT), "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    fails = re.findall(r"\[fail\]", result.stdout)
    warns = re.findall(r"\[warn\]", result.stdout)
    print(f"ssh-audit: {len(fails)} [fail], {len(warns)} [warn]")
    assert "(gen) banner: SSH-2.0-OpenSSH_" in result.stdout
    assert fails == [], result.stdout
