"""Shared fixtures for the access scenario: real sshd and nftables behind 127.0.0.1 ports."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

SSH_PORT = 2301  # published 127.0.0.1:2301 -> container :22
STRAY_HTTP_PORT = 2302  # published 127.0.0.1:2302 -> container :8080 (must be filtered)
ADMIN = "ops"  # sysadmin, exempt from the second factor (the automation account)
SECADMIN = "sec1"
AUDITOR = "aud1"
DEPARTED = "leaver"
# The TOTP secrets of molecule.yml (test fixtures, not secrets).
TOTP_SECRETS = {
    SECADMIN: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    AUDITOR: "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
}


@pytest.fixture(scope="session")
def ephemeral_dir() -> Path:
    """Molecule's per-scenario scratch dir, where prepare.yml generated the keys."""
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])


@pytest.fixture(scope="session")
def admin_key_path(ephemeral_dir: Path) -> Path:
    return ephemeral_dir / "ops_ed25519"


@pytest.fixture(scope="session")
def stranger_key_path(ephemeral_dir: Path) -> Path:
    return ephemeral_dir / "stranger_ed25519"


def key_path(ephemeral_dir: Path, user: str) -> Path:
    """Private key prepare.yml generated for `user`."""
    return ephemeral_dir / f"{user}_ed25519"


def as_user(host, user: str, command: str):
    """Run a shell command on the host as `user` (no SSH, so no second factor needed)."""
    return host.run(f"runuser -u {user} -- sh -c {shlex.quote(command)}")


@pytest.fixture
def admin_client(admin_key_path: Path) -> Iterator[paramiko.SSHClient]:
    """An SSH session as the admin, authenticated with the admin key only."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=SSH_PORT,
        username=ADMIN,
        key_filename=str(admin_key_path),
        look_for_keys=False,
        allow_agent=False,
        timeout=20,
        banner_timeout=30,
        auth_timeout=30,
    )
    try:
        yield client
    finally:
        client.close()


def run_remote(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    """Run a command over an open SSH session; returns (exit status, stdout, stderr)."""
    _stdin, stdout, stderr = client.exec_command(command, timeout=60)
    status = stdout.channel.recv_exit_status()
    return status, stdout.read().decode(), stderr.read().decode()
