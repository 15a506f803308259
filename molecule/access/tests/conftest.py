"""Shared fixtures for the access scenario: real sshd and nftables behind 127.0.0.1 ports."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from tests.fixtures.molecule_host import scenario_host

REPO = Path(__file__).resolve().parents[3]
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
def host() -> Any:
    """podman exec into the instance: one process per command, not one ansible run."""
    return scenario_host()


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


def _key_login(client: paramiko.SSHClient, user: str, key: Path) -> None:
    """Log in over the published port with `key` only (no agent, no ~/.ssh keys)."""
    client.connect(
        "127.0.0.1",
        port=SSH_PORT,
        username=user,
        key_filename=str(key),
        look_for_keys=False,
        allow_agent=False,
        timeout=20,
        banner_timeout=30,
        auth_timeout=30,
    )


@pytest.fixture
def admin_client(admin_key_path: Path) -> Iterator[paramiko.SSHClient]:
    """An SSH session as the admin, authenticated with the admin key only."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    _key_login(client, ADMIN, admin_key_path)
    try:
        yield client
    finally:
        client.close()


def run_remote(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    """Run a command over an open SSH session; returns (exit status, stdout, stderr)."""
    _stdin, stdout, stderr = client.exec_command(command, timeout=60)
    status = stdout.channel.recv_exit_status()
    return status, stdout.read().decode(), stderr.read().decode()


def assert_key_login_refused(user: str, key: Path) -> None:
    """sshd on the published port refuses `user` logging in with `key` alone."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        with pytest.raises(paramiko.AuthenticationException):
            _key_login(client, user, key)
    finally:
        client.close()


def run_playbook_as_admin(
    tmp_path: Path,
    key: Path,
    playbook: str,
    variables: dict[str, object],
    inventories: tuple[Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run playbooks/<playbook> over real SSH as the admin with `key`, `variables` as extra
    vars. `inventories` come first (e.g. the scenario's, for its variables); the SSH inventory
    written here overrides their connection settings."""
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        f"access-host1 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port={SSH_PORT} "
        f"ansible_user={ADMIN} ansible_ssh_private_key_file={key} "
        "ansible_python_interpreter=/usr/bin/python3 "
        "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
    )
    extra_vars = tmp_path / "vars.json"
    extra_vars.write_text(json.dumps(variables))
    env = dict(os.environ)
    env.pop("ANSIBLE_FORCE_COLOR", None)
    env.update(
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        # JSON results keep the failure message on one line, quotes unescaped.
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    command = [str(REPO / ".venv" / "bin" / "ansible-playbook")]
    for extra_inventory in (*inventories, inventory):
        command += ["-i", str(extra_inventory)]
    command += ["--limit", "access-host1", "-e", f"@{extra_vars}"]
    command.append(str(REPO / "playbooks" / playbook))
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False
    )
