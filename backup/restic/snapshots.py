"""`restic snapshots --json`: the snapshot list, parsed into small records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bulwark.backup.execute import Restic, Target


@dataclass(frozen=True)
class Snapshot:
    id: str
    short_id: str
    time: datetime
    host: str
    paths: tuple[str, ...]
    tags: tuple[str, ...]


def parse_time(value: str) -> datetime:
    """restic's RFC 3339 times carry nanoseconds, which Python's parser does not take."""
    head, _, rest = value.partition(".")
    if not rest:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    count = len(rest) - len(rest.lstrip("0123456789"))
    digits, zone = rest[:count], rest[count:].replace("Z", "+00:00")
    return datetime.fromisoformat(f"{head}.{digits[:6].ljust(6, '0')}{zone}")


def snapshots_args(*, host: str | None = None) -> list[str]:
    args = ["snapshots", "--no-lock"]
    return [*args, "--host", host] if host else args


def snapshots(restic: Restic, target: Target, *, host: str | None = None) -> list[Snapshot]:
    result = restic.run(target, snapshots_args(host=host))
    document = result.document() or []
    return sorted(
        (
            Snapshot(
                id=item["id"],
                short_id=item.get("short_id", item["id"][:8]),
                time=parse_time(item["time"]),
                host=item.get("hostname", ""),
                paths=tuple(item.get("paths") or ()),
                tags=tuple(item.get("tags") or ()),
            )
            for item in document
        ),
        key=lambda snapshot: snapshot.time,
    )
