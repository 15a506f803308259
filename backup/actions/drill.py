"""`bulwark backup drill`: prove every repository can be restored (F18, F26–F30, G16, F6).

Per repository: restore the latest snapshot of the sources (a stratified sample, or all of it)
into a private temporary directory, hash every restored file against the live source, read a
rotating slice of the pack data (`restic check`), restore each database dump into a throwaway
database, and for the primary check that every snapshot its retention keeps exists offsite.
The restored data is deleted before returning, whatever happens. Once the drill is recorded,
the host's status object is uploaded next to every S3 repository (status_object.py).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulwark.backup import immutable, s3, status_object
from bulwark.backup.config import BackupConfig
from bulwark.backup.drill.compare import Verdict, judge
from bulwark.backup.drill.hashing import FileDigest, Hasher
from bulwark.backup.drill.offsite import OffsiteVerification, verify_offsite
from bulwark.backup.drill.report import (
    CheckResult,
    DatabaseResult,
    RepositoryDrill,
    to_json,
    write_report,
)
from bulwark.backup.drill.rotation import advance, current_slice
from bulwark.backup.drill.sampling import SampleLimits, stratified_sample
from bulwark.backup.drill.settings import DEFAULT_CHECK_SLICES  # noqa: F401 - re-exported
from bulwark.backup.drill.workspace import private_workspace, remove_tree
from bulwark.backup.errors import InputError, ResticError
from bulwark.backup.execute import Restic, Target
from bulwark.backup.preflight import check_secrets
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic import snapshots as restic_snapshots
from bulwark.backup.restic.check import check
from bulwark.backup.restic.ls import SnapshotFile, ls
from bulwark.backup.restic.restore import batches, restore
from bulwark.backup.restic.snapshots import Snapshot, latest_source_snapshot
from bulwark.backup.signals import interruption
from bulwark.backup.status_object import StatusUploadFailed
from bulwark.errors import BulwarkError

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class DrillOptions:
    full: bool = False
    repository: str | None = None
    seed: int | None = None
    limits: SampleLimits | None = None  # None: the config's `drill` section
    check_slices: int | None = None  # None: the config's `drill` section
    workspace_parent: Path | None = None


@dataclass
class DrillOutcome:
    reports: list[dict[str, Any]]
    paths: list[Path]
    # The status object could not be uploaded next to these S3 repositories (status_object.py).
    status_failures: list[StatusUploadFailed] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r["ok"] for r in self.reports)


def run_drill(config: BackupConfig, restic: Restic, options: DrillOptions) -> DrillOutcome:
    """Drill every repository (or the one named); write one report per repository."""
    targets = config.targets()
    if options.repository is not None and options.repository not in targets:
        raise InputError(
            f"repository {options.repository!r} is not in the config "
            f"(configured: {', '.join(targets)})"
        )
    names = [options.repository] if options.repository else list(targets)
    options = replace(options, limits=options.limits or config.drill.limits(),
                      check_slices=options.check_slices or config.drill.check_slices)
    records = Records(config)
    records.ensure_dirs()  # an unwritable state_dir stops the drill before it restores anything
    check_secrets(config)
    driller = _Driller(config, restic, targets, options)
    outcome = DrillOutcome(reports=[], paths=[])
    record = RunRecord.start("drill", config, {"full": options.full, "repository": names})
    try:
        for name in names:
            started = datetime.now(UTC)
            drill = driller.drill(name)
            report = to_json(
                drill, host=config.host, started=started,
                config=str(config.path.resolve()) if config.path else "",
                ended=datetime.now(UTC),
            )
            outcome.reports.append(report)
            outcome.paths.append(path := write_report(config.state_dir, report, started))
            record.add(_step(report, started, path))
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (signals.py): recorded, then re-raised
        record.finish(error=interruption(exc), interrupted=True)
        records.save(record)
        status_object.publish(config, record)
        raise
    record.finish()
    records.save(record)
    outcome.status_failures = status_object.publish(config, record)
    return outcome


def _step(report: dict[str, Any], started: datetime, path: Path) -> StepRecord:
    """The drill in the run log and metrics (last drill success timestamp, duration)."""
    restore = report["restore"]
    problems = [f"{f['path']}: {f['reason']}" for f in report["failures"]] + report["errors"]
    if report["check"] and not report["check"]["ok"]:
        problems.append(report["check"]["message"])
    problems += [f"offsite {o['repository']}: missing {len(o['missing'])} snapshots"
                 for o in report["offsite"] if o["missing"]]
    problems += [f"offsite {o['repository']}: {o['error']}" for o in report["offsite"]
                 if o["error"]]
    problems += [f"database {d['name']}: {d['error'] or '; '.join(d['mismatches'])}"
                 for d in report["databases"] if not d["ok"]]
    return StepRecord(
        step="drill",
        repository=report["repository"],
        ok=report["ok"],
        started_at=started.timestamp(),
        duration=(datetime.fromisoformat(report["ended"]) - started).total_seconds(),
        error=None if report["ok"] else "; ".join(problems)[:1000] or "drill failed",
        snapshot_id=report["snapshot"]["id"],
        detail=(f"{report['mode']}: {restore['files']} files, {restore['bytes']} bytes, "
                f"{restore['seconds']} s, {restore['mb_per_s']} MB/s; report {path}"),
    )


def _default_workspace_parent(config: BackupConfig) -> Path | None:
    # Restored customer data stays under state_dir (root-owned, on the host) when it exists.
    return config.state_dir / "tmp" if config.state_dir.is_dir() else None


class _Driller:
    """Drills one repository at a time; holds what they share, each listing made only once."""

    def __init__(
        self, config: BackupConfig, restic: Restic, targets: dict[str, Target],
        options: DrillOptions,
    ):
        self.config = config
        self.restic = restic
        self.targets = targets
        self.options = options
        self.parent = options.workspace_parent or _default_workspace_parent(config)
        self._listings: dict[str, list[Snapshot] | ResticError] = {}

    def listing(self, name: str) -> list[Snapshot] | ResticError:
        """This host's snapshots in the repository, or why they cannot be listed (asked once:
        the primary's offsite check and the offsite's own drill share it)."""
        if name not in self._listings:
            try:
                self._listings[name] = restic_snapshots.snapshots(
                    self.restic, self.targets[name], host=self.config.host)
            except ResticError as exc:
                self._listings[name] = exc
        return self._listings[name]

    def drill(self, name: str) -> RepositoryDrill:
        """Restore, verify and check one repository; for the primary, verify the offsites."""
        options = self.options
        drill = RepositoryDrill(
            repository=name, mode="full" if options.full else "sample",
            seed=None if options.full else (
                options.seed if options.seed is not None else secrets.randbelow(2**31)),
        )
        snapshots = self.listing(name)
        if isinstance(snapshots, ResticError):
            drill.errors.append(str(snapshots))
        else:
            try:
                self._restore_and_check(self.targets[name], snapshots, drill)
            except BulwarkError as exc:  # unreachable mid-way, password file gone, …
                drill.errors.append(str(exc))
        if name == self.config.primary:
            drill.offsite = self._verify_offsites(snapshots)
        self._check_immutable(name, drill)
        return drill

    def _check_immutable(self, name: str, drill: RepositoryDrill) -> None:
        """F10: a repository configured immutable whose bucket is not fails its drill."""
        days = self.config.repositories[name].immutable_days
        if not days:
            return
        target = self.targets[name]
        try:
            problem = immutable.shortfall(s3.parse_url(target.url), target.env, name, days)
        except BulwarkError as exc:
            problem = str(exc)
        if problem:
            drill.errors.append(f"immutable_days {days}: {problem}")

    def _restore_and_check(
        self, target: Target, snapshots: list[Snapshot], drill: RepositoryDrill
    ) -> None:
        """Files and databases restored into a private workspace and judged, and the check.

        restic's work runs one command at a time (`check` takes an exclusive lock); the
        restored files are hashed, and deleted, on the pool meanwhile, so the check's read of
        the repository overlaps that hashing instead of following it."""
        with private_workspace(self.parent) as workspace, Hasher() as hasher:
            files = None
            if self.config.sources:
                files = self._restore_files(target, snapshots, drill, workspace, hasher)
            for db in self.config.databases.postgresql:
                drill.databases.append(
                    _drill_database(self.restic, target, snapshots, db, self.config.host,
                                    workspace)
                )
            drill.check = _check(self.restic, target, self.config.state_dir, self.options)
            if files is not None:
                files.judge(drill)

    def _verify_offsites(
        self, primary: list[Snapshot] | ResticError
    ) -> list[OffsiteVerification]:
        """Every primary snapshot the offsite's retention keeps must have a copy there (F11)."""
        if isinstance(primary, ResticError):
            return []
        results = []
        for name in self.config.secondaries:
            listing = self.listing(name)
            if isinstance(listing, ResticError):
                results.append(OffsiteVerification(repository=name, error=str(listing)))
                continue
            retention = self.config.retention_for(name).model_dump(exclude_none=True)
            results.append(
                verify_offsite(name, _copied(primary, self.config.host), listing, retention)
            )
        return results

    def _restore_files(
        self, target: Target, snapshots: list[Snapshot], drill: RepositoryDrill,
        workspace: Path, hasher: Hasher,
    ) -> _RestoredFiles | None:
        """Restore the snapshot (or its sample); hashing of both sides is left running."""
        config, restic = self.config, self.restic
        sources = [str(s) for s in config.sources]
        snap = latest_source_snapshot(snapshots, config.host, sources)
        if snap is None:
            drill.errors.append(f"repository {target.name}: no snapshot of host {config.host}'s "
                                "sources to restore")
            return None
        drill.snapshot_id, drill.snapshot_time = snap.id, snap.time
        drill.snapshot_tags = tuple(snap.tags)
        _, files = ls(restic, target, snap.id)
        drill.sampled_from = len(files)
        # A full drill has no seed: it restores everything.
        chosen = files if drill.seed is None else stratified_sample(
            files, sources, self.options.limits, drill.seed
        )
        root = workspace / "files"
        root.mkdir(mode=0o700)
        pending = _RestoredFiles(chosen=chosen, root=root, snapshot_time=snap.time)
        # Live files are hashed while restic restores: the two sides overlap (bench goal).
        pending.live = hasher.submit_all(f.path for f in chosen)
        for problem in _restore(restic, target, snap.id, root, chosen, self.options.full):
            drill.errors.append(problem)
        # Each restored file is deleted once hashed (G16: gone as soon as it is judged).
        pending.restored = hasher.submit_all(
            (_restored_path(root, f.path) for f in chosen), delete_after=True)
        for future in pending.restored.values():
            future.add_done_callback(pending.stamp)
        return pending


@dataclass
class _RestoredFiles:
    """A restore whose files are still being hashed on the pool."""

    chosen: list[SnapshotFile]
    root: Path
    snapshot_time: datetime
    started: float = field(default_factory=time.monotonic)
    live: dict[str, Future[FileDigest]] = field(default_factory=dict)
    restored: dict[str, Future[FileDigest]] = field(default_factory=dict)
    verified_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stamp(self, _future: Future[FileDigest]) -> None:
        # Called on the pool's threads; the last restored file hashed ends the measure.
        with self._lock:
            self.verified_at = max(self.verified_at, time.monotonic())

    def judge(self, drill: RepositoryDrill) -> None:
        _judge_all(drill, self.chosen, self.restored, self.live, self.root, self.snapshot_time)
        end = self.verified_at or time.monotonic()  # nothing was restored: now
        drill.restore.seconds = end - self.started
        drill.restore.files = len(self.chosen)
        drill.restore.bytes = sum(f.size for f in self.chosen)
        remove_tree(self.root)  # what is left: directories, and files that were not regular


def _restored_path(root: Path, path: str) -> str:
    return str(root) + path


def _restore(
    restic: Restic, target: Target, snapshot: str, root: Path, chosen: list[SnapshotFile],
    full: bool,
) -> list[str]:
    """Restore everything, or the sample in batches; return restic's complaints."""
    if not chosen:
        return []
    runs: list[Sequence[str]] = [()] if full else list(batches([f.path for f in chosen]))
    problems = []
    for includes in runs:
        result = restore(restic, target, snapshot, root, includes=includes)
        if not result.ok:
            problems.append(result.problem())
    return problems


def _judge_all(
    drill: RepositoryDrill,
    chosen: list[SnapshotFile],
    restored: dict[str, Future[FileDigest]],
    live: dict[str, Future[FileDigest]],
    root: Path,
    snapshot_time: datetime,
) -> None:
    for entry in chosen:
        result = judge(
            entry,
            restored[_restored_path(root, entry.path)].result(),
            live[entry.path].result(),
            snapshot_time,
        )
        if result.verdict.failed:
            drill.failures.append(result)
        elif result.verdict is not Verdict.MATCH:
            drill.changed_since_backup.append(result)


def _check(restic: Restic, target: Target, state_dir: Path, options: DrillOptions) -> CheckResult:
    """Full read, or today's slice; a failing slice is read again next time."""
    if options.full:
        n, subset = None, None
    else:
        n = current_slice(state_dir, target.name, options.check_slices)
        subset = f"{n}/{options.check_slices}"
    result = check(restic, target, read_all=options.full, slice_n=n,
                   slices=options.check_slices, raise_error=False)
    if result.ok and subset is not None:
        advance(state_dir, target.name)
    return CheckResult(
        mode="full" if options.full else "subset",
        subset=subset,
        ok=result.ok,
        seconds=round(result.seconds, 3),
        message="" if result.ok else result.problem(),
    )


def _drill_database(
    restic: Restic, target: Target, snapshots: list[Snapshot], db: Any, host: str,
    workspace: Path,
) -> DatabaseResult:
    """Restore the newest dump into the private workspace and let the hook check it."""
    from bulwark.backup.hooks.postgresql import PostgresError, restore_check, stdin_filename

    tag = f"db:{db.name}"
    dumps = [s for s in snapshots if tag in s.tags and s.hostname == host]
    snap = max(dumps, key=lambda s: s.time, default=None)
    if snap is None:
        return DatabaseResult(name=db.name, snapshot=None, ok=False,
                              error=f"no snapshot tagged {tag} in repository {target.name}")
    inside = "/" + stdin_filename(db)
    root = workspace / f"db-{db.name}"
    root.mkdir(mode=0o700)
    try:
        result = restore(restic, target, snap.id, root, includes=[inside])
        if not result.ok:
            return DatabaseResult(name=db.name, snapshot=snap.id, ok=False,
                                  error=result.problem())
        try:
            check = restore_check(db, Path(str(root) + inside), snapshot_time=snap.time)
        except PostgresError as exc:
            return DatabaseResult(name=db.name, snapshot=snap.id, ok=False, error=str(exc))
    finally:
        remove_tree(root)
    return DatabaseResult(
        name=db.name,
        snapshot=snap.id,
        ok=check.ok and check.dropped,
        seconds=round(check.seconds, 3),
        tables=len(check.tables_restored),
        mismatches=list(check.mismatches)
        + ([] if check.dropped else [f"scratch database {check.scratch_name} was not dropped"]),
        changed_since_backup=list(check.changed),
    )


def _copied(snapshots: list[Snapshot], host: str) -> list[Snapshot]:
    return [s for s in snapshots if s.hostname == host]

