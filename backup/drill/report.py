"""The drill report: JSON evidence in state_dir/drills/ and a human summary (F3, F27, F29)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bulwark.backup.drill.compare import FileResult
from bulwark.backup.drill.offsite import OffsiteVerification
from bulwark.errors import BulwarkError

SCHEMA_VERSION = 1
DRILLS_DIR = "drills"
# <started>Z-<repository>[.<n>].json, as written by write_report (repository names have no dot).
_REPORT_NAME = re.compile(
    r"^(?P<started>\d{8}T\d{6})Z-(?P<repository>[^.]+)(?:\.(?P<n>\d+))?\.json$"
)


@dataclass
class RestoreMeasure:
    """The RTO evidence: how long restoring and verifying took."""

    files: int = 0
    bytes: int = 0
    seconds: float = 0.0

    @property
    def mb_per_s(self) -> float:
        return round(self.bytes / 1_000_000 / self.seconds, 2) if self.seconds > 0 else 0.0


@dataclass
class CheckResult:
    mode: str  # "subset" or "full"
    subset: str | None
    ok: bool
    seconds: float
    message: str = ""


@dataclass
class DatabaseResult:
    name: str
    snapshot: str | None
    ok: bool
    seconds: float = 0.0
    tables: int = 0
    mismatches: list[str] = field(default_factory=list)
    changed_since_backup: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class RepositoryDrill:
    """Everything one drill found out about one repository."""

    repository: str
    mode: str  # "sample" or "full"
    seed: int | None = None
    snapshot_id: str | None = None
    snapshot_time: datetime | None = None
    snapshot_tags: tuple[str, ...] = ()  # class:<level> among them: the report's F12 check
    sampled_from: int = 0
    restore: RestoreMeasure = field(default_factory=RestoreMeasure)
    failures: list[FileResult] = field(default_factory=list)
    changed_since_backup: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    check: CheckResult | None = None
    offsite: list[OffsiteVerification] = field(default_factory=list)
    databases: list[DatabaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.failures
            and not self.errors
            and (self.check is None or self.check.ok)
            and all(o.ok for o in self.offsite)
            and all(d.ok for d in self.databases)
        )


def _files(results: list[FileResult]) -> list[dict[str, str]]:
    return [{"path": r.path, "reason": str(r.verdict), "detail": r.detail} for r in results]


def to_json(
    drill: RepositoryDrill, *, host: str, config: str, started: datetime, ended: datetime
) -> dict[str, Any]:
    """The stable report schema read by the agent role and the compliance report."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "bulwark.restore-drill",
        "host": host,
        "config": config,
        "started": started.isoformat(),
        "ended": ended.isoformat(),
        "ok": drill.ok,
        "repository": drill.repository,
        "mode": drill.mode,
        "seed": drill.seed,
        "snapshot": {
            "id": drill.snapshot_id,
            "time": drill.snapshot_time.isoformat() if drill.snapshot_time else None,
            "files_in_snapshot": drill.sampled_from,
            "tags": list(drill.snapshot_tags),
        },
        "restore": {
            "files": drill.restore.files,
            "bytes": drill.restore.bytes,
            "seconds": round(drill.restore.seconds, 3),
            "mb_per_s": drill.restore.mb_per_s,
        },
        "files_checked": drill.restore.files,
        "failures": _files(drill.failures),
        "changed_since_backup": _files(drill.changed_since_backup),
        "errors": list(drill.errors),
        "check": asdict(drill.check) if drill.check else None,
        "offsite": [
            {
                "repository": o.repository,
                "ok": o.ok,
                "expected": o.expected,
                "matched_by_original": o.matched_by_original,
                "matched_by_tree": o.matched_by_tree,
                "missing": o.missing,
                "error": o.error,
            }
            for o in drill.offsite
        ],
        "databases": [asdict(d) for d in drill.databases],
    }


class ReportError(BulwarkError):
    """The drill report cannot be written (state_dir missing or read-only)."""


def write_report(state_dir: Path, report: dict[str, Any], started: datetime) -> Path:
    """Keep history: one file per drill and repository, never overwritten, written atomically."""
    try:
        return _write_report(state_dir, report, started)
    except OSError as exc:
        raise ReportError(
            f"cannot write the drill report under {state_dir / DRILLS_DIR}: {exc.strerror}"
        ) from None


def _write_report(state_dir: Path, report: dict[str, Any], started: datetime) -> Path:
    directory = state_dir / DRILLS_DIR
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    stem = f"{started:%Y%m%dT%H%M%S}Z-{report['repository']}"
    path = directory / f"{stem}.json"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{stem}.{n}.json"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".drill.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def latest_report(state_dir: Path, repository: str | None = None) -> Path | None:
    """The newest drill report, of one repository if named: by start time, then by the counter
    `write_report` adds when two drills of a repository start in the same second."""
    try:
        paths = list((state_dir / DRILLS_DIR).iterdir())
    except OSError:
        return None
    newest: tuple[str, int, Path] | None = None
    for path in paths:
        match = _REPORT_NAME.match(path.name)
        if match is None or repository not in (None, match["repository"]):
            continue
        candidate = (match["started"], int(match["n"] or 1), path)
        if newest is None or candidate[:2] > newest[:2]:
            newest = candidate
    return newest[2] if newest else None


def summary(report: dict[str, Any], limit: int = 20) -> str:
    """A short human summary of one repository's drill."""
    status = "PASSED" if report["ok"] else "FAILED"
    snap = report["snapshot"]
    r = report["restore"]
    lines = [
        f"drill {report['repository']}: {status} ({report['mode']}"
        + (f", seed {report['seed']}" if report["seed"] is not None else "")
        + ")",
        f"  snapshot {(snap['id'] or '-')[:8]} from {snap['time'] or '-'}",
        _restored_line(r, len(report["failures"])),
    ]
    check = report["check"]
    if check:
        what = "all data" if check["mode"] == "full" else f"data subset {check['subset']}"
        outcome = "ok" if check["ok"] else f"FAILED: {check['message']}"
        lines.append(f"  restic check ({what}): {outcome}")
    for off in report["offsite"]:
        if off["ok"]:
            lines.append(f"  offsite {off['repository']}: all {off['expected']} snapshots present")
        elif off["error"]:
            lines.append(f"  offsite {off['repository']}: FAILED: {off['error']}")
        else:
            missing = ", ".join(m[:8] for m in off["missing"])
            lines.append(f"  offsite {off['repository']}: MISSING snapshots {missing}")
    for db in report["databases"]:
        if db["ok"]:
            lines.append(f"  database {db['name']}: restored and matched {db['tables']} tables")
        else:
            why = db["error"] or "; ".join(db["mismatches"])
            lines.append(f"  database {db['name']}: FAILED: {why}")
    for err in report["errors"]:
        lines.append(f"  error: {err}")
    for item in report["failures"][:limit]:
        lines.append(f"  FAILED {item['path']}: {item['reason']} {item['detail']}".rstrip())
    if len(report["failures"]) > limit:
        lines.append(f"  … and {len(report['failures']) - limit} more failures (see the report)")
    changed = report["changed_since_backup"]
    if changed:
        lines.append(f"  {len(changed)} files changed since the backup (not a failure)")
    return "\n".join(lines)


def _restored_line(restore: dict[str, Any], failed: int) -> str:
    """Never "verified" for files that failed (a missing file is not a verified one)."""
    speed = f"{restore['bytes']} bytes in {restore['seconds']} s ({restore['mb_per_s']} MB/s)"
    if not failed:
        return f"  restored and verified {restore['files']} files, {speed}"
    verified = max(0, restore["files"] - failed)
    return (f"  {verified} of {restore['files']} files restored and verified, {failed} FAILED; "
            f"{speed}")
