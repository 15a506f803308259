"""`restic forget [--prune]`: retention with restic's own keep rules and grouping.

Snapshots are filtered by host only and grouped by restic's default (host, paths), so snapshots
made by hand or by an earlier tool for the same host and paths are governed by the same policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bulwark.backup.execute import ResticResult

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


@dataclass(frozen=True)
class ForgetSummary:
    kept: int
    removed: int
    kept_ids: list[str]
    removed_ids: list[str]


def summary(result: ResticResult) -> ForgetSummary:
    """Kept and removed snapshots over all groups (`forget --json`: a list of groups)."""
    groups: list[dict[str, Any]] = []
    for document in result.messages:
        if isinstance(document, list):
            groups.extend(group for group in document if isinstance(group, dict))
    kept = [s["id"] for group in groups for s in (group.get("keep") or [])]
    removed = [s["id"] for group in groups for s in (group.get("remove") or [])]
    return ForgetSummary(len(kept), len(removed), kept, removed)
