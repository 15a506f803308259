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
from typing import Any
from urllib.parse import urlsplit

from bulwark.backup.errors import InputError, RepositoryUnreachable, WrongPassword

CONNECT_TIMEOUT = 5


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
    parts = urlsplit(rest)
    segments = [segment for segment in parts.path.split("/") if segment]
    if not parts.hostname or not segments:
        raise InputError(f"s3 URL {url!r} needs a host and a bucket: s3:https://host/bucket/prefix")
    return S3Location(
        endpoint=f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}",
        bucket=segments[0],
        prefix="/".join(segments[1:]),
    )


def client(
    location: S3Location, env: Mapping[str, str], *, max_pool_connections: int = 10
) -> Any:
    """A boto3 S3 client for the endpoint, with the credentials of the repository's env_file.

    Thread-safe; give `max_pool_connections` as many as the threads that share it.
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
    return boto3.client(
        "s3",
        endpoint_url=location.endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
        region_name=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
        config=BotoConfig(
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=30,
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            max_pool_connections=max_pool_connections,
        ),
    )


def bucket_exists(location: S3Location, env: Mapping[str, str], name: str) -> bool:
    """Probe the endpoint quickly (restic itself retries for about a minute when it is down)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        client(location, env).head_bucket(Bucket=location.bucket)
    except EndpointConnectionError:
        raise RepositoryUnreachable(
            f"repository {name}: cannot connect to {location.endpoint}", repository=name
        ) from None
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise WrongPassword(
                f"repository {name}: S3 credentials rejected by {location.endpoint} ({code}); "
                "check its env_file",
                repository=name,
            ) from None
        raise RepositoryUnreachable(
            f"repository {name}: {location.endpoint} answered {code or exc}", repository=name
        ) from None
    except BotoCoreError as exc:
        raise RepositoryUnreachable(
            f"repository {name}: {location.endpoint}: {exc.__class__.__name__}", repository=name
        ) from None
    return True


def ensure_bucket(location: S3Location, env: Mapping[str, str], name: str) -> bool:
    """Create the bucket if it is missing; True if it was created."""
    from botocore.exceptions import ClientError

    if bucket_exists(location, env, name):
        return False
    try:
        client(location, env).create_bucket(Bucket=location.bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in ("BucketAlreadyOwnedByYou",):
            raise RepositoryUnreachable(
                f"repository {name}: cannot create bucket {location.bucket}: {code}",
                repository=name,
            ) from None
        return False
    return True


def usage(location: S3Location, env: Mapping[str, str]) -> int:
    """Bytes stored under the repository's prefix."""
    s3 = client(location, env)
    prefix = f"{location.prefix}/" if location.prefix else ""
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=prefix
    ):
        total += sum(int(item["Size"]) for item in page.get("Contents", []))
    return total
