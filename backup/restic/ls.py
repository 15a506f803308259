"""`restic ls --json`: a snapshot's file list with sizes and mtimes (for drill sampling)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bulwark.backup.drill.model import Snapshot, SnapshotFile, parse_restic_time, snapshot_from_json
from bulwark.backup.errors import BackupError


def ls_args(snapshot: str) -> list[str]:
    """Run with JSON output (the runner adds `--json`): one document per line."""
    return ["ls", snapshot]


def parse_ls(documents: Iterable[Any]) -> tuple[Snapshot, list[SnapshotFile]]:
    """The first document is the snapshot; the rest are nodes. Only regular files are kept."""
    snapshot: Snapshot | None = None
    files: list[SnapshotFile] = []
    for obj in documents:
        if isinstance(obj, str | bytes):
            obj = json.loads(obj)
        if not isinstance(obj, dict):
            continue
        kind = obj.get("struct_type")
        if kind == "snapshot":
            snapshot = snapshot_from_json(obj)
        elif kind == "node" and obj.get("type") == "file":
            files.append(
                SnapshotFile(
                    path=obj["path"],
                    size=int(obj.get("size", 0)),
                    mtime=parse_restic_time(obj["mtime"]),
                )
            )
    if snapshot is None:
        raise BackupError("restic ls printed no snapshot header")
    return snapshot, files
