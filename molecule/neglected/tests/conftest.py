"""Fixtures for the neglected scenario."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sshprobe import load_credentials

from tests.fixtures.molecule_host import scenario_host


@pytest.fixture(scope="session")
def host() -> Any:
    """podman exec into the instance: one process per command, not one ansible run."""
    return scenario_host()


@pytest.fixture(scope="session")
def credentials() -> dict[str, Any]:
    return load_credentials()


@pytest.fixture(scope="session")
def admin_key() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ops_ed25519"


@pytest.fixture()
def password_user(host: Any) -> Iterator[tuple[str, str]]:
    """A throw-away local account with a strong password, removed afterwards."""
    name, password = "bwcheck", "Kx7mq2Lw9pRt"
    forget = f"userdel -r {name}; sed -i '/^{name}:/d' /etc/security/opasswd"
    host.run(forget)  # left over by an interrupted earlier run; pwhistory keys on the name
    host.run_expect([0], f"useradd -m -s /bin/bash {name}")
    try:
        result = host.run(f"printf '%s:%s\\n' {name} {password} | chpasswd")
        assert result.rc == 0, result.stderr
        yield name, password
    finally:
        host.run(f"faillock --user {name} --reset")
        host.run(forget)
