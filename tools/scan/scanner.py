"""Audit a set of hosts: bounded parallelism across hosts, a paced sequence within each host.

Within one host the guesses are sequential with `delay` seconds between them and at most
`max_attempts`, so the audit itself does not look like (or trip) a brute-force (B34/C19).
The first answer "password authentication is not offered" ends the host: one attempt proves
that no password, default or not, can log in over SSH.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from bulwark.inventory import InventoryHost
from bulwark.scan.credentials import Credential
from bulwark.scan.probe import Attempt, Outcome, try_password

# After this many consecutive connection failures on a host that answered before, stop:
# something (fail2ban, MaxStartups) now refuses us and more guesses only make it worse.
MAX_CONSECUTIVE_FAILURES = 3


class HostStatus(StrEnum):
    ACCEPTED = "ACCEPTED"  # at least one default credential logs in: FAIL
    PASSWORD_AUTH_DISABLED = "password auth disabled"  # PASS
    ALL_REJECTED = "all rejected"  # PASS
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    INCOMPLETE = "incomplete"
    ERROR = "error"


PASSING = {HostStatus.PASSWORD_AUTH_DISABLED, HostStatus.ALL_REJECTED}


@dataclass(frozen=True)
class ScanSettings:
    timeout: float = 5.0  # per connection: TCP connect, banner, key exchange, auth
    delay: float = 0.5  # seconds between two guesses on the same host
    max_attempts: int = 60  # guesses per host at most
    host_timeout: float = 300.0  # wall-clock budget per host
    workers: int = 8  # hosts audited in parallel


@dataclass
class AttemptRecord:
    credential: Credential
    attempt: Attempt


@dataclass
class HostResult:
    host: InventoryHost
    status: HostStatus
    detail: str = ""
    attempts: list[AttemptRecord] = field(default_factory=list)
    planned: int = 0
    seconds: float = 0.0

    @property
    def accepted(self) -> list[Credential]:
        return [r.credential for r in self.attempts if r.attempt.outcome is Outcome.ACCEPTED]


Prober = Callable[[str, int, str, str, float], Attempt]


def scan_host(
    host: InventoryHost,
    creds: Sequence[Credential],
    settings: ScanSettings,
    probe: Prober = try_password,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> HostResult:
    """Try `creds` against one host, stopping early when the answer is already known."""
    start = clock()
    planned = list(creds[: settings.max_attempts])
    result = HostResult(host, HostStatus.ALL_REJECTED, planned=len(creds))
    answered = False
    failures = 0
    if not planned:
        result.status = HostStatus.INCOMPLETE
        result.detail = "no credential to try (all filtered out: admins or --user)"
    for n, cred in enumerate(planned):
        if n and clock() - start + settings.delay > settings.host_timeout:
            result.status = HostStatus.INCOMPLETE
            result.detail = f"host budget of {settings.host_timeout:g}s used after {n} attempts"
            break
        if n:
            sleep(settings.delay)
        attempt = probe(host.address, host.port, cred.user, cred.password, settings.timeout)
        result.attempts.append(AttemptRecord(cred, attempt))
        outcome = attempt.outcome
        if outcome is Outcome.METHOD_NOT_ALLOWED:
            result.status = HostStatus.PASSWORD_AUTH_DISABLED
            result.detail = attempt.detail
            break
        if outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            answered, failures = True, 0
            continue
        failures += 1
        if not answered:
            result.status = _first_failure_status(outcome)
            result.detail = attempt.detail
            break
        if failures >= MAX_CONSECUTIVE_FAILURES:
            result.status = HostStatus.INCOMPLETE
            result.detail = (f"stopped answering after {n + 1} attempts ({attempt.detail}); "
                             "fail2ban or MaxStartups may be refusing the scanner")
            break
    if result.accepted:
        result.status = HostStatus.ACCEPTED
        result.detail = f"{len(result.accepted)} default credential(s) log in"
    elif result.status is HostStatus.ALL_REJECTED and len(planned) < len(creds):
        result.detail = f"{len(planned)} of {len(creds)} tried (--max-attempts-per-host)"
    elif result.status is HostStatus.ALL_REJECTED:
        result.detail = f"{len(planned)} tried"
    result.seconds = round(clock() - start, 2)
    return result


def _first_failure_status(outcome: Outcome) -> HostStatus:
    return {
        Outcome.UNREACHABLE: HostStatus.UNREACHABLE,
        Outcome.TIMEOUT: HostStatus.TIMEOUT,
    }.get(outcome, HostStatus.ERROR)


def scan(
    hosts: Sequence[InventoryHost],
    creds_for: Callable[[InventoryHost], Sequence[Credential]],
    settings: ScanSettings,
    probe: Prober = try_password,
) -> list[HostResult]:
    """Audit every host, `settings.workers` at a time; results in inventory order."""
    with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
        futures = [pool.submit(scan_host, h, creds_for(h), settings, probe) for h in hosts]
        return [f.result() for f in futures]
