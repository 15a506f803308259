"""Write the hardening status object: what one hardening run left on this host.

    <store prefix>/<host>.bulwark-hardening.json   next to the host's backup status object:
                                                   the stores and env_file credentials of the
                                                   backup config's S3 repositories

    {"schema_version": 1, "kind": "bulwark.hardening-status", "host": "web1",
     "written_at": "2026-06-01T11:00:00+00:00", "result": "ok" | "failed",
     "commit": "<git commit applied>", "changed": 3, "failed": 0,
     "failed_tasks": ["ssh : Validate sshd_config", …],          (at most 50, 200 chars each)
     "compliance": {"passed": 40, "failed": 0} | null}            (null: checks did not run)

`changed` on a converged host is the drift the run corrected. The document is validated with
the same model `fleet status` reads it with (bulwark.fleet.documents.HardeningStatus) before it
is put, and carries no secret: no URL, no credential, only what the caller passes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulwark.backup.config import BackupConfig, read_yaml_mapping, validate_model
from bulwark.fleet.collect import store_error
from bulwark.fleet.config import Store, load_fleet_config
from bulwark.fleet.documents import (
    HARDENING_KIND,
    HARDENING_SCHEMA,
    HARDENING_SUFFIX,
    MAX_FAILED_TASKS,
    HardeningStatus,
)


def build(
    host: str, *, result: str, commit: str | None, changed: int, failed: int,
    failed_tasks: list[str], compliance: tuple[int, int] | None, now: datetime | None = None,
) -> dict[str, Any]:
    document = {
        "schema_version": HARDENING_SCHEMA,
        "kind": HARDENING_KIND,
        "host": host,
        "written_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "result": result,
        "commit": commit,
        "changed": changed,
        "failed": failed,
        "failed_tasks": [task[:200] for task in failed_tasks[:MAX_FAILED_TASKS]],
        "compliance": None if compliance is None else {"passed": compliance[0],
                                                       "failed": compliance[1]},
    }
    HardeningStatus.model_validate(document)  # what the reader will accept, or ValueError
    return document


def key(store: Store, host: str) -> str:
    prefix = store.location.prefix
    return f"{prefix}/{host}{HARDENING_SUFFIX}" if prefix else f"{host}{HARDENING_SUFFIX}"


def publish(config_path: Path, document: dict[str, Any]) -> list[str]:
    """Put the document into every store of the backup config; the keys written.

    A store that refuses or cannot be reached raises its one-line BulwarkError (exit 2 / 3).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from bulwark.backup import s3

    stores = load_fleet_config(config_path).stores
    body = json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"
    written = []
    for store in stores:
        try:
            s3.client(store.location, store.env()).put_object(
                Bucket=store.location.bucket, Key=key(store, document["host"]), Body=body,
                ContentType="application/json")
        except (BotoCoreError, ClientError) as exc:
            raise store_error(store, exc) from None
        written.append(f"{store.display}/{key(store, document['host']).rpartition('/')[2]}")
    return written


def host_of_config(config_path: Path) -> str:
    """The `host` of a backup config (its status objects are named after it)."""
    text, data = read_yaml_mapping(config_path, expected="sources, repositories, …")
    return validate_model(config_path, text, data, BackupConfig).host
