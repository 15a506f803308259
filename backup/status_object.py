"""The host's status object: a small JSON document uploaded next to each S3 repository.

After every `backup run` (success or failure, once the run is recorded) and every `backup
drill`, Bulwark puts one object per S3 repository of the config (boto3, `application/json`),
so that `bulwark fleet status` can judge hundreds of hosts from one bucket listing:

    repository  s3:https://s3.example.com/bucket/fleet/web1
    object      bucket  fleet/<host>.bulwark-status.json  same parent prefix, the host's name
    repository  s3:https://s3.example.com/bucket          (the bucket root)
    object      bucket  <host>.bulwark-status.json

The key names the host (the config's `host`): `bulwark fleet status` trusts the key, not the
content, and flags an object whose content names another host as forged.

The document (`kind: bulwark.backup-status`, `schema_version: 1`) carries no secret: no
password, no key, URLs only as redacted by `execute.redact_url`.

    host, bulwark_version, written_at, repository     (the repository this copy sits next to)
    run                the run that just ended: command, result (ok/failed/incomplete),
                       started_at, finished_at, failed_step, error
    last_backup_run    the newest `backup run` (the same as `run` after a backup run)
    last_good_backup   when every repository last had a successful `backup run` (state.json:
                       a failed run still reports the last good one); null if one never had
    repositories       per repository: url, last_success, newest_snapshot {id, saved_at}
    last_drill         time, passed, last_passed (every repository passed a drill at or after
                       it; null if one never passed), and per repository the same plus `rto`
                       (mode, files, bytes, seconds, mb_per_s of its newest drill report)

Times are ISO 8601 in UTC. Set `status_object: false` in the config to switch uploads off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulwark import __version__
from bulwark.backup import s3
from bulwark.backup.drill.report import latest_report
from bulwark.backup.errors import BackupError
from bulwark.backup.execute import redact_url
from bulwark.backup.records import Records, RunRecord
from bulwark.errors import BulwarkError

if TYPE_CHECKING:
    from bulwark.backup.config import BackupConfig

SUFFIX = ".bulwark-status.json"
KIND = "bulwark.backup-status"
SCHEMA_VERSION = 1
CONTENT_TYPE = "application/json"
_ERROR_LIMIT = 500


class StatusUploadFailed(BackupError):
    """The status object could not be put next to a repository (the run itself is recorded)."""

    exit_code = 1


def status_key(location: s3.S3Location, host: str) -> str:
    """`fleet/<anything>` -> `fleet/<host>.bulwark-status.json`; the bucket root -> `<host>.…`."""
    parent = store_of(location).prefix
    return f"{parent}/{host}{SUFFIX}" if parent else f"{host}{SUFFIX}"


def store_of(location: s3.S3Location) -> s3.S3Location:
    """Where a repository's status object lives: the repository's parent prefix."""
    return s3.S3Location(
        endpoint=location.endpoint,
        bucket=location.bucket,
        prefix=location.prefix.rpartition("/")[0],
    )


def build(
    config: BackupConfig, record: RunRecord, state: dict[str, Any], *,
    repository: str | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """The status document of this host after `record` was saved into `state`."""
    repos = state.get("repositories", {})
    names = list(config.repositories)
    successes = [repos.get(name, {}).get("last_success") for name in names]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "host": config.host,
        "bulwark_version": __version__,
        "written_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "repository": repository,
        "run": {
            "command": record.command,
            "result": record.result,
            "started_at": _iso(record.started_at),
            "finished_at": _iso(record.finished_at),
            "failed_step": record.failed_step,
            "error": _short(record.error),
        },
        "last_backup_run": _last_backup_run(state),
        "last_good_backup": None if None in successes else _iso(min(successes)),
        "repositories": {
            name: {
                "url": redact_url(config.repositories[name].url),
                "last_success": _iso(repos.get(name, {}).get("last_success")),
                "newest_snapshot": _snapshot(repos.get(name, {}).get("newest_snapshot")),
                **_immutable(config, name, repos.get(name, {})),
            }
            for name in names
        },
        "last_drill": _last_drill(config.state_dir, names, repos),
    }


def publish(
    config: BackupConfig,
    record: RunRecord,
    *,
    report: Callable[[str], None] = lambda _: None,
    unreachable: Collection[str] = (),
) -> list[StatusUploadFailed]:
    """Upload the status object next to every S3 repository; never raises.

    Each failure is reported as one warning line and returned, so the caller can decide the
    exit code (a run that already failed keeps its own). Repositories in `unreachable` (their
    endpoint did not answer this run's probe) are not asked again: a failure at once.
    """
    if not config.status_object:
        return []
    s3_repos = [name for name, repo in config.repositories.items() if s3.is_s3(repo.url)]
    if not s3_repos:
        return []
    failures: list[StatusUploadFailed] = []
    try:
        state = Records(config).state()
    except BulwarkError as exc:  # state.json unreadable: nothing true to say
        failures = [StatusUploadFailed(_failed(name, str(exc))) for name in s3_repos]
    else:
        for name in s3_repos:
            if name in unreachable:
                failures.append(StatusUploadFailed(_failed(
                    name, "not attempted: the endpoint did not answer this run's probe")))
                continue
            try:
                _put(config, name, build(config, record, state, repository=name))
            except StatusUploadFailed as exc:
                failures.append(exc)
    for failure in failures:
        report(f"warning: {failure}")
    return failures


def _put(config: BackupConfig, name: str, document: dict[str, Any]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    body = json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"
    try:
        location = s3.parse_url(config.repositories[name].url)
        env = config.target(name).env
        s3.client(location, env).put_object(
            Bucket=location.bucket,
            Key=status_key(location, config.host),
            Body=body,
            ContentType=CONTENT_TYPE,
        )
    except BulwarkError as exc:  # env_file unreadable, URL not parseable
        raise StatusUploadFailed(_failed(name, str(exc))) from None
    except (BotoCoreError, ClientError) as exc:
        raise StatusUploadFailed(_failed(name, s3.problem(location, exc).text)) from None


def _failed(name: str, reason: str) -> str:
    return f"status object upload to {name} failed: {' '.join(reason.split())}"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _short(text: str | None) -> str | None:
    return None if text is None else text[:_ERROR_LIMIT]


def _snapshot(saved: dict[str, Any] | None) -> dict[str, Any] | None:
    if not saved:
        return None
    return {"id": saved.get("id"), "saved_at": _iso(saved.get("saved_at"))}


def _last_backup_run(state: dict[str, Any]) -> dict[str, Any] | None:
    run = state.get("last_runs", {}).get("run")
    if run is None and state.get("last_run", {}).get("command") == "run":
        run = state["last_run"]  # a state.json written before `last_runs` existed
    if run is None:
        return None
    return {
        "result": run.get("result"),
        "started_at": _iso(run.get("started_at")),
        "finished_at": _iso(run.get("finished_at")),
        "failed_step": run.get("failed_step"),
        "error": _short(run.get("error")),
    }


def _last_drill(
    state_dir: Path, names: list[str], repos: dict[str, Any]
) -> dict[str, Any]:
    ends: list[float] = []
    passed: list[bool] = []
    last_passed: list[float | None] = []
    per_repo: dict[str, dict[str, Any]] = {}
    for name in names:
        drill = repos.get(name, {}).get("steps", {}).get("drill")
        if drill is None:
            last_passed.append(None)
            per_repo[name] = {"time": None, "passed": None, "last_passed": None, "rto": None}
            continue
        ends.append(drill["last_run"] + drill.get("duration", 0.0))
        passed.append(bool(drill.get("ok")))
        last_passed.append(drill.get("last_success"))
        per_repo[name] = {
            "time": _iso(ends[-1]),
            "passed": passed[-1],
            "last_passed": _iso(last_passed[-1]),
            "rto": _rto(state_dir, name),
        }
    return {
        "time": _iso(max(ends)) if ends else None,
        "passed": all(passed) if passed else None,
        "last_passed": None if None in last_passed else _iso(min(filter(None, last_passed))),
        "repositories": per_repo,
    }


def _rto(state_dir: Path, repository: str) -> dict[str, Any] | None:
    """Restore figures of the repository's newest drill report (state_dir/drills/), if any."""
    path = latest_report(state_dir, repository)
    if path is None:
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        restore = report["restore"]
        return {
            "mode": report.get("mode"),
            "ok": report.get("ok"),
            "ended": report.get("ended"),
            "files": restore["files"],
            "bytes": restore["bytes"],
            "seconds": restore["seconds"],
            "mb_per_s": restore["mb_per_s"],
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _immutable(config: BackupConfig, name: str, repo: dict[str, Any]) -> dict[str, Any]:
    """F10: for a repository with immutable_days, whether the last run found the bucket
    enforcing it (None: not checked yet); `bulwark fleet status` flags `not-immutable`."""
    days = config.repositories[name].immutable_days
    if not days:
        return {}
    step = repo.get("steps", {}).get("immutable") or {}
    enforced = None if "ok" not in step else bool(step["ok"])
    return {"immutable": {"days": days, "enforced": enforced}}
