"""Fixtures for this scenario's Testinfra tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.molecule_host import scenario_host


@pytest.fixture(scope="session")
def host() -> Any:
    """podman exec into the instance: one process per command, not one ansible run."""
    return scenario_host()
