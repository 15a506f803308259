"""`bulwark backup run`: the nightly job.

backup to the primary (files, then each database as a pg_dump stream) → retention on the primary
→ for every other repository: copy the host's new snapshots → retention there.

Rules that protect data:
- nothing runs if a source path is missing or the password file is unreadable (checked first);
- retention never runs on a repository whose backup, dump or copy failed in this run;
- a dump that failed half-way has its snapshot forgotten, so it never counts as a backup;
- every run, failed or not, is recorded (runs.jsonl, state.json, metrics: F3, E12, E13);
- then the status object goes next to every S3 repository (status_object.py); if that upload
  fails, a run that succeeded exits 1, a run that failed keeps its own error.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from bulwark.backup import classification, immutable, retention, s3, status_object
from bulwark.backup.config import BackupConfig
from bulwark.backup.errors import (
    BackupError,
    DumpFailed,
    InputError,
    PasswordUnavailable,
    RepositoryNotFound,
    RepositoryUnreachable,
    SnapshotIncomplete,
    StorageProblem,
    WrongPassword,
)
from bulwark.backup.execute import Producer, Restic, Target
from bulwark.backup.hooks import postgresql
from bulwark.backup.lock import run_lock
from bulwark.backup.preflight import preflight
from bulwark.backup.progress import human_bytes
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic import backup as restic_backup
from bulwark.backup.restic import copy as restic_copy
from bulwark.backup.restic import forget as restic_forget
from bulwark.backup.signals import interruption
from bulwark.backup.tags import keep_tags
from bulwark.errors import BulwarkError

Only = Literal["all", "files", "databases"]
Report = Callable[[str], None]
# Errors after which nothing else can work against that repository in this run.
_UNUSABLE = (RepositoryNotFound, WrongPassword, RepositoryUnreachable, PasswordUnavailable,
             StorageProblem)
# Snapshot ids per `restic forget` call: keeps argv far below the kernel's limit.
_FORGET_BATCH = 500


class StepsFailed(BackupError):
    """One or more steps failed; the message names each step and repository."""


def run_backup(
    config: BackupConfig,
    restic: Restic,
    *,
    only: Only = "all",
    report: Report = lambda line: None,
    keep_reason: str | None = None,
) -> RunRecord:
    """Run every step; return the finished record. Raises if anything failed (after recording).

    With `keep_reason` every snapshot of the run is tagged `keep` + `reason:…` (tags.py).
    """
    extra_tags = keep_tags(keep_reason)
    records = Records(config)
    records.ensure_dirs()
    options: dict[str, str] = {"only": only}
    if keep_reason is not None:
        options["keep"] = keep_reason
    record = RunRecord.start("run", config, options)
    files = only in ("all", "files") and bool(config.sources)
    databases = config.databases.postgresql if only in ("all", "databases") else []
    if not files and not databases:
        raise InputError(f"--only {only}: the config has nothing of that kind to back up")
    key = config.config_id
    unreachable: set[str] = set()
    try:
        with run_lock(config.state_dir, key, what=str(config.path)):
            interrupted = records.recover(key)
            if interrupted is not None:
                report(f"note: the previous bulwark backup {interrupted.get('command')} was "
                       "killed before it finished; logged as interrupted")
            records.begin(record, key)
            try:
                for warning in preflight(config, files=files):
                    report(f"warning: {warning}")
                targets = config.targets()
                run = _Run(config, restic, record, report, unreachable)
                run.tags = [*config.tags, classification.tag(config.classification),
                            *extra_tags]
                run.steps(targets, files, databases)
            finally:
                stopped = sys.exc_info()[1]
                record.finish(error=_current_error(),
                              interrupted=interruption(stopped) is not None)
                records.save(record)
                records.end(key)
    except (BulwarkError, KeyboardInterrupt) as exc:  # KeyboardInterrupt: SIGTERM too
        if record.finished_at is None:  # refused before it started (busy, state_dir)
            record.finish(error=interruption(exc) or str(exc),
                          interrupted=interruption(exc) is not None)
            records.save(record)
        # warns; the run's error wins
        status_object.publish(config, record, report=report, unreachable=unreachable)
        raise
    uploads = status_object.publish(config, record, report=report, unreachable=unreachable)
    _raise_for(record)
    if uploads:  # the run itself succeeded: a fleet that cannot see it must not look fine
        raise status_object.StatusUploadFailed("; ".join(str(failure) for failure in uploads))
    return record


def _current_error() -> str | None:
    """Why the run stopped, if a `finally` runs because of an exception (else None)."""
    exc = sys.exc_info()[1]
    if exc is None:
        return None
    if isinstance(exc, BulwarkError):
        return str(exc)
    return interruption(exc) or f"stopped: {exc.__class__.__name__}"


def _raise_for(record: RunRecord) -> None:
    failures = record.failures
    if not failures:
        return
    summary = "; ".join(f"{step.step} on {step.repository}: {step.error}" for step in failures)
    if all(step.incomplete for step in failures):
        raise SnapshotIncomplete(f"backup run finished with an incomplete snapshot: {summary}")
    raise StepsFailed(f"backup run failed: {summary}")


class _Run:
    def __init__(self, config: BackupConfig, restic: Restic, record: RunRecord, report: Report,
                 unreachable: set[str]):
        self.config = config
        self.restic = restic
        self.record = record
        self.report = report
        self.tags = list(config.tags)  # every snapshot of the run; + "files" / "postgresql"
        self.unreachable = unreachable  # repositories whose endpoint did not answer the probe

    def steps(
        self,
        targets: dict[str, Target],
        files: bool,
        databases: list[postgresql.PostgresDatabase],
    ) -> None:
        primary = targets[self.config.primary]
        if not self._reachable(primary, "backup"):
            return
        if files:
            self._backup_files(primary)
        for db in databases:
            if self._unusable(primary.name):
                break
            self._dump(primary, db)
        if self._unusable(primary.name):
            return
        if self._all_ok(primary.name):
            self._retention(primary)
        for name in self.config.secondaries:
            target = targets[name]
            if self._reachable(target, "copy") and self._copy(primary, target):
                self._retention(target)
        for target in targets.values():
            self._immutable(target)

    # -- steps -----------------------------------------------------------------------------

    def _backup_files(self, primary: Target) -> None:
        lines, inline = restic_backup.split_excludes(self.config.exclude)
        with restic_backup.exclude_file(lines, self.config.state_dir) as exclude_file, \
                self._step("backup", primary) as step:
            try:
                summary = restic_backup.backup(
                    self.restic, primary, self.config.sources,
                    host=self.config.host,
                    tags=[*self.tags, "files"],
                    excludes=inline,
                    exclude_file=exclude_file,
                    one_file_system=self.config.one_file_system,
                )
            except SnapshotIncomplete as exc:
                step.incomplete = True
                if exc.result:
                    self._fill_backup(step, restic_backup.summary(exc.result))
                raise
            self._fill_backup(step, summary)
            self.report(
                f"backup -> {primary.name}: snapshot {step.snapshot_id}, "
                f"{step.files_new} new / {step.files_changed} changed files, "
                f"{human_bytes(step.bytes_added or 0)} added"
            )

    def _dump(self, primary: Target, db: postgresql.PostgresDatabase) -> None:
        name = f"dump:{db.name}"
        with self._step(name, primary) as step:
            postgresql.check_server(db)
            producer = Producer(
                name=db.name, argv=postgresql.dump_argv(db), env=postgresql.client_env(db)
            )
            done = restic_backup.backup_stdin(
                self.restic, primary, producer, postgresql.stdin_filename(db),
                host=self.config.host,
                tags=[*self.tags, "postgresql", f"db:{db.name}"],
            )
            summary = done.summary
            if done.producer_failed:
                forgotten = ""
                if summary.snapshot_id:
                    restic_forget.forget_ids(self.restic, primary, [summary.snapshot_id])
                    forgotten = f"; its partial snapshot {summary.snapshot_id} was forgotten"
                detail = postgresql.dump_failure(done.producer_returncode or 0,
                                                 done.producer_stderr)
                raise DumpFailed(
                    f"pg_dump of {postgresql.describe(db)} failed: {detail}{forgotten}"
                )
            self._fill_backup(step, summary)
            self.report(
                f"dump {db.name} -> {primary.name}: snapshot {step.snapshot_id}, "
                f"{human_bytes(summary.total_bytes)} dumped, "
                f"{human_bytes(step.bytes_added or 0)} added"
            )

    def _retention(self, target: Target) -> None:
        """restic plans, the guard checks the plan, then exactly the planned ids are forgotten."""
        rules = self.config.retention_for(target.name)
        with self._step("retention", target) as step:
            plan = restic_forget.plan(
                self.restic, target, rules.forget_args(), host=self.config.host)
            retention.check_plan(plan, made=self._made(target.name), host=self.config.host,
                                 retention=rules.describe(), repository=target.name)
            removed = [snapshot.id for snapshot in plan.removed]
            for start in range(0, len(removed), _FORGET_BATCH):
                batch = removed[start:start + _FORGET_BATCH]
                last = start + _FORGET_BATCH >= len(removed)
                restic_forget.forget_ids(self.restic, target, batch, prune=last)
            step.snapshots, step.removed = len(plan.kept), len(removed)
            step.snapshot_ids = removed
            self.report(
                f"retention on {target.name}: {step.snapshots} snapshots kept, "
                f"{step.removed} removed"
            )

    def _made(self, repository: str) -> list[str]:
        """Ids of the snapshots this run saved or copied into `repository`."""
        made: list[str] = []
        for step in self.record.steps:
            if step.repository == repository and step.ok:
                made += [i for i in (step.snapshot_id, *step.snapshot_ids) if i]
        return made

    def _copy(self, primary: Target, target: Target) -> bool:
        with self._step("copy", target) as step:
            only = classification.copy_filter(  # G22: refused before any data moves
                self.config.classification, primary.name, target.name,
                self.config.repositories[target.name].max_classification,
            )
            summary = restic_copy.copy(self.restic, target, primary, host=self.config.host,
                                       only=only)
            step.snapshot_ids = summary.copied
            step.detail = f"{len(summary.copied)} copied, {summary.skipped} already there"
            self.report(f"copy {primary.name} -> {target.name}: {step.detail}")
        return step.ok

    def _immutable(self, target: Target) -> None:
        """F10: a repository configured immutable whose bucket is not fails the run (exit 1)."""
        days = self.config.repositories[target.name].immutable_days
        if not days or self._unusable(target.name):
            return
        with self._step("immutable", target):
            problem = immutable.shortfall(s3.parse_url(target.url), target.env, target.name, days)
            if problem:
                raise immutable.NotImmutable(
                    f"repository {target.name} has immutable_days {days} but {problem}"
                )

    # -- helpers ---------------------------------------------------------------------------

    def _reachable(self, target: Target, step_name: str) -> bool:
        """For S3, probe the endpoint first: restic would retry a dead one for about a minute."""
        if not s3.is_s3(target.url):
            return True
        with self._step(step_name, target, record_success=False) as step:
            location = s3.parse_url(target.url)
            try:
                exists = s3.bucket_exists(location, target.env, target.name, quick=True)
            except RepositoryUnreachable:
                self.unreachable.add(target.name)
                raise
            if not exists:
                raise RepositoryNotFound(
                    f"repository {target.name}: bucket {location.bucket} does not exist at "
                    f"{location.endpoint} (run `bulwark backup init`)",
                    repository=target.name,
                )
        return step.ok

    def _unusable(self, repository: str) -> bool:
        return any(
            step.repository == repository and not step.ok and step.detail == "unusable"
            for step in self.record.steps
        )

    def _all_ok(self, repository: str) -> bool:
        return all(step.ok for step in self.record.steps if step.repository == repository)

    def _fill_backup(self, step: StepRecord, summary: restic_backup.BackupSummary) -> None:
        step.snapshot_id = summary.snapshot_id
        step.bytes_added = summary.data_added
        step.files_new = summary.files_new
        step.files_changed = summary.files_changed

    @contextmanager
    def _step(
        self, name: str, target: Target, *, record_success: bool = True
    ) -> Iterator[StepRecord]:
        """Time a step and record it; a BulwarkError marks it failed and does not propagate."""
        step = StepRecord(step=name, repository=target.name, ok=True)
        started = time.monotonic()
        try:
            yield step
        except BulwarkError as exc:
            step.ok = False
            step.error = str(exc)
            if isinstance(exc, _UNUSABLE):
                step.detail = "unusable"
            self.report(f"FAILED {name} on {target.name}: {exc}")
        finally:
            step.duration = time.monotonic() - started
        if not step.ok or record_success:
            self.record.add(step)

