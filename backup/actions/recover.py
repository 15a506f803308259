"""`bulwark backup recover`: rebuild a repository as it stood at a point in time (F10, F13).

The repository's bucket must keep object versions (`immutable_days` makes sure of that). For
every key under the repository's prefix the version current at `--as-of` is copied into a new
repository at `--to`: server-side (`CopyObject` of that version) when `--to` is on the same S3
endpoint, downloaded otherwise (another endpoint, a local path). Lock files are not copied.
Then `restic check` runs on the new repository and its snapshots are listed.

The source bucket is only read (ListObjectVersions, GetObject, CopyObject's source): recovery
works while an attacker still holds the host's keys, and can be repeated with another time.
Every problem with the request (time, target, bucket without versioning) is found before
anything is written: one line, exit 2. The recovery is appended to runs.jsonl (who, when,
what, where to) without touching the repositories' state or metrics.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulwark.backup import s3
from bulwark.backup.config import BackupConfig, load_env_file
from bulwark.backup.errors import BackupError, InputError
from bulwark.backup.execute import Restic, Target, redact_url
from bulwark.backup.immutable import inspect
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic.check import check
from bulwark.backup.restic.snapshots import Snapshot, snapshots
from bulwark.backup.s3_versions import ObjectVersion, current_at, list_versions
from bulwark.errors import BulwarkError

Say = Callable[[str], None]
SKIPPED_DIRS = ("locks/",)  # a lock current at TIME is stale by now
WORKERS = 8


class RecoveryFailed(BackupError):
    """Copying the versions or checking the new repository failed (exit 1)."""


@dataclass(frozen=True)
class RecoverRequest:
    repository: str
    as_of: datetime
    to: str
    to_env_file: Path | None = None
    read_data: bool = False


@dataclass
class RecoverOutcome:
    objects: int = 0
    bytes: int = 0
    seconds: float = 0.0
    snapshots: list[Snapshot] = field(default_factory=list)


def parse_as_of(text: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 (`2026-12-01T10:00:00Z`, `2026-12-01 10:00`, `2026-12-01`); no offset = UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--as-of {text!r} is not a time (ISO 8601, e.g. 2026-12-01T10:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > (now or datetime.now(UTC)):
        raise InputError(f"--as-of {text!r} is in the future")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class _Destination:
    url: str
    env: Mapping[str, str]
    location: s3.S3Location | None  # None: a local directory
    path: Path | None

    def key(self, relative: str) -> str:
        assert self.location is not None
        return f"{self.location.prefix}/{relative}" if self.location.prefix else relative


def run_recover(
    config: BackupConfig, restic: Restic, request: RecoverRequest, say: Say = lambda line: None
) -> RecoverOutcome:
    """Validate everything, copy the versions current at `as_of`, check, list the snapshots."""
    source_location, source_env = _source(config, request)
    destination = _destination(config, request, source_location, source_env)
    config.check_password()
    client = s3.client(source_location, source_env, max_pool_connections=WORKERS)
    prefix = f"{source_location.prefix}/" if source_location.prefix else ""
    wanted = _wanted(client, source_location, prefix, request)
    records = Records(config)
    records.ensure_dirs()
    record = RunRecord.start("recover", config, {
        "repository": request.repository,
        "as_of": request.as_of.isoformat(timespec="seconds"),
        "to": redact_url(request.to),
    })
    outcome = RecoverOutcome()
    started = time.monotonic()
    step = record.add(StepRecord(step="recover", repository=request.repository, ok=False))
    try:
        say(f"recover {request.repository} as of {request.as_of.isoformat(timespec='seconds')}:"
            f" {len(wanted)} objects -> {redact_url(request.to)}")
        _copy_all(client, source_location, prefix, wanted, destination, outcome)
        step.detail = f"{outcome.objects} objects, {outcome.bytes} bytes"
        target = Target(name="recovered", url=destination.url, env=destination.env,
                        password_file=config.password_file,
                        password_command=config.password_command)
        try:
            check(restic, target, read_all=request.read_data)
        except BulwarkError as exc:
            raise RecoveryFailed(
                f"the repository recovered at {redact_url(request.to)} fails restic check "
                f"({exc}); try an earlier --as-of into a new --to"
            ) from None
        outcome.snapshots = snapshots(restic, target)
        step.snapshot_ids = [snapshot.id for snapshot in outcome.snapshots]
        step.snapshots = len(outcome.snapshots)
        step.ok = True
    except BulwarkError as exc:
        step.error = str(exc)
        raise
    finally:
        step.duration = outcome.seconds = time.monotonic() - started
        record.finish()
        records.append_run(record)
    return outcome


def _source(config: BackupConfig, request: RecoverRequest) -> tuple[s3.S3Location, dict[str, str]]:
    repo = config.repositories.get(request.repository)
    if repo is None:
        raise InputError(f"--repository {request.repository}: no such repository in the config "
                         f"({', '.join(config.repositories)})")
    if not s3.is_s3(repo.url):
        raise InputError(f"--repository {request.repository}: recover needs an s3: repository "
                         "in a bucket with versioning")
    location = s3.parse_url(repo.url)
    env = load_env_file(repo.env_file) if repo.env_file else {}
    if not s3.bucket_exists(location, env, request.repository):
        raise InputError(f"--repository {request.repository}: bucket {location.bucket} does not "
                         "exist")
    if inspect(location, env, request.repository).versioning == "":
        raise InputError(f"--repository {request.repository}: bucket {location.bucket} has no "
                         "versioning, so there are no earlier object versions to recover from")
    return location, env


def _destination(
    config: BackupConfig, request: RecoverRequest, source: s3.S3Location,
    source_env: Mapping[str, str],
) -> _Destination:
    url = request.to
    if s3.is_s3(url):
        location = s3.parse_url(url)
        env = load_env_file(request.to_env_file) if request.to_env_file else dict(source_env)
        if location.endpoint == source.endpoint and location.bucket == source.bucket and (
            _nested(location.prefix, source.prefix)
        ):
            raise InputError(f"--to {redact_url(url)}: overlaps the repository being recovered; "
                             "recover never writes to the source, choose another prefix or bucket")
        if s3.bucket_exists(location, env, "--to") and _has_objects(location, env):
            raise InputError(f"--to {redact_url(url)}: already holds objects (a repository?); "
                             "recover only writes into an empty place")
        return _Destination(url=url, env=env, location=location, path=None)
    local = url.removeprefix("local:")
    if not local.startswith("/"):
        raise InputError(f"--to {redact_url(url)}: give an s3: URL or an absolute local path")
    path = Path(local)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"--to {path}: already exists and is not an empty directory; "
                         "recover only writes into an empty place")
    return _Destination(url=str(path), env={}, location=None, path=path)


def _nested(a: str, b: str) -> bool:
    a_parts, b_parts = [p for p in a.split("/") if p], [p for p in b.split("/") if p]
    shortest = min(len(a_parts), len(b_parts))
    return a_parts[:shortest] == b_parts[:shortest]


def _has_objects(location: s3.S3Location, env: Mapping[str, str]) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = f"{location.prefix}/" if location.prefix else ""
    try:
        found = s3.client(location, env).list_objects_v2(
            Bucket=location.bucket, Prefix=prefix, MaxKeys=1)
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"--to {location.display}: {s3.problem(location, exc).text}") from None
    return bool(found.get("KeyCount") or found.get("Contents"))


def _wanted(
    client: Any, location: s3.S3Location, prefix: str, request: RecoverRequest
) -> dict[str, ObjectVersion]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        versions = list_versions(client, location.bucket, prefix)
    except (BotoCoreError, ClientError) as exc:
        raise BackupError(f"cannot list the versions of {location.display}: "
                          f"{s3.problem(location, exc).text}") from None
    current = {
        key.removeprefix(prefix): version
        for key, version in current_at(versions, request.as_of).items()
        if not key.removeprefix(prefix).startswith(SKIPPED_DIRS)
    }
    if "config" not in current:
        when = request.as_of.isoformat(timespec="seconds")
        raise InputError(f"--as-of {when}: {location.display} held no restic repository then "
                         "(no config object current at that time)")
    return current


def _copy_all(
    client: Any, source: s3.S3Location, prefix: str, wanted: dict[str, ObjectVersion],
    destination: _Destination, outcome: RecoverOutcome,
) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    if destination.location is not None:
        s3.ensure_bucket(destination.location, destination.env, "--to")
        same_endpoint = destination.location.endpoint == source.endpoint
        writer = client if same_endpoint else s3.client(
            destination.location, destination.env, max_pool_connections=WORKERS)
    else:
        assert destination.path is not None
        _make_local_layout(destination.path)

    def copy_one(item: tuple[str, ObjectVersion]) -> int:
        relative, version = item
        origin = {"Bucket": source.bucket, "Key": version.key, "VersionId": version.version_id}
        if destination.location is None:
            assert destination.path is not None
            body = client.get_object(**origin)["Body"].read()
            _write_local(destination.path / relative, body)
            return len(body)
        key = destination.key(relative)
        if same_endpoint:
            writer.copy_object(CopySource=origin, Bucket=destination.location.bucket, Key=key)
        else:
            body = client.get_object(**origin)["Body"].read()
            writer.put_object(Bucket=destination.location.bucket, Key=key, Body=body)
        return version.size

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for size in pool.map(copy_one, sorted(wanted.items())):
                outcome.objects += 1
                outcome.bytes += size
    except (BotoCoreError, ClientError) as exc:
        raise RecoveryFailed(
            f"copying the versions of {source.display} failed after {outcome.objects} objects: "
            f"{s3.problem(source, exc).text}; remove {redact_url(destination.url)} and retry"
        ) from None
    except OSError as exc:
        raise RecoveryFailed(f"writing {destination.url} failed: {exc.strerror or exc}") from None


def _make_local_layout(root: Path) -> None:
    """The directories `restic init` creates for a local repository (0700: F7)."""
    for sub in ("keys", "snapshots", "index", "locks", *(f"data/{n:02x}" for n in range(256))):
        (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)


def _write_local(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".recover-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o400)  # restic's own mode for repository files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
