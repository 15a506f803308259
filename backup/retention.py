"""Retention that can never delete the backup it protects.

Two layers, because restic 0.14 turns several harmless-looking keep rules into "keep nothing"
and Bulwark always adds `--keep-tag pre-restore` (which makes restic apply the policy at all):

1. Config validation (`check_count`, `check_within`) refuses every spelling that keeps nothing,
   measured against restic 0.14 (tests/integration/backup/test_retention_guard.py):
   - a count of 0 is "no rule" to restic; with --keep-tag every untagged snapshot goes;
   - a negative count keeps nothing at all, even the tagged ones;
   - `within` whose total is zero (0d, 0h, 0y0m0d0h, 00d) is "no rule", like a count of 0;
   - a unit given twice: restic keeps only the last value, so `1d0d` means `0d`;
   - more than 2562047 hours overflows Go's time.Duration and removes everything; larger
     numbers of any unit are refused as well (a limit far beyond any real retention).
2. The run-time guard (`check_plan`), which no configuration can switch off: retention first
   asks restic for its plan (`forget --dry-run`), refuses it if it would forget a snapshot made
   by this run, the newest snapshot of any (host, paths) group, or every snapshot of the host,
   and otherwise forgets exactly the planned snapshot ids, so nothing added in between is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bulwark.backup.errors import BackupError
from bulwark.backup.restic.forget import KEEP_TAGS

#: Larger numbers are refused: restic's `--keep-within` hours overflow above 2562047.
MAX_WITHIN = 100_000
MAX_COUNT = 1_000_000
_WITHIN_PART = re.compile(r"([0-9]+)([ymdh])")
_WITHIN = re.compile(r"(?:[0-9]+[ymdh])+")


class RetentionRefused(BackupError):
    """The retention restic planned would delete what must be kept; nothing was forgotten."""

    exit_code = 1


def check_count(value: int) -> int:
    """A keep count: 0 means "no rule" to restic, a negative one keeps nothing at all."""
    if value == 0:
        raise ValueError("0 keeps nothing (restic treats it as no rule); use 1 or more, or "
                         "leave the key out")
    if value < 0:
        raise ValueError(f"{value} keeps nothing (restic 0.14 forgets every snapshot for a "
                         "negative count); use 1 or more")
    if value > MAX_COUNT:
        raise ValueError(f"{value} is larger than {MAX_COUNT}")
    return value


def check_within(value: str) -> str:
    """`within` like restic's duration (`1y6m`, `7d`, `36h`), never one that keeps nothing."""
    if not _WITHIN.fullmatch(value):
        raise ValueError(f"{value!r} is not a duration like 7d, 36h or 1y6m (units y, m, d, h)")
    parts = _WITHIN_PART.findall(value)
    units = [unit for _, unit in parts]
    repeated = sorted({unit for unit in units if units.count(unit) > 1})
    if repeated:
        raise ValueError(f"{value!r} gives {'/'.join(repeated)} more than once (restic keeps "
                         "only the last one); write each unit once")
    if all(int(number) == 0 for number, _ in parts):
        raise ValueError(f"{value!r} keeps nothing (restic treats a zero duration as no rule); "
                         "give a duration such as 7d")
    too_big = [f"{number}{unit}" for number, unit in parts if int(number) > MAX_WITHIN]
    if too_big:
        raise ValueError(f"{value!r}: {too_big[0]} is larger than {MAX_WITHIN} (restic's date "
                         "arithmetic overflows and then keeps nothing)")
    return value


@dataclass(frozen=True)
class PlannedSnapshot:
    id: str
    time: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    host: str
    paths: tuple[str, ...]
    keep: tuple[PlannedSnapshot, ...]
    remove: tuple[PlannedSnapshot, ...]

    @property
    def newest(self) -> PlannedSnapshot | None:
        from bulwark.backup.restic.snapshots import parse_time

        members = [*self.keep, *self.remove]
        return max(members, key=lambda s: parse_time(s.time)) if members else None


@dataclass(frozen=True)
class Plan:
    """What `restic forget --dry-run --json` would keep and remove, per group."""

    groups: tuple[Group, ...]

    @property
    def kept(self) -> list[PlannedSnapshot]:
        return [s for group in self.groups for s in group.keep]

    @property
    def removed(self) -> list[PlannedSnapshot]:
        return [s for group in self.groups for s in group.remove]


def parse_plan(messages: Iterable[Any]) -> Plan:
    """The groups of `forget --json` (no JSON at all: restic found no policy, removes nothing)."""
    groups: list[Group] = []
    for document in messages:
        if not isinstance(document, list):
            continue
        for group in document:
            if isinstance(group, dict):
                groups.append(Group(
                    host=str(group.get("host") or ""),
                    paths=tuple(group.get("paths") or ()),
                    keep=_snapshots(group.get("keep")),
                    remove=_snapshots(group.get("remove")),
                ))
    return Plan(tuple(groups))


def _snapshots(items: Any) -> tuple[PlannedSnapshot, ...]:
    return tuple(
        PlannedSnapshot(id=str(item["id"]), time=str(item["time"]),
                        tags=tuple(item.get("tags") or ()))
        for item in items or ()
        if isinstance(item, dict) and "id" in item and "time" in item
    )


def check_plan(
    plan: Plan, *, made: Sequence[str], host: str, retention: str, repository: str
) -> None:
    """Refuse a plan that forgets a snapshot of this run, a group's newest, or all of the host.

    `made` may hold short ids (restic 0.14 prints 8 hex digits for a new snapshot).
    """
    where = f"retention {retention} on {repository} refused"
    removed = plan.removed
    if not removed:
        return
    # pre-restore snapshots are kept by tag, whatever the policy: they do not count as backups.
    if not [s for s in plan.kept if not set(s.tags) & set(KEEP_TAGS)]:
        raise RetentionRefused(
            f"{where}: it would forget every snapshot of host {host} ({len(removed)}); "
            "nothing was forgotten"
        )
    for snapshot in removed:
        if any(snapshot.id.startswith(short) for short in made if short):
            raise RetentionRefused(
                f"{where}: it would forget snapshot {snapshot.id[:8]} made by this run; "
                "nothing was forgotten"
            )
    for group in plan.groups:
        newest = group.newest
        if newest is not None and newest in group.remove:
            raise RetentionRefused(
                f"{where}: it would forget snapshot {newest.id[:8]}, the newest of "
                f"{', '.join(group.paths) or 'its group'}; nothing was forgotten"
            )
