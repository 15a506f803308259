"""Judge one restored file against the live source (policy F18: verify every restore)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bulwark.backup.drill.hashing import NOT_REGULAR, FileDigest
from bulwark.backup.restic.ls import SnapshotFile


class Verdict(StrEnum):
    MATCH = "match"
    CHANGED_SINCE_BACKUP = "changed since backup"
    REMOVED_SINCE_BACKUP = "removed from the live source since backup"
    MISSING_FROM_RESTORE = "missing from the restore"
    SIZE_MISMATCH = "restored size differs from the snapshot"
    CONTENT_MISMATCH = "content differs but the live mtime says unchanged"
    UNREADABLE = "unreadable"

    @property
    def failed(self) -> bool:
        return self not in _NOT_FAILURES


_NOT_FAILURES = {Verdict.MATCH, Verdict.CHANGED_SINCE_BACKUP, Verdict.REMOVED_SINCE_BACKUP}


@dataclass(frozen=True)
class FileResult:
    path: str
    verdict: Verdict
    detail: str = ""


def judge(
    entry: SnapshotFile, restored: FileDigest, live: FileDigest, snapshot_time: datetime
) -> FileResult:
    """Classify one file.

    The restored copy must exist with the snapshot's size. Equal hashes are a match. When the
    hashes differ, a live mtime after the snapshot means the source moved on (not a failure);
    otherwise one side is silently corrupted, which is a failure.
    """
    path = entry.path
    if not restored.present:
        if restored.error == "missing":
            return FileResult(path, Verdict.MISSING_FROM_RESTORE)
        return FileResult(path, Verdict.UNREADABLE, f"restored copy: {restored.error}")
    if restored.size != entry.size:
        return FileResult(
            path, Verdict.SIZE_MISMATCH, f"snapshot {entry.size} B, restored {restored.size} B"
        )
    if not live.present:
        if live.error == "missing":
            return FileResult(path, Verdict.REMOVED_SINCE_BACKUP)
        if live.error == NOT_REGULAR:
            return FileResult(path, Verdict.CHANGED_SINCE_BACKUP, "no longer a regular file")
        return FileResult(path, Verdict.UNREADABLE, f"live file: {live.error}")
    if restored.sha256 == live.sha256:
        return FileResult(path, Verdict.MATCH)
    if live.mtime is not None and live.mtime > snapshot_time:
        return FileResult(path, Verdict.CHANGED_SINCE_BACKUP, f"live mtime {live.mtime:%FT%TZ}")
    return FileResult(
        path,
        Verdict.CONTENT_MISMATCH,
        f"sha256 restored {restored.sha256[:12]}…, live {live.sha256[:12]}…"
        if restored.sha256 and live.sha256
        else "",
    )
