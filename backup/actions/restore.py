"""`bulwark backup restore`: the operator's restore, with a safety backup first (F17) and a
verification afterwards (F18).

Before anything in a non-empty target can be overwritten, the target is backed up into the
primary repository as a snapshot tagged `pre-restore` (F20: the retention step keeps these
permanently, see backup/README). If that backup fails, nothing is restored. Afterwards every
file the snapshot says should be there is checked: present, a regular file, the snapshot's
size; and restic's `restore --verify` has read each restored file back and compared it with
the snapshot's content (SHA-256 of every blob). Refuses `/` unless forced.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bulwark.backup.classification import tag as class_tag
from bulwark.backup.config import BackupConfig
from bulwark.backup.errors import BackupError, InputError, ResticError
from bulwark.backup.execute import Restic, Target, error_line
from bulwark.backup.lock import run_lock
from bulwark.backup.preflight import check_secrets
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic import snapshots as restic_snapshots
from bulwark.backup.restic.backup import backup
from bulwark.backup.restic.ls import SnapshotFile, ls
from bulwark.backup.restic.restore import restore
from bulwark.backup.restic.snapshots import Snapshot, latest_source_snapshot
from bulwark.backup.signals import interruption

SAFETY_TAG = "pre-restore"
VERIFIED_HOW = (
    "content: restic restore --verify re-read every restored file and matched it against the "
    "snapshot's blob hashes (SHA-256); presence, type and size: checked here against "
    "`restic ls` of the snapshot"
)


class RestoreRefused(InputError):
    """The restore would be unsafe as asked (over /, into a file, nothing selected)."""


class RestoreFailed(BackupError):
    """restic restore or its verification found a problem; the message names the files."""


@dataclass(frozen=True)
class RestoreRequest:
    snapshot: str
    target: Path
    includes: tuple[str, ...] = ()
    force_root: bool = False


@dataclass
class RestoreOutcome:
    snapshot: Snapshot
    target: Path
    safety_snapshot: str | None = None
    expected: int = 0
    verified: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.verified == self.expected


def run_restore(
    config: BackupConfig, restic: Restic, request: RestoreRequest, say: Callable[[str], None]
) -> RestoreOutcome:
    target_dir = _checked_target(request)
    includes = _checked_includes(request.includes)
    check_secrets(config)
    repo = config.targets()[config.primary]
    found = restic_snapshots.snapshots(restic, repo, host=config.host)
    snapshot = resolve_snapshot(found, request.snapshot, config.host,
                                [str(s) for s in config.sources], repo.name)
    _, files = ls(restic, repo, snapshot.id)
    expected = select(files, includes)
    if includes and not expected:
        raise RestoreRefused(
            f"--include {', '.join(includes)} matches no file in snapshot {snapshot.short_id}"
        )
    record = RunRecord.start("restore", config, {
        "snapshot": snapshot.id, "target": str(target_dir), "include": list(includes)})
    outcome = RestoreOutcome(snapshot=snapshot, target=target_dir, expected=len(expected))
    try:
        with run_lock(config.state_dir, config.config_id, what="restore", wait=config.lock_wait):
            occupied = overwritten_paths(target_dir, includes or snapshot.paths)
            # The record says what the restore found in place, so an auditor can tell a
            # restore that overwrote files without a safety backup first (report check F17).
            record.options["overwrites"] = len(occupied)
            if occupied:
                outcome.safety_snapshot = _safety_backup(config, restic, repo, target_dir,
                                                         occupied, say, record)
            _restore(restic, repo, snapshot, target_dir, includes, expected, outcome, say,
                     record)
    except BackupError as exc:
        record.finish(error=str(exc))
        Records(config).save(record)
        raise
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (signals.py): recorded, then re-raised
        record.finish(error=interruption(exc), interrupted=True)
        Records(config).save(record)
        raise
    record.finish()
    Records(config).save(record)
    return outcome


def _checked_target(request: RestoreRequest) -> Path:
    target = request.target.expanduser().absolute()
    resolved = target.resolve()
    if resolved == Path("/") and not request.force_root:
        raise RestoreRefused(
            "refusing to restore over / (it would overwrite the running system); "
            "pass --force-root if that is really what you want"
        )
    if target.exists() and not target.is_dir():
        raise RestoreRefused(f"target {target} exists and is not a directory")
    return resolved


def _checked_includes(includes: Sequence[str]) -> tuple[str, ...]:
    clean = []
    for raw in includes:
        if not raw.startswith("/"):
            raise RestoreRefused(f"--include {raw!r}: give the absolute path as in the snapshot")
        clean.append(raw.rstrip("/") or "/")
    return tuple(clean)


def resolve_snapshot(
    snapshots: Sequence[Snapshot], wanted: str, host: str, sources: Sequence[str],
    repository: str,
) -> Snapshot:
    """`latest` (of this host's sources) or a full or short snapshot id."""
    if wanted == "latest":
        found = latest_source_snapshot(snapshots, host, sources)
        if found is None:
            raise InputError(f"repository {repository} has no snapshot of host {host}'s sources")
        return found
    if len(wanted) < 4 or any(c not in "0123456789abcdef" for c in wanted):
        raise InputError(f"snapshot {wanted!r}: give `latest` or a snapshot id (hex, 4+ digits)")
    matches = [s for s in snapshots if s.id.startswith(wanted)]
    if not matches:
        raise InputError(f"snapshot {wanted} not found in repository {repository}")
    if len(matches) > 1:
        raise InputError(f"snapshot id {wanted} is ambiguous in repository {repository}")
    return matches[0]


def select(files: Sequence[SnapshotFile], includes: Sequence[str]) -> list[SnapshotFile]:
    if not includes:
        return list(files)
    return [f for f in files
            if any(i == "/" or f.path == i or f.path.startswith(i + "/") for i in includes)]


def overwritten_paths(target: Path, snapshot_paths: Sequence[str]) -> list[Path]:
    """What the restore can overwrite: `target + path` for each restored path that holds data.

    restic writes only below those paths, so a safety backup of them holds everything the
    restore can change, without backing up the rest of the target (or all of / when forced).
    """
    found = []
    for path in snapshot_paths:
        candidate = Path(str(target).rstrip("/") + path)
        try:
            if candidate.is_dir():
                with os.scandir(candidate) as entries:
                    if any(True for _ in entries):
                        found.append(candidate)
            elif candidate.exists() or candidate.is_symlink():
                found.append(candidate)
        except OSError as exc:
            raise RestoreRefused(f"{candidate}: cannot read it ({exc.strerror})") from None
    return found


def _safety_backup(
    config: BackupConfig, restic: Restic, repo: Target, target: Path, occupied: list[Path],
    say: Callable[[str], None], record: RunRecord,
) -> str:
    say(f"{target} already holds data where the restore writes: backing up "
        f"{', '.join(map(str, occupied))} to repository {repo.name} before restoring "
        "(policy F17)")
    step = record.add(StepRecord(step="safety-backup", repository=repo.name, ok=False))
    try:
        tags = [SAFETY_TAG, class_tag(config.classification)]
        summary = backup(restic, repo, occupied, host=config.host, tags=tags)
    except ResticError as exc:
        step.error = str(exc)
        raise RestoreFailed(f"safety backup of {target} failed, nothing was restored: {exc}"
                            ) from None
    finally:
        step.duration = time.time() - step.started_at
    snap_id = summary.snapshot_id
    if not snap_id:
        step.error = "restic printed no snapshot id"
        raise RestoreFailed(f"safety backup of {target} printed no snapshot id; nothing restored")
    # restic 0.14 prints a short id in the summary; record the full one.
    snap_id = next((s.id for s in restic_snapshots.snapshots(restic, repo, host=config.host)
                    if s.id.startswith(snap_id) and SAFETY_TAG in s.tags), snap_id)
    step.ok, step.snapshot_id = True, snap_id
    say(f"safety backup: snapshot {snap_id[:8]} (tag {SAFETY_TAG}) holds the previous "
        f"contents; undo with --snapshot {snap_id[:8]} --target / --force-root")
    return snap_id


def _restore(
    restic: Restic, repo: Target, snapshot: Snapshot, target: Path, includes: tuple[str, ...],
    expected: list[SnapshotFile], outcome: RestoreOutcome, say: Callable[[str], None],
    record: RunRecord,
) -> None:
    say(f"restoring snapshot {snapshot.short_id} ({snapshot.time:%Y-%m-%d %H:%M:%S %Z}) "
        f"into {target}")
    step = record.add(StepRecord(step="restore", repository=repo.name, ok=False,
                                 snapshot_id=snapshot.id))
    started = time.monotonic()
    result = restore(restic, repo, snapshot.id, target, includes=includes, verify=True)
    if not result.ok:
        outcome.problems.append(
            f"restic restore exited {result.returncode}: " + error_line(result.stderr, last=True)
        )
        outcome.problems += [ln for ln in result.stderr.splitlines()
                             if ln.startswith("ignoring error")][:20]
    for entry in expected:
        problem = _verify_file(target, entry)
        if problem:
            outcome.problems.append(problem)
        else:
            outcome.verified += 1
            outcome.bytes += entry.size
    outcome.seconds = time.monotonic() - started
    step.duration = outcome.seconds
    step.ok = outcome.ok
    step.detail = f"{outcome.verified}/{outcome.expected} files verified, {outcome.bytes} bytes"
    step.error = None if outcome.ok else "; ".join(outcome.problems)[:1000]


def _verify_file(target: Path, entry: SnapshotFile) -> str | None:
    path = Path(str(target) + entry.path) if str(target) != "/" else Path(entry.path)
    try:
        st = path.lstat()
    except FileNotFoundError:
        return f"{entry.path}: missing after restore"
    except OSError as exc:
        return f"{entry.path}: {exc.strerror}"
    if not path.is_file() or path.is_symlink():
        return f"{entry.path}: not a regular file after restore"
    if st.st_size != entry.size:
        return f"{entry.path}: restored size {st.st_size} B, snapshot {entry.size} B"
    return None
