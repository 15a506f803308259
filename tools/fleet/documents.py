"""The two status objects a host uploads, parsed into the few fields the fleet view uses.

    <prefix>/<host>.bulwark-status.json      backup status (bulwark.backup.status_object)
    <prefix>/<host>.bulwark-hardening.json   hardening status (bulwark.fleet.hardening_status)

`parse` never raises: bytes that are too large, not UTF-8 JSON, nested too deep or of the wrong
shape give a one-line reason instead (the row says `unreadable`). The parsed models keep only
the fields the view shows; `model_dump(mode="json")` of one re-validates with the same model,
which is what the local cache stores (bulwark.fleet.cache).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bulwark.backup.status_object import KIND as BACKUP_KIND
from bulwark.backup.status_object import SCHEMA_VERSION as BACKUP_SCHEMA
from bulwark.backup.status_object import SUFFIX as BACKUP_SUFFIX

HARDENING_SUFFIX = ".bulwark-hardening.json"
HARDENING_KIND = "bulwark.hardening-status"
HARDENING_SCHEMA = 1

MAX_OBJECT_BYTES = 256 * 1024  # a real status object is a few KiB
MAX_DEPTH = 12  # a real one nests 5 levels (last_drill.repositories.<name>.rto.…)
MAX_FAILED_TASKS = 50


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Time = Annotated[datetime, AfterValidator(_utc)]
Text = Annotated[str, Field(max_length=200)]
HostName = Annotated[str, Field(min_length=1, max_length=253)]
Count = Annotated[int, Field(ge=0)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BackupRun(_Part):
    result: Text | None = None


class Drill(_Part):
    passed: bool | None = None
    last_passed: Time | None = None


class Immutable(_Part):
    enforced: bool | None = None  # False: the last run found the bucket not immutable (F10)


class Repository(_Part):
    immutable: Immutable | None = None


class BackupStatus(_Part):
    """`kind: bulwark.backup-status` (fields the view uses; the rest is ignored)."""

    kind: Literal["bulwark.backup-status"]
    schema_version: Literal[1]
    host: HostName
    written_at: Time
    last_good_backup: Time | None = None
    last_backup_run: BackupRun | None = None
    last_drill: Drill | None = None
    repositories: Annotated[dict[Text, Repository], Field(max_length=64)] = {}

    def not_immutable(self) -> list[str]:
        """Repositories configured immutable whose bucket the last run found not to be."""
        return sorted(name for name, repo in self.repositories.items()
                      if repo.immutable is not None and repo.immutable.enforced is False)

    def times(self) -> list[datetime]:
        drill = self.last_drill.last_passed if self.last_drill else None
        return [t for t in (self.written_at, self.last_good_backup, drill) if t is not None]


class Compliance(_Part):
    passed: Count
    failed: Count


class HardeningStatus(_Part):
    """`kind: bulwark.hardening-status`: one hardening run (README.md, Fleet status)."""

    kind: Literal["bulwark.hardening-status"]
    schema_version: Literal[1]
    host: HostName
    written_at: Time
    result: Literal["ok", "failed"]
    commit: Annotated[str, Field(max_length=64)] | None = None
    changed: Count = 0
    failed: Count = 0
    failed_tasks: Annotated[list[Text], Field(max_length=MAX_FAILED_TASKS)] = []
    compliance: Compliance | None = None

    def times(self) -> list[datetime]:
        return [self.written_at]


Status = BackupStatus | HardeningStatus
Kind = Literal["backup", "hardening"]
MODELS: dict[str, type[BackupStatus] | type[HardeningStatus]] = {
    "backup": BackupStatus, "hardening": HardeningStatus,
}
SUFFIXES: dict[str, Kind] = {BACKUP_SUFFIX: "backup", HARDENING_SUFFIX: "hardening"}
assert (BACKUP_KIND, BACKUP_SCHEMA) == ("bulwark.backup-status", 1)  # the Literal above


@dataclass(frozen=True)
class Parsed:
    status: Status | None = None
    error: str | None = None


def kind_of(key: str) -> Kind | None:
    """Which status object a key is, from its suffix (None: not one)."""
    for suffix, kind in SUFFIXES.items():
        if key.endswith(suffix):
            return kind
    return None


def host_of(key: str) -> str:
    """The host an object's key names: its last segment without the suffix."""
    name = key.rpartition("/")[2]
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def parse(kind: Kind, data: bytes) -> Parsed:
    """The object's bytes as a status model, or the reason they are not one."""
    if len(data) > MAX_OBJECT_BYTES:
        return Parsed(error=f"larger than {MAX_OBJECT_BYTES} bytes")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Parsed(error="not JSON")
    except RecursionError:
        return Parsed(error=f"nested deeper than {MAX_DEPTH} levels")
    if _depth(document) > MAX_DEPTH:
        return Parsed(error=f"nested deeper than {MAX_DEPTH} levels")
    return validate(kind, document)


def validate(kind: Kind, document: Any) -> Parsed:
    """A decoded document (or a cache entry) checked against the model of its kind."""
    model = MODELS[kind]
    try:
        return Parsed(status=model.model_validate(document))
    except ValidationError as exc:
        return Parsed(error=_first_problem(model, exc))


def _first_problem(model: type[BaseModel], exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "document"
    expected = model.model_fields["kind"].annotation.__args__[0]  # type: ignore[union-attr]
    if error["loc"][:1] in ((), ("kind",)):
        return f"not a {expected} document"
    return f"{where}: {error['msg']}"


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0), counted up to `limit` + 1."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [item for item in level if isinstance(item, (dict, list))]
        if not containers:
            break
        depth += 1
        level = [child for item in containers
                 for child in (item.values() if isinstance(item, dict) else item)]
    return depth
