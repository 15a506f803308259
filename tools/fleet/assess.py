"""Judge each host from its status objects: what is stale, failing, missing, forged or unreadable.

Trust: the object's KEY names the host (`<prefix>/<host>.bulwark-status.json`); who may write
which key is the store's access policy. An object is *used* for its host only if

    its content names the same host          else `forged`     (it may not speak for another)
    no time in it is in the future (+5 min)  else `clock-skew` (a future time would look fresh)
    it parses as its kind                    else `unreadable`

An object that is not used says nothing about the host: the row keeps the flag, and the state it
would have claimed is not shown. Per host and kind the newest used object (by `written_at`)
counts, over every store.

Flags (every one but `backup-failing` makes the host *flagged*: the command exits 1):

    backup-stale        last good backup older than max_backup_age_hours, or never
    backup-failing      the last backup run did not end ok (informational: once the last good
                        backup ages past the limit, backup-stale says so)
    drill-stale         no passing drill within max_drill_age_days, or never
    hardening-stale     last hardening run older than max_hardening_age_hours
    hardening-failing   the last hardening run failed
    compliance-failing  the last hardening run's compliance checks had failures
    hardening-missing   no hardening object, and the config sets require_hardening
    not-immutable       a repository with immutable_days sits in a bucket the last backup run
                        found not enforcing it (no versioning / Object Lock, F10)
    missing             an expected host has no status object at all
    unreadable / forged / clock-skew   see above

`now` is a parameter everywhere, so the rules are tested without waiting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bulwark.fleet.collect import Fetched
from bulwark.fleet.config import (
    DEFAULT_MAX_BACKUP_AGE_HOURS,
    DEFAULT_MAX_DRILL_AGE_DAYS,
    DEFAULT_MAX_HARDENING_AGE_HOURS,
)
from bulwark.fleet.documents import BackupStatus, HardeningStatus

INFORMATIONAL = ("backup-failing",)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Limits:
    max_backup_age_hours: float = DEFAULT_MAX_BACKUP_AGE_HOURS
    max_drill_age_days: float = DEFAULT_MAX_DRILL_AGE_DAYS
    max_hardening_age_hours: float = DEFAULT_MAX_HARDENING_AGE_HOURS
    require_hardening: bool = False

    @property
    def backup(self) -> timedelta:
        return timedelta(hours=self.max_backup_age_hours)

    @property
    def drill(self) -> timedelta:
        return timedelta(days=self.max_drill_age_days)

    @property
    def hardening(self) -> timedelta:
        return timedelta(hours=self.max_hardening_age_hours)


@dataclass
class HostRow:
    """One line of the fleet view."""

    host: str
    flags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # store and key of each object seen
    errors: list[str] = field(default_factory=list)
    backup: BackupStatus | None = None
    hardening: HardeningStatus | None = None

    @property
    def flagged(self) -> bool:
        return any(flag not in INFORMATIONAL for flag in self.flags)

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) or None

    @property
    def last_good_backup(self) -> datetime | None:
        return self.backup.last_good_backup if self.backup else None

    @property
    def last_backup_result(self) -> str | None:
        run = self.backup.last_backup_run if self.backup else None
        return run.result if run else None

    @property
    def last_passing_drill(self) -> datetime | None:
        drill = self.backup.last_drill if self.backup else None
        return drill.last_passed if drill else None

    def flag(self, name: str, error: str | None = None) -> None:
        if name not in self.flags:
            self.flags.append(name)
        if error:
            self.errors.append(error)

    def as_dict(self, now: datetime) -> dict[str, Any]:
        drill = self.backup.last_drill if self.backup else None
        hardening = self.hardening
        return {
            "host": self.host,
            "flagged": self.flagged,
            "flags": list(self.flags),
            "sources": list(self.sources),
            "written_at": _iso(self.backup.written_at if self.backup else None),
            "last_good_backup": _iso(self.last_good_backup),
            "last_good_backup_age_hours": _age(now, self.last_good_backup, 3600),
            "last_backup_result": self.last_backup_result,
            "last_passing_drill": _iso(self.last_passing_drill),
            "last_passing_drill_age_days": _age(now, self.last_passing_drill, 86400),
            "last_drill_passed": drill.passed if drill else None,
            "hardening": None if hardening is None else {
                "written_at": _iso(hardening.written_at),
                "age_hours": _age(now, hardening.written_at, 3600),
                "result": hardening.result,
                "commit": hardening.commit,
                "changed": hardening.changed,
                "failed": hardening.failed,
                "failed_tasks": list(hardening.failed_tasks),
                "compliance": (hardening.compliance.model_dump()
                               if hardening.compliance else None),
            },
            "error": self.error,
        }


def assess_fleet(
    fetched: Iterable[Fetched], *, now: datetime, limits: Limits,
    expected_hosts: Iterable[str] = (),
) -> list[HostRow]:
    """One row per host the keys or the config name, flagged rows first."""
    rows: dict[str, HostRow] = {}
    untrusted: dict[str, set[str]] = {}  # host -> kinds with an object that was not used
    for item in fetched:
        row = rows.setdefault(item.name, HostRow(host=item.name))
        row.sources.append(f"{item.store} {item.key}")
        problem = _distrust(item, now)
        if problem:
            row.flag(*problem)
            untrusted.setdefault(item.name, set()).add(item.kind)
            continue
        current = getattr(row, item.kind)
        if current is None or item.status.written_at > current.written_at:  # type: ignore[union-attr]
            setattr(row, item.kind, item.status)
    for host in dict.fromkeys(expected_hosts):
        rows.setdefault(host, HostRow(host=host, flags=["missing"]))
    for row in rows.values():
        if "missing" not in row.flags:
            _judge(row, now, limits, untrusted.get(row.host, set()))
    return sorted(rows.values(), key=lambda row: (not row.flagged, row.host))


def _distrust(item: Fetched, now: datetime) -> tuple[str, str] | None:
    """Why this object may not speak for the host its key names (None: it may)."""
    what = f"{item.kind} object"
    if item.status is None:
        return "unreadable", f"{what}: {item.error}"
    if item.status.host != item.name:
        return "forged", f"{what} claims host {item.status.host!r}"
    future = [moment for moment in item.status.times() if moment > now + CLOCK_SKEW]
    if future:
        return "clock-skew", f"{what} dated {_iso(max(future))}, in the future"
    return None


def _judge(row: HostRow, now: datetime, limits: Limits, untrusted: set[str]) -> None:
    if row.backup is not None or "backup" not in untrusted:
        if row.last_good_backup is None or now - row.last_good_backup > limits.backup:
            row.flag("backup-stale")
        if row.last_backup_result not in (None, "ok"):
            row.flag("backup-failing")
        if row.last_passing_drill is None or now - row.last_passing_drill > limits.drill:
            row.flag("drill-stale")
        if row.backup is not None and row.backup.not_immutable():
            row.flag("not-immutable",
                     f"not immutable: {', '.join(row.backup.not_immutable())}")
    hardening = row.hardening
    if hardening is None:
        if limits.require_hardening and "hardening" not in untrusted:
            row.flag("hardening-missing")
        return
    if now - hardening.written_at > limits.hardening:
        row.flag("hardening-stale")
    if hardening.result != "ok":
        row.flag("hardening-failing")
    if hardening.compliance and hardening.compliance.failed:
        row.flag("compliance-failing")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _age(now: datetime, moment: datetime | None, unit: int) -> float | None:
    return None if moment is None else round((now - moment).total_seconds() / unit, 2)
