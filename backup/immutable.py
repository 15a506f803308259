"""Immutable offsite repositories (policy F10, F11, F13): S3 versioning + Object Lock COMPLIANCE.

A repository with `immutable_days: N` lives in a bucket where every object version is kept and
cannot be deleted or overwritten for N days, not even with the host's own keys. restic keeps
working as usual: its deletes (forget --prune, lock removal) become delete markers and the
locked versions stay; `bulwark backup recover` rebuilds the repository from them.

- `ensure_bucket` (init): a missing bucket is created with Object Lock and a default COMPLIANCE
  retention of N days; an existing one must already have versioning, Object Lock and a default
  COMPLIANCE retention of at least N days, else init refuses (InputError: exit 2).
- `shortfall` (run, status): what an existing bucket lacks, one line, or None.

restic ≥ 0.13 sends Content-MD5 on every PUT (minio-go `SendContentMd5`), which S3 requires for
objects written under a default retention; 0.12 and older cannot write to such a bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bulwark.backup import s3
from bulwark.backup.errors import BackupError, InputError, RepositoryUnreachable

MODE = "COMPLIANCE"  # GOVERNANCE can be bypassed by anyone holding s3:BypassGovernanceRetention


class NotImmutable(BackupError):
    """A repository configured immutable sits in a bucket that does not enforce it (exit 1)."""


@dataclass(frozen=True)
class Protection:
    """What the bucket enforces today."""

    versioning: str  # "Enabled", "Suspended" or "" (never switched on)
    object_lock: bool
    mode: str | None
    days: int | None  # default retention (years count as 365 days)

    def shortfall(self, bucket: str, wanted_days: int) -> str | None:
        """Why this bucket does not make a repository immutable for `wanted_days`, or None."""
        if self.versioning != "Enabled":
            return f"bucket {bucket} has no versioning (deleted objects would be gone)"
        if not self.object_lock:
            return f"bucket {bucket} has no Object Lock"
        if self.mode is None or self.days is None:
            return f"bucket {bucket} has Object Lock but no default retention"
        if self.mode != MODE:
            return f"bucket {bucket} default retention is {self.mode}, not {MODE}"
        if self.days < wanted_days:
            return (f"bucket {bucket} default retention is {self.days} days, "
                    f"less than immutable_days {wanted_days}")
        return None


def inspect(location: s3.S3Location, env: Mapping[str, str], name: str) -> Protection:
    """Versioning and Object Lock configuration of the repository's bucket."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3.client(location, env)
    try:
        versioning = client.get_bucket_versioning(Bucket=location.bucket).get("Status", "")
        try:
            lock = client.get_object_lock_configuration(Bucket=location.bucket)
        except ClientError as exc:
            if _code(exc) != "ObjectLockConfigurationNotFoundError":
                raise
            lock = {}
    except (BotoCoreError, ClientError) as exc:
        raise _unreachable(name, location, "read the protection of", exc) from None
    return _protection(versioning, lock)


def _protection(versioning: str, lock: Mapping[str, Any]) -> Protection:
    config = lock.get("ObjectLockConfiguration") or {}
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    days: int | None = None
    if retention.get("Days"):
        days = int(retention["Days"])
    elif retention.get("Years"):
        days = int(retention["Years"]) * 365
    return Protection(
        versioning=versioning,
        object_lock=config.get("ObjectLockEnabled") == "Enabled",
        mode=retention.get("Mode"),
        days=days,
    )


def shortfall(location: s3.S3Location, env: Mapping[str, str], name: str,
              days: int) -> str | None:
    """One line saying what the bucket lacks (or that it is missing), None if it is immutable."""
    if not s3.bucket_exists(location, env, name):
        return f"bucket {location.bucket} does not exist"
    return inspect(location, env, name).shortfall(location.bucket, days)


def refuse_unless_immutable(location: s3.S3Location, env: Mapping[str, str], name: str,
                            days: int) -> None:
    """init's check of an existing bucket: refuse (exit 2) before anything is written."""
    problem = inspect(location, env, name).shortfall(location.bucket, days)
    if problem:
        raise InputError(f"repository {name}: immutable_days {days}: {problem}; create a new "
                         "bucket with Object Lock or fix this one")


def ensure_bucket(location: s3.S3Location, env: Mapping[str, str], name: str,
                  days: int) -> bool:
    """Create the bucket with Object Lock + COMPLIANCE retention, or check it; True if created."""
    from botocore.exceptions import BotoCoreError, ClientError

    if s3.bucket_exists(location, env, name):
        refuse_unless_immutable(location, env, name, days)
        return False
    client = s3.client(location, env)
    try:
        # Object Lock can only be switched on when the bucket is created; it turns on versioning.
        client.create_bucket(Bucket=location.bucket, ObjectLockEnabledForBucket=True)
        client.put_object_lock_configuration(
            Bucket=location.bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": MODE, "Days": days}},
            },
        )
        if client.get_bucket_versioning(Bucket=location.bucket).get("Status") != "Enabled":
            client.put_bucket_versioning(Bucket=location.bucket,
                                         VersioningConfiguration={"Status": "Enabled"})
    except (BotoCoreError, ClientError) as exc:
        raise _unreachable(name, location, "create immutable", exc) from None
    refuse_unless_immutable(location, env, name, days)
    return True


def _unreachable(
    name: str, location: s3.S3Location, doing: str, exc: Exception
) -> RepositoryUnreachable:
    return RepositoryUnreachable(
        f"repository {name}: cannot {doing} bucket {location.bucket}: "
        f"{s3.problem(location, exc).text}",
        repository=name,
    )


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
