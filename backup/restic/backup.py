"""`restic backup`: files or a stdin stream, and the summary restic prints at the end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bulwark.backup.execute import ResticResult

TAG = "bulwark"


def backup_args(
    paths: Sequence[Path],
    *,
    host: str,
    tags: Sequence[str],
    excludes: Sequence[str] = (),
    one_file_system: bool = False,
) -> list[str]:
    args = ["backup", "--host", host]
    for tag in _tags(tags):
        args += ["--tag", tag]
    for pattern in excludes:
        args += ["--exclude", pattern]
    if one_file_system:
        args.append("--one-file-system")
    args += ["--", *(str(path) for path in paths)]
    return args


def stdin_args(stdin_filename: str, *, host: str, tags: Sequence[str]) -> list[str]:
    """`backup --stdin`: the stream is stored as `/<stdin_filename>` in the snapshot."""
    args = ["backup", "--stdin", "--stdin-filename", stdin_filename, "--host", host]
    for tag in _tags(tags):
        args += ["--tag", tag]
    return args


def _tags(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([TAG, *tags]))


@dataclass(frozen=True)
class BackupSummary:
    snapshot_id: str | None
    data_added: int
    files_new: int
    files_changed: int
    total_files: int
    total_bytes: int


def summary(result: ResticResult) -> BackupSummary:
    """The `summary` message (same fields from restic 0.14 to 0.18)."""
    message = result.last("summary") or {}
    return BackupSummary(
        snapshot_id=message.get("snapshot_id"),
        data_added=int(message.get("data_added", 0)),
        files_new=int(message.get("files_new", 0)),
        files_changed=int(message.get("files_changed", 0)),
        total_files=int(message.get("total_files_processed", 0)),
        total_bytes=int(message.get("total_bytes_processed", 0)),
    )
