"""Object versions of a versioned S3 bucket, and the set of objects current at a point in time.

`bulwark backup recover` rebuilds a repository as it stood at TIME from these: for every key,
the newest version or delete marker written at or before TIME decides. A version there is
copied; a delete marker there means the key did not exist at TIME (restic had removed it).
Everything written after TIME (an attacker's delete markers, overwrites, a `forget --prune`)
is ignored, which is the point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ObjectVersion:
    key: str
    version_id: str
    last_modified: datetime
    delete_marker: bool
    size: int = 0


def list_versions(client: Any, bucket: str, prefix: str) -> list[ObjectVersion]:
    """Every version and delete marker under `prefix` (boto3 list_object_versions, paginated)."""
    found: list[ObjectVersion] = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket,
                                                                      Prefix=prefix):
        for item in page.get("Versions", []):
            found.append(ObjectVersion(item["Key"], str(item["VersionId"]), item["LastModified"],
                                       False, int(item.get("Size", 0))))
        for item in page.get("DeleteMarkers", []):
            found.append(ObjectVersion(item["Key"], str(item["VersionId"]), item["LastModified"],
                                       True))
    return found


def current_at(versions: Iterable[ObjectVersion], as_of: datetime) -> dict[str, ObjectVersion]:
    """Key -> the version current at `as_of`; keys absent or deleted at that time are left out.

    On equal times (S3 keeps seconds) a delete marker wins over a version, since restic only
    deletes what it wrote earlier.
    """
    newest: dict[str, ObjectVersion] = {}
    for version in versions:
        if version.last_modified > as_of:
            continue
        best = newest.get(version.key)
        rank = (version.last_modified, version.delete_marker)
        if best is None or rank > (best.last_modified, best.delete_marker):
            newest[version.key] = version
    return {key: version for key, version in newest.items() if not version.delete_marker}
