"""`bulwark backup status`: per repository snapshots, newest snapshot, last runs, size.

One `restic snapshots` per repository; the size comes from the storage itself (directory walk
for local repositories, an object listing for S3) and only falls back to `restic stats` for
other backends. Last success and last failure come from state.json, written by every run.
A repository with `immutable_days` also reports whether its bucket enforces it (immutable.py).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulwark.backup import immutable, s3
from bulwark.backup.config import BackupConfig
from bulwark.backup.execute import Restic, Target, redact_url
from bulwark.backup.records import Records
from bulwark.backup.restic.snapshots import snapshots
from bulwark.backup.restic.stats import raw_size
from bulwark.errors import BulwarkError


@dataclass
class RepositoryStatus:
    repository: str
    url: str
    primary: bool
    snapshots: int | None = None
    host_snapshots: int | None = None
    newest_snapshot: str | None = None
    last_success: str | None = None
    last_failure: dict[str, Any] | None = None
    size_bytes: int | None = None
    error: str | None = None
    immutable_days: int | None = None
    immutable_problem: str | None = None  # what the bucket lacks (F10); the status exits 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def repository_status(config: BackupConfig, restic: Restic) -> list[RepositoryStatus]:
    """Status of every repository; a repository that cannot be read carries `error`."""
    state = Records(config).state().get("repositories", {})
    statuses = []
    for name in [config.primary, *config.secondaries]:
        repo_state = state.get(name, {})
        status = RepositoryStatus(
            repository=name,
            url=redact_url(config.repositories[name].url),
            primary=name == config.primary,
            last_success=_iso(repo_state.get("last_success")),
            last_failure=_failure(repo_state.get("last_failure")),
        )
        try:
            target = config.target(name)
            found = snapshots(restic, target)
            status.snapshots = len(found)
            mine = [snapshot for snapshot in found if snapshot.hostname == config.host]
            status.host_snapshots = len(mine)
            if found:
                status.newest_snapshot = found[-1].time.astimezone(UTC).isoformat(
                    timespec="seconds"
                )
            status.size_bytes = _size(restic, target)
            status.immutable_days = config.repositories[name].immutable_days
            if status.immutable_days:
                status.immutable_problem = immutable.shortfall(
                    s3.parse_url(target.url), target.env, name, status.immutable_days
                )
        except BulwarkError as exc:
            status.error = str(exc)
        statuses.append(status)
    return statuses


def _size(restic: Restic, target: Target) -> int:
    if s3.is_s3(target.url):
        return s3.usage(s3.parse_url(target.url), target.env)
    local = target.url.removeprefix("local:")
    if local.startswith("/"):
        return _tree_size(Path(local))
    return raw_size(restic, target)


def _tree_size(root: Path) -> int:
    total = 0
    for directory, _subdirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except FileNotFoundError:
                continue
    return total


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _failure(failure: dict[str, Any] | None) -> dict[str, Any] | None:
    if not failure:
        return None
    return {**failure, "time": _iso(failure.get("time"))}
