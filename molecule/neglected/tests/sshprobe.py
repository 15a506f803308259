"""Real SSH logins and socket probes against the published ports of the scenario host."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import paramiko
import yaml

REPO = Path(__file__).resolve().parents[3]
CREDENTIALS_FILE = REPO / "tools" / "data" / "default_credentials.yml"
SSH_HOST = "127.0.0.1"
SSH_PORT = 2311
ADMIN = "ops"


def load_credentials() -> dict[str, Any]:
    return yaml.safe_load(CREDENTIALS_FILE.read_text(encoding="utf-8"))


def ssh_client() -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return client


def password_login(user: str, password: str) -> bool:
    """True if sshd accepts the password; False only for an authentication refusal."""
    client = ssh_client()
    try:
        client.connect(
            SSH_HOST,
            SSH_PORT,
            username=user,
            password=password,
            allow_agent=False,
            look_for_keys=False,
            timeout=20,
            auth_timeout=30,
            banner_timeout=30,
        )
    except paramiko.AuthenticationException:
        return False
    finally:
        client.close()
    return True


def key_client(user: str, key_path: Path) -> paramiko.SSHClient:
    client = ssh_client()
    client.connect(
        SSH_HOST,
        SSH_PORT,
        username=user,
        key_filename=str(key_path),
        allow_agent=False,
        look_for_keys=False,
        timeout=20,
        auth_timeout=30,
        banner_timeout=30,
    )
    return client


def run_over_ssh(client: paramiko.SSHClient, command: str) -> tuple[int, str]:
    _, stdout, _ = client.exec_command(command, timeout=60)
    output = stdout.read().decode()
    return stdout.channel.recv_exit_status(), output


def shadow_entries(host: Any) -> dict[str, list[str]]:
    content = host.file("/etc/shadow").content_string
    return {
        line.split(":")[0]: line.split(":") for line in content.splitlines() if line and ":" in line
    }


def tcp_refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(10)
        try:
            sock.connect((SSH_HOST, port))
        except ConnectionRefusedError:
            return True
        sock.settimeout(5)
        try:
            return sock.recv(64) == b""
        except (ConnectionResetError, TimeoutError):
            return False
