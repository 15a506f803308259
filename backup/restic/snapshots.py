"""`restic snapshots --json`: the snapshot list, and the one `Snapshot` model of Bulwark.

`restic ls --json` prints the same snapshot document as its first line (restic/ls.py), so both
commands build their snapshots here, with the one parser for restic's times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bulwark.backup.execute import Restic, Target

# Snapshots that are not a backup of the configured sources: database dumps, and the safety
# backup a restore takes first (actions/restore.py).
NOT_SOURCE_TAGS = frozenset({"postgresql", "pre-restore"})


class Snapshot(BaseModel):
    """One restic snapshot: what status, restore, recover and the drill read from it."""

    model_config = ConfigDict(frozen=True)

    id: str
    time: datetime
    tree: str = ""
    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    original: str | None = None  # the source snapshot's id in a `restic copy`
    hostname: str = ""

    @property
    def short_id(self) -> str:
        return self.id[:8]


def parse_time(value: str) -> datetime:
    """restic's RFC 3339 times carry nanoseconds, which Python's parser does not take."""
    head, _, rest = value.partition(".")
    if not rest:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    count = len(rest) - len(rest.lstrip("0123456789"))
    digits, zone = rest[:count], rest[count:].replace("Z", "+00:00")
    return datetime.fromisoformat(f"{head}.{digits[:6].ljust(6, '0')}{zone}")


def from_json(document: Mapping[str, Any]) -> Snapshot:
    """A Snapshot from one element of `snapshots --json` (or the first line of `ls --json`)."""
    return Snapshot(
        id=str(document["id"]),
        time=parse_time(str(document["time"])),
        tree=str(document.get("tree", "")),
        paths=tuple(str(p) for p in document.get("paths") or ()),
        tags=tuple(str(t) for t in document.get("tags") or ()),
        original=str(document["original"]) if document.get("original") else None,
        hostname=str(document.get("hostname", "")),
    )


def snapshots_args(*, host: str | None = None) -> list[str]:
    args = ["snapshots", "--no-lock"]
    return [*args, "--host", host] if host else args


def snapshots(restic: Restic, target: Target, *, host: str | None = None) -> list[Snapshot]:
    """The repository's snapshots (of `host` only, if given), oldest first."""
    result = restic.run(target, snapshots_args(host=host))
    return sorted((from_json(item) for item in result.document() or []),
                  key=lambda snapshot: snapshot.time)


def latest_source_snapshot(
    found: Sequence[Snapshot], host: str, sources: Sequence[str]
) -> Snapshot | None:
    """The newest snapshot of this host's sources (not a database dump, not a safety backup)."""
    wanted = {s.rstrip("/") or "/" for s in sources}
    candidates = [
        s for s in found
        if s.hostname == host
        and not NOT_SOURCE_TAGS.intersection(s.tags)
        and wanted.intersection(p.rstrip("/") or "/" for p in s.paths)
    ]
    return max(candidates, key=lambda s: s.time, default=None)
