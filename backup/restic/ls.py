"""`restic ls --json`: a snapshot's file list with sizes and mtimes (drill sampling, restore)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bulwark.backup.errors import BackupError
from bulwark.backup.execute import Restic, Target
from bulwark.backup.restic.snapshots import Snapshot, from_json, parse_time


class SnapshotFile(BaseModel):
    """A regular file as recorded in a snapshot: its absolute path, size and mtime."""

    model_config = ConfigDict(frozen=True)

    path: str
    size: int
    mtime: datetime


def ls_args(snapshot: str) -> list[str]:
    """Run with JSON output (the runner adds `--json`): one document per line."""
    return ["ls", snapshot]


def ls(restic: Restic, target: Target, snapshot: str) -> tuple[Snapshot, list[SnapshotFile]]:
    """The snapshot and the regular files in it."""
    return parse_ls(restic.run(target, ls_args(snapshot)).messages)


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
            snapshot = from_json(obj)
        elif kind == "node" and obj.get("type") == "file":
            # Already typed here, so no second validation: a drill lists 10^5..10^6 files.
            files.append(
                SnapshotFile.model_construct(
                    path=str(obj["path"]),
                    size=int(obj.get("size", 0)),
                    mtime=parse_time(obj["mtime"]),
                )
            )
    if snapshot is None:
        raise BackupError("restic ls printed no snapshot header")
    return snapshot, files
