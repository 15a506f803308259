"""S3 repositories through boto3: parse restic's s3 URL, probe, create the bucket, measure usage.

restic's URL forms: `s3:https://host[:port]/bucket[/prefix]`, `s3:http://…` (plain HTTP, for
test endpoints) and `s3:host/bucket[/prefix]` (HTTPS). Credentials come from the repository's
env_file (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN and
AWS_DEFAULT_REGION) — the same variables restic reads, passed explicitly, never from argv.
The status object (status_object.py) and `bulwark fleet status` reuse `parse_url` and `client`.
boto3 is imported on first use: it costs about a second of start-up that runs with only local
repositories should not pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from bulwark.backup.errors import CredentialsRejected, InputError, RepositoryUnreachable

CONNECT_TIMEOUT = 5
# The probe before restic starts (`bucket_exists(…, quick=True)`): a dead endpoint must fail
# in seconds, not after restic's minutes of retries. botocore makes max_attempts + 1 tries of
# a timed-out HeadBucket, so a silent endpoint costs about 3 × (connect or read timeout).
PROBE_TIMEOUT = 3
PROBE_ATTEMPTS = 2


@dataclass(frozen=True)
class S3Location:
    endpoint: str  # scheme://host[:port]
    bucket: str
    prefix: str  # no leading or trailing slash; "" for the bucket root

    @property
    def display(self) -> str:
        return f"{self.endpoint}/{self.bucket}/{self.prefix}".rstrip("/")


def is_s3(url: str) -> bool:
    return url.startswith("s3:")


def parse_url(url: str) -> S3Location:
    """`s3:https://host:9000/bucket/a/b` -> endpoint https://host:9000, bucket, prefix a/b."""
    if not is_s3(url):
        raise InputError(f"{url!r} is not an s3: repository URL")
    rest = url.removeprefix("s3:")
    if not rest.startswith(("http://", "https://")):
        rest = "https://" + rest.lstrip("/")
    try:
        parts = urlsplit(rest)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", …
        raise InputError(f"s3 URL {url!r}: {exc}") from None
    segments = [segment for segment in parts.path.split("/") if segment]
    if not parts.hostname or not segments:
        raise InputError(f"s3 URL {url!r} needs a host and a bucket: s3:https://host/bucket/prefix")
    return S3Location(
        endpoint=f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}",
        bucket=segments[0],
        prefix="/".join(segments[1:]),
    )


def client(
    location: S3Location,
    env: Mapping[str, str],
    *,
    max_pool_connections: int = 10,
    quick: bool = False,
    session: Any = None,
) -> Any:
    """A boto3 S3 client for the endpoint, with the credentials of the repository's env_file.

    Thread-safe; give `max_pool_connections` as many as the threads that share it. `session`:
    a boto3.Session to make it from (default: boto3's default session).
    """
    import boto3
    from botocore.config import Config as BotoConfig

    key_id = env.get("AWS_ACCESS_KEY_ID") or None
    secret = env.get("AWS_SECRET_ACCESS_KEY") or None
    if (key_id is None) != (secret is None):  # boto3 would raise PartialCredentialsError
        missing = "AWS_ACCESS_KEY_ID" if key_id is None else "AWS_SECRET_ACCESS_KEY"
        raise InputError(
            f"S3 credentials for {location.endpoint}: {missing} is empty or not set "
            "(the env_file needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    return (session or boto3).client(
        "s3",
        endpoint_url=location.endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
        region_name=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
        config=BotoConfig(
            connect_timeout=PROBE_TIMEOUT if quick else CONNECT_TIMEOUT,
            read_timeout=PROBE_TIMEOUT if quick else 30,
            retries={"max_attempts": PROBE_ATTEMPTS if quick else 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            max_pool_connections=max_pool_connections,
        ),
    )


# S3 error codes that mean: the credentials were refused / there is no such bucket.
REJECTED_CODES = frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                            "InvalidToken", "ExpiredToken"})
NO_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})


@dataclass(frozen=True)
class Problem:
    """What a boto3 error means, in one line for the user."""

    kind: Literal["unreachable", "rejected", "no-bucket"]
    text: str


def problem(location: S3Location, exc: Exception) -> Problem:
    """The one place that reads boto3's errors (probe, status object, fleet listing)."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, EndpointConnectionError):  # ConnectTimeoutError is one too
        return Problem("unreachable", f"cannot connect to {location.endpoint}")
    if isinstance(exc, ReadTimeoutError):
        return Problem("unreachable", f"{location.endpoint} did not answer (read timeout)")
    if isinstance(exc, NoCredentialsError):
        return Problem("rejected", "no S3 credentials (set AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY in the env_file)")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "")) or "error"
        if code in NO_BUCKET_CODES:
            return Problem("no-bucket",
                           f"bucket {location.bucket} does not exist at {location.endpoint}")
        if code in REJECTED_CODES:
            return Problem("rejected", f"S3 credentials rejected by {location.endpoint} ({code}); "
                                       "check its env_file")
        return Problem("unreachable", f"{location.endpoint} answered {code}")
    return Problem("unreachable", f"{location.endpoint}: {exc.__class__.__name__}")


def bucket_exists(
    location: S3Location, env: Mapping[str, str], name: str, *, quick: bool = False
) -> bool:
    """Probe the endpoint (restic itself retries for minutes when it is down); `quick`: with
    the probe's short timeouts."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client(location, env, quick=quick).head_bucket(Bucket=location.bucket)
    except (BotoCoreError, ClientError) as exc:
        found = problem(location, exc)
        if found.kind == "no-bucket":
            return False
        error = CredentialsRejected if found.kind == "rejected" else RepositoryUnreachable
        raise error(f"repository {name}: {found.text}", repository=name) from None
    return True


def ensure_bucket(location: S3Location, env: Mapping[str, str], name: str) -> bool:
    """Create the bucket if it is missing; True if it was created."""
    from botocore.exceptions import BotoCoreError, ClientError

    if bucket_exists(location, env, name):
        return False
    try:
        client(location, env).create_bucket(Bucket=location.bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
            return False
        raise _cannot_create(location, name, exc) from None
    except BotoCoreError as exc:
        raise _cannot_create(location, name, exc) from None
    return True


def _cannot_create(location: S3Location, name: str, exc: Exception) -> RepositoryUnreachable:
    return RepositoryUnreachable(
        f"repository {name}: cannot create bucket {location.bucket}: "
        f"{problem(location, exc).text}",
        repository=name,
    )


def usage(location: S3Location, env: Mapping[str, str]) -> int:
    """Bytes stored under the repository's prefix."""
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = client(location, env)
    prefix = f"{location.prefix}/" if location.prefix else ""
    total = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=location.bucket, Prefix=prefix
        ):
            total += sum(int(item["Size"]) for item in page.get("Contents", []))
    except (BotoCoreError, ClientError) as exc:
        raise RepositoryUnreachable(
            f"size of {location.display}: {problem(location, exc).text}") from None
    return total
