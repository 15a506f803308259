"""The per-host sequencing rules, driven by recorded probe outcomes (no network)."""

from __future__ import annotations

from collections.abc import Iterator

from bulwark.inventory import InventoryHost
from bulwark.scan.cli import exit_code
from bulwark.scan.credentials import Credential
from bulwark.scan.probe import Attempt, Outcome
from bulwark.scan.scanner import HostStatus, ScanSettings, scan_host

HOST = InventoryHost("h1", "127.0.0.1", 2200)
CREDS = [Credential(f"u{n}", f"p{n}", "vendor") for n in range(6)]


class Recorded:
    """Answers probes from a script of outcomes, remembering what was asked."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes: Iterator[Outcome] = iter(outcomes)
        self.asked: list[str] = []

    def __call__(self, address: str, port: int, user: str, password: str,
                 timeout: float) -> Attempt:
        self.asked.append(user)
        return Attempt(next(self.outcomes), "recorded")


def _run(outcomes: list[Outcome], **settings: float) -> tuple[object, Recorded, list[float]]:
    probe = Recorded(outcomes)
    sleeps: list[float] = []
    result = scan_host(HOST, CREDS, ScanSettings(**settings), probe=probe,
                       sleep=sleeps.append)
    return result, probe, sleeps


def test_password_auth_disabled_stops_after_one_attempt() -> None:
    result, probe, _ = _run([Outcome.METHOD_NOT_ALLOWED])
    assert result.status is HostStatus.PASSWORD_AUTH_DISABLED
    assert probe.asked == ["u0"]


def test_accepted_wins_and_all_credentials_are_tried_with_delay() -> None:
    result, probe, sleeps = _run([Outcome.REJECTED, Outcome.ACCEPTED] + [Outcome.REJECTED] * 4,
                                 delay=0.25)
    assert result.status is HostStatus.ACCEPTED
    assert [c.user for c in result.accepted] == ["u1"]
    assert len(probe.asked) == 6 and sleeps == [0.25] * 5


def test_unreachable_on_first_attempt_stops() -> None:
    result, probe, _ = _run([Outcome.UNREACHABLE])
    assert result.status is HostStatus.UNREACHABLE and len(probe.asked) == 1


def test_host_that_stops_answering_midway_is_incomplete() -> None:
    result, probe, _ = _run([Outcome.REJECTED] + [Outcome.TIMEOUT] * 5)
    assert result.status is HostStatus.INCOMPLETE
    assert len(probe.asked) == 4
    assert "fail2ban" in result.detail


def test_max_attempts_is_a_hard_cap() -> None:
    result, probe, _ = _run([Outcome.REJECTED] * 6, max_attempts=2)
    assert result.status is HostStatus.ALL_REJECTED
    assert len(probe.asked) == 2 and "2 of 6" in result.detail


def test_host_budget_stops_the_sequence() -> None:
    ticks = iter(range(0, 1000, 10))
    probe = Recorded([Outcome.REJECTED] * 6)
    result = scan_host(HOST, CREDS, ScanSettings(host_timeout=25, delay=1), probe=probe,
                       clock=lambda: float(next(ticks)), sleep=lambda _s: None)
    assert result.status is HostStatus.INCOMPLETE and len(probe.asked) < 6


def test_no_credentials_left_is_not_a_pass() -> None:
    result = scan_host(HOST, [], ScanSettings(), probe=Recorded([]))
    assert result.status is HostStatus.INCOMPLETE


def test_exit_codes() -> None:
    ok, _, _ = _run([Outcome.METHOD_NOT_ALLOWED])
    bad, _, _ = _run([Outcome.ACCEPTED] + [Outcome.REJECTED] * 5)
    down, _, _ = _run([Outcome.UNREACHABLE])
    assert exit_code([ok]) == 0
    assert exit_code([ok, bad, down]) == 1
    assert exit_code([ok, down]) == 3
