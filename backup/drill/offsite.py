"""Are the primary's snapshots in each offsite copy? (policies F11, F13, F14)

`restic copy` records the source snapshot id as `original` in the copy; copies made
without it are matched by tree id (identical content gives the identical tree).
Which primary snapshots an offsite must hold follows the offsite's own retention,
evaluated with restic's `forget` bucket rules on the primary's snapshot list.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bulwark.backup.restic.snapshots import Snapshot

_BUCKETS: dict[str, Callable[[datetime], object]] = {
    "last": lambda t: t,
    "hourly": lambda t: (t.year, t.month, t.day, t.hour),
    "daily": lambda t: (t.year, t.month, t.day),
    "weekly": lambda t: t.isocalendar()[:2],
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: t.year,
}


_WITHIN = re.compile(r"(\d+)([ymdh])")


def _within_cutoff(latest: datetime, spec: str) -> datetime:
    """restic's --keep-within: years/months/days/hours back from the group's latest snapshot."""
    amounts = {unit: int(n) for n, unit in _WITHIN.findall(spec)}
    months = latest.month - 1 - amounts.get("m", 0) - 12 * amounts.get("y", 0)
    year, month = latest.year + months // 12, months % 12 + 1
    day = min(latest.day, calendar.monthrange(year, month)[1])
    shifted = latest.replace(year=year, month=month, day=day)
    return shifted - timedelta(days=amounts.get("d", 0), hours=amounts.get("h", 0))


def kept_by_retention(
    snapshots: Sequence[Snapshot], retention: Mapping[str, int | str | None] | None
) -> list[Snapshot]:
    """The snapshots `restic forget --keep-…` would keep, per (host, paths) group.

    Unknown keys and an empty retention keep everything (never under-report missing copies).
    """
    spec = {k: v for k, v in (retention or {}).items() if v}
    within = spec.pop("within", None)
    rules = {k: int(v) for k, v in spec.items() if k in _BUCKETS and isinstance(v, int)}
    if (not rules and not within) or len(rules) != len(spec):
        return sorted(snapshots, key=lambda s: s.time)
    groups: dict[tuple[str, tuple[str, ...]], list[Snapshot]] = {}
    for snap in snapshots:
        groups.setdefault((snap.hostname, tuple(sorted(snap.paths))), []).append(snap)
    kept: list[Snapshot] = []
    for members in groups.values():
        members = sorted(members, key=lambda s: s.time, reverse=True)
        cutoff = _within_cutoff(members[0].time, str(within)) if within else None
        counters = dict(rules)
        last_bucket: dict[str, object] = {}
        for snap in members:
            keep = cutoff is not None and snap.time >= cutoff
            local = snap.time.astimezone()
            for name, remaining in counters.items():
                if remaining == 0:
                    continue
                bucket = _BUCKETS[name](local) if name != "last" else snap.id
                if last_bucket.get(name) != bucket:
                    keep = True
                    last_bucket[name] = bucket
                    counters[name] = remaining - 1 if remaining > 0 else remaining
            if keep:
                kept.append(snap)
    return sorted(kept, key=lambda s: s.time)


@dataclass
class OffsiteVerification:
    repository: str
    expected: int = 0
    matched_by_original: int = 0
    matched_by_tree: int = 0
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing


def verify_offsite(
    name: str,
    primary: Sequence[Snapshot],
    offsite: Sequence[Snapshot],
    retention: Mapping[str, int] | None,
) -> OffsiteVerification:
    """Name every primary snapshot (kept by the offsite's retention) that has no copy offsite."""
    originals = {s.original for s in offsite if s.original}
    trees = {s.tree for s in offsite}
    result = OffsiteVerification(repository=name)
    for snap in kept_by_retention(primary, retention):
        result.expected += 1
        if snap.id in originals:
            result.matched_by_original += 1
        elif snap.tree in trees:
            result.matched_by_tree += 1
        else:
            result.missing.append(snap.id)
    return result
