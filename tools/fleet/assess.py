"""Judge each host from its status object: what is stale, failing, missing or unreadable.

Flags (a host with any of the first five is *flagged*: the command exits 1):

    backup-stale     last good backup older than max_backup_age_hours, or never
    drill-stale      no passing drill within max_drill_age_days, or never
    missing          an expected host has no status object
    unreadable       the status object cannot be read or parsed (`error` says why)
    not-immutable    a repository configured with immutable_days sits in a bucket that the
                     last run found not enforcing it (no versioning / Object Lock, F10)
    backup-failing   the last backup run did not end ok (informational: shown, does not flag;
                     once the last good backup ages past the limit, backup-stale does)

`now` is a parameter everywhere, so the rules are tested without waiting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bulwark.fleet.collect import Fetched
from bulwark.fleet.config import DEFAULT_MAX_BACKUP_AGE_HOURS, DEFAULT_MAX_DRILL_AGE_DAYS

ALERTING = ("backup-stale", "drill-stale", "missing", "unreadable", "not-immutable")
INFORMATIONAL = ("backup-failing",)


@dataclass(frozen=True)
class Limits:
    max_backup_age_hours: float = DEFAULT_MAX_BACKUP_AGE_HOURS
    max_drill_age_days: float = DEFAULT_MAX_DRILL_AGE_DAYS

    @property
    def backup(self) -> timedelta:
        return timedelta(hours=self.max_backup_age_hours)

    @property
    def drill(self) -> timedelta:
        return timedelta(days=self.max_drill_age_days)


@dataclass
class HostRow:
    """One line of the fleet view."""

    host: str
    flags: list[str] = field(default_factory=list)
    source: str | None = None  # store and key of the status object
    written_at: datetime | None = None
    last_good_backup: datetime | None = None
    last_backup_result: str | None = None
    last_passing_drill: datetime | None = None
    last_drill_passed: bool | None = None
    error: str | None = None

    @property
    def flagged(self) -> bool:
        return any(flag in ALERTING for flag in self.flags)

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "host": self.host,
            "flagged": self.flagged,
            "flags": list(self.flags),
            "source": self.source,
            "written_at": _iso(self.written_at),
            "last_good_backup": _iso(self.last_good_backup),
            "last_good_backup_age_hours": _age(now, self.last_good_backup, 3600),
            "last_backup_result": self.last_backup_result,
            "last_passing_drill": _iso(self.last_passing_drill),
            "last_passing_drill_age_days": _age(now, self.last_passing_drill, 86400),
            "last_drill_passed": self.last_drill_passed,
            "error": self.error,
        }


def assess_host(
    document: dict[str, Any], *, now: datetime, limits: Limits, source: str | None = None
) -> HostRow:
    """Flags of one host from its (schema-checked) status document."""
    host = str(document["host"])
    try:
        row = _row(host, document, source)
    except (ValueError, TypeError, AttributeError) as exc:
        return HostRow(host=host, flags=["unreadable"], source=source, error=str(exc))
    if row.last_good_backup is None or now - row.last_good_backup > limits.backup:
        row.flags.append("backup-stale")
    if row.last_backup_result not in (None, "ok"):
        row.flags.append("backup-failing")
    if row.last_passing_drill is None or now - row.last_passing_drill > limits.drill:
        row.flags.append("drill-stale")
    repositories = document.get("repositories") or {}
    if any(isinstance(repo, dict) and (repo.get("immutable") or {}).get("enforced") is False
           for repo in repositories.values()):
        row.flags.append("not-immutable")
    return row


def assess_fleet(
    fetched: Iterable[Fetched], *, now: datetime, limits: Limits,
    expected_hosts: Iterable[str] = (),
) -> list[HostRow]:
    """One row per host (the newest of its status objects), flagged rows first."""
    newest: dict[str, tuple[datetime, HostRow]] = {}
    rows: list[HostRow] = []
    for item in fetched:
        source = f"{item.store} {item.key}"
        if item.document is None:
            rows.append(HostRow(host=item.name, flags=["unreadable"], source=source,
                                error=item.error))
            continue
        row = assess_host(item.document, now=now, limits=limits, source=source)
        written = row.written_at or datetime.min.replace(tzinfo=UTC)
        if row.host not in newest or written > newest[row.host][0]:
            newest[row.host] = (written, row)
    rows += [row for _, row in newest.values()]
    seen = {row.host for row in rows}
    rows += [HostRow(host=host, flags=["missing"])
             for host in dict.fromkeys(expected_hosts) if host not in seen]
    return sorted(rows, key=lambda row: (not row.flagged, row.host))


def _row(host: str, document: dict[str, Any], source: str | None) -> HostRow:
    backup_run = document.get("last_backup_run") or {}
    drill = document.get("last_drill") or {}
    return HostRow(
        host=host,
        source=source,
        written_at=_time(document, "written_at"),
        last_good_backup=_time(document, "last_good_backup"),
        last_backup_result=_text(backup_run.get("result"), "last_backup_run.result"),
        last_passing_drill=_time(drill, "last_passed", "last_drill.last_passed"),
        last_drill_passed=drill.get("passed"),
    )


def _time(data: dict[str, Any], key: str, name: str | None = None) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name or key} is not a time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name or key} {value[:40]!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _age(now: datetime, moment: datetime | None, unit: int) -> float | None:
    return None if moment is None else round((now - moment).total_seconds() / unit, 2)
