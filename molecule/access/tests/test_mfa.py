"""Second factor (B35): key AND a current TOTP code; the key alone, a wrong code or a replayed
code is refused. The exempt automation account uses its key alone from the exempt sources."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
import pyotp
import pytest
from conftest import ADMIN, AUDITOR, SECADMIN, SSH_PORT, TOTP_SECRETS, key_path, run_remote


def _transport() -> paramiko.Transport:
    sock = socket.create_connection(("127.0.0.1", SSH_PORT), timeout=20)
    transport = paramiko.Transport(sock)
    transport.start_client(timeout=20)
    return transport


def _answer(code: str) -> Callable[[str, str, list[tuple[str, bool]]], list[str]]:
    def handler(_title: str, _instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
        return [code for _prompt in prompts]

    return handler


def _key_then_code(ephemeral_dir: Path, user: str, code: str) -> paramiko.Transport:
    """Public key first (partial success), then the code by keyboard-interactive."""
    transport = _transport()
    key = paramiko.Ed25519Key.from_private_key_file(str(key_path(ephemeral_dir, user)))
    remaining = transport.auth_publickey(user, key)
    assert remaining == ["keyboard-interactive"], remaining
    transport.auth_interactive(user, _answer(code))
    return transport


def _fresh_code(secret: str) -> str:
    """A code with at least 5 s left, so the test does not straddle a 30 s step."""
    if 30 - time.time() % 30 < 5:
        time.sleep(6)
    return pyotp.TOTP(secret).now()


def test_key_and_code_log_in_and_a_replayed_code_is_refused(ephemeral_dir: Path) -> None:
    code = _fresh_code(TOTP_SECRETS[AUDITOR])
    transport = _key_then_code(ephemeral_dir, AUDITOR, code)
    try:
        assert transport.is_authenticated()
        channel = transport.open_session()
        channel.exec_command("id -un")
        assert channel.recv_exit_status() == 0
        assert channel.makefile().read().decode().strip() == AUDITOR
    finally:
        transport.close()
    # DISALLOW_REUSE: the same code, still within its 30 s step, is refused.
    with pytest.raises(paramiko.AuthenticationException):
        _key_then_code(ephemeral_dir, AUDITOR, code).close()


def test_key_alone_is_refused(ephemeral_dir: Path) -> None:
    transport = _transport()
    try:
        key = paramiko.Ed25519Key.from_private_key_file(str(key_path(ephemeral_dir, SECADMIN)))
        assert transport.auth_publickey(SECADMIN, key) == ["keyboard-interactive"]
        assert not transport.is_authenticated()
        with pytest.raises(paramiko.SSHException):
            transport.open_session(timeout=10)
    finally:
        transport.close()


def test_wrong_code_is_refused(ephemeral_dir: Path) -> None:
    right = pyotp.TOTP(TOTP_SECRETS[SECADMIN]).now()
    wrong = f"{(int(right) + 111111) % 1000000:06d}"
    with pytest.raises(paramiko.AuthenticationException):
        _key_then_code(ephemeral_dir, SECADMIN, wrong).close()


def test_code_alone_is_refused() -> None:
    """keyboard-interactive is only offered after the key: a code alone gets nowhere."""
    transport = _transport()
    try:
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_interactive(SECADMIN, _answer(pyotp.TOTP(TOTP_SECRETS[SECADMIN]).now()))
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_exempt_account_logs_in_with_key_alone(admin_client: paramiko.SSHClient) -> None:
    status, out, _ = run_remote(admin_client, "id -un")
    assert (status, out.strip()) == (0, ADMIN)


def test_exempt_account_needs_a_code_from_elsewhere(host) -> None:
    """The exemption is bound to the exempt sources (sshd's view of another address)."""
    outside = host.check_output(f"sshd -T -C user={ADMIN},host=x.example,addr=203.0.113.9")
    inside = host.check_output(f"sshd -T -C user={ADMIN},host=x.example,addr=10.88.0.1")
    assert "authenticationmethods publickey,keyboard-interactive:pam" in outside
    assert "authenticationmethods publickey\n" in inside + "\n"


def test_totp_files_are_root_only(host) -> None:
    directory = host.file("/etc/security/bulwark-totp")
    assert (directory.user, directory.mode) == ("root", 0o700)
    assert sorted(directory.listdir()) == sorted([AUDITOR, SECADMIN])
    for name in (AUDITOR, SECADMIN):
        secret_file = host.file(f"/etc/security/bulwark-totp/{name}")
        # 0600 as written; pam_google_authenticator rewrites it 0400 after a login.
        assert secret_file.user == "root" and secret_file.mode & 0o077 == 0
    pam = host.file("/etc/pam.d/sshd").content_string
    assert "pam_google_authenticator.so secret=/etc/security/bulwark-totp/${USER}" in pam
    assert "\n@include common-auth" not in pam
