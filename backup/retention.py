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
from collections.abc import Sequence

from bulwark.backup.errors import BackupError
from bulwark.backup.restic.forget import KEEP_TAGS, Plan

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
