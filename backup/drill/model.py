"""What a drill knows about one file in a snapshot (parsed from `restic ls --json`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SnapshotFile:
    """A regular file as recorded in a snapshot: its absolute path, size and mtime."""

    path: str
    size: int
    mtime: datetime


@dataclass(frozen=True)
class Snapshot:
    """The parts of a restic snapshot a drill needs."""

    id: str
    time: datetime
    tree: str
    paths: tuple[str, ...]
    tags: tuple[str, ...] = ()
    original: str | None = None
    hostname: str = ""

    @property
    def short_id(self) -> str:
        return self.id[:8]


def parse_restic_time(value: str) -> datetime:
    """restic prints RFC 3339 with nanoseconds; Python keeps microseconds."""
    head, sep, rest = value.partition(".")
    if sep:
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits) :]
        value = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def snapshot_from_json(obj: dict[str, object]) -> Snapshot:
    """Build a Snapshot from one element of `restic snapshots --json` (or `ls --json` line 1)."""
    return Snapshot(
        id=str(obj["id"]),
        time=parse_restic_time(str(obj["time"])),
        tree=str(obj.get("tree", "")),
        paths=tuple(str(p) for p in obj.get("paths") or ()),  # type: ignore[union-attr]
        tags=tuple(str(t) for t in obj.get("tags") or ()),  # type: ignore[union-attr]
        original=str(obj["original"]) if obj.get("original") else None,
        hostname=str(obj.get("hostname", "")),
    )
