"""Helpers for the fleet tests: run `bulwark fleet status`, plant status objects in S3."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import BULWARK, clean_env


def fleet_status(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`bulwark fleet status`; without a cache unless `--cache-dir` is among `args`."""
    cache = [] if "--cache-dir" in args else ["--no-cache"]
    return subprocess.run(
        [BULWARK, "fleet", "status", "--config", str(config), *cache, *args],
        capture_output=True, text=True, env=clean_env(), timeout=120, check=False,
    )


def write_fleet_config(path: Path, server: S3Server, env_file: Path, prefixes: list[str],
                       **extra: Any) -> Path:
    stores = [{"url": server.url(*prefix.split("/", 1)), "env_file": str(env_file)}
              for prefix in prefixes]
    path.write_text(yaml.safe_dump({"stores": stores, **extra}, sort_keys=False))
    return path


def status_document(host: str, *, backup_age: timedelta | None = timedelta(hours=2),
                    drill_age: timedelta | None = timedelta(days=5),
                    result: str = "ok", written: timedelta = timedelta(0)) -> dict[str, Any]:
    """A status object as a host would write it, its times relative to now."""
    now = datetime.now(UTC)

    def ago(delta: timedelta | None) -> str | None:
        return None if delta is None else (now - delta).isoformat(timespec="seconds")

    return {
        "schema_version": 1,
        "kind": "bulwark.backup-status",
        "host": host,
        "bulwark_version": "0.1.0",
        "written_at": ago(written),
        "repository": "offsite",
        "run": {"command": "run", "result": result},
        "last_backup_run": {"result": result},
        "last_good_backup": ago(backup_age),
        "repositories": {},
        "last_drill": {"time": ago(drill_age), "passed": drill_age is not None,
                       "last_passed": ago(drill_age), "repositories": {}},
    }


def plant(server: S3Server, bucket: str, key: str, body: dict[str, Any] | bytes,
          client: Any = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    (client or server.client()).put_object(Bucket=bucket, Key=key, Body=data,
                                           ContentType="application/json")


def hardening_document(host: str, *, age: timedelta = timedelta(hours=1), result: str = "ok",
                       compliance: tuple[int, int] = (40, 0)) -> dict[str, Any]:
    """A hardening status object as the ansible-pull agent would write it."""
    return {
        "schema_version": 1, "kind": "bulwark.hardening-status", "host": host,
        "written_at": (datetime.now(UTC) - age).isoformat(timespec="seconds"),
        "result": result, "commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "changed": 0, "failed": 0 if result == "ok" else 1,
        "failed_tasks": [] if result == "ok" else ["ssh : Validate sshd_config"],
        "compliance": {"passed": compliance[0], "failed": compliance[1]},
    }
