"""probe.try_password on addresses that never reach an SSH server (no network needed)."""

from __future__ import annotations

import pytest

from bulwark.scan.probe import Outcome, try_password


@pytest.mark.parametrize("address", ["a" * 64 + ".example", "a..example"])
def test_invalid_host_name_is_unreachable_not_a_crash(address: str) -> None:
    attempt = try_password(address, 22, "root", "root", 1.0)
    assert attempt.outcome is Outcome.UNREACHABLE
    assert attempt.detail.startswith("invalid host name (")
