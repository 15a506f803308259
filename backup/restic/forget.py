"""`restic forget [--prune]`: retention with restic's own keep rules and grouping.

Snapshots are filtered by host only and grouped by restic's default (host, paths), so snapshots
made by hand or by an earlier tool for the same host and paths are governed by the same policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from bulwark.backup.execute import Restic, Target

#: Safety snapshots taken before a restore are kept permanently (policy F20 allows "per
#: retention or permanently"; we choose permanently) — delete them by hand with restic forget.
#: So are those of `run --keep` (F19, F35: before a risky change; tags.py).
KEEP_TAGS = ("pre-restore", "keep")


def forget_args(
    keep: Sequence[str], *, host: str, prune: bool = True, dry_run: bool = False
) -> list[str]:
    args = ["forget", "--host", host, *keep]
    for tag in KEEP_TAGS:
        args += ["--keep-tag", tag]
    if dry_run:
        args.append("--dry-run")
    elif prune:
        args.append("--prune")
    return [*args, "--quiet"]


def forget_ids_args(snapshot_ids: Sequence[str], *, prune: bool = False) -> list[str]:
    """Forget exact snapshots: a dump that failed half-way (it must never count as a backup), or
    the ones a checked retention plan removes (bulwark.backup.retention)."""
    return ["forget", "--quiet", *(["--prune"] if prune else []), *snapshot_ids]


class PlannedSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    time: str
    tags: tuple[str, ...]


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str
    paths: tuple[str, ...]
    keep: tuple[PlannedSnapshot, ...]
    remove: tuple[PlannedSnapshot, ...]

    @property
    def newest(self) -> PlannedSnapshot | None:
        from bulwark.backup.restic.snapshots import parse_time

        members = [*self.keep, *self.remove]
        return max(members, key=lambda s: parse_time(s.time)) if members else None


class Plan(BaseModel):
    """What `restic forget --dry-run --json` would keep and remove, per group."""

    model_config = ConfigDict(frozen=True)

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
    return Plan(groups=tuple(groups))


def _snapshots(items: Any) -> tuple[PlannedSnapshot, ...]:
    return tuple(
        PlannedSnapshot(id=str(item["id"]), time=str(item["time"]),
                        tags=tuple(item.get("tags") or ()))
        for item in items or ()
        if isinstance(item, dict) and "id" in item and "time" in item
    )


def plan(restic: Restic, target: Target, keep: Sequence[str], *, host: str) -> Plan:
    """What `forget` would keep and remove (`--dry-run`), for bulwark.backup.retention to check."""
    return parse_plan(restic.run(target, forget_args(keep, host=host, dry_run=True)).messages)


def forget_ids(
    restic: Restic, target: Target, snapshot_ids: Sequence[str], *, prune: bool = False
) -> None:
    restic.run(target, forget_ids_args(snapshot_ids, prune=prune), json_output=False)
