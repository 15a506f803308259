"""The status object: where it goes next to a repository, and what it says (and never says)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bulwark.backup import s3
from bulwark.backup.config import BackupConfig, load_config
from bulwark.backup.drill.report import DRILLS_DIR
from bulwark.backup.errors import ConfigError
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.status_object import KIND, SUFFIX, build, publish, status_key, store_of

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


@pytest.mark.parametrize(
    ("url", "bucket", "key", "store_prefix"),
    [
        ("s3:https://s3.example.com/bucket/fleet/host1", "bucket", "fleet/web1" + SUFFIX,
         "fleet"),
        ("s3:http://127.0.0.1:9000/bucket/host1", "bucket", "web1" + SUFFIX, ""),
        ("s3:http://127.0.0.1:9000/bucket/a/b/c/", "bucket", "a/b/web1" + SUFFIX, "a/b"),
        ("s3:https://s3.example.com/bucket", "bucket", "web1" + SUFFIX, ""),
        ("s3:s3.example.com/bucket/web1", "bucket", "web1" + SUFFIX, ""),
    ],
)
def test_key_sits_next_to_the_repository(
    url: str, bucket: str, key: str, store_prefix: str
) -> None:
    location = s3.parse_url(url)
    assert location.bucket == bucket
    assert status_key(location, "web1") == key
    store = store_of(location)
    assert (store.endpoint, store.bucket, store.prefix) == (location.endpoint, bucket,
                                                           store_prefix)
    # One listing of the store's prefix with Delimiter='/' sees the key: it is a direct child.
    listed_prefix = f"{store.prefix}/" if store.prefix else ""
    assert key.startswith(listed_prefix) and "/" not in key.removeprefix(listed_prefix)


CONFIG = """\
sources: [/srv/shop]
password_file: /etc/bulwark/restic.pass
state_dir: {state}
host: web1
repositories:
  primary: {{url: /var/backups/bulwark}}
  offsite:
    url: s3:https://user:hunter2@s3.example.com/bucket/fleet/web1
    env_file: /etc/bulwark/offsite.env
"""


@pytest.fixture
def config(tmp_path: Path) -> BackupConfig:
    path = tmp_path / "backup.yml"
    path.write_text(CONFIG.format(state=tmp_path / "state"))
    return load_config(path)


def record(
    config: BackupConfig, command: str, started: float, steps: list[StepRecord]
) -> RunRecord:
    rec = RunRecord.start(command, config)
    rec.started_at = started
    for step in steps:
        rec.add(step)
    rec.finish()
    rec.finished_at = started + 60
    return rec


def good_run(config: BackupConfig, started: float) -> RunRecord:
    return record(config, "run", started, [
        StepRecord("backup", "primary", True, started_at=started, duration=10,
                   snapshot_id="a" * 64),
        StepRecord("retention", "primary", True, started_at=started + 10, duration=1),
        StepRecord("copy", "offsite", True, started_at=started + 11, duration=5,
                   snapshot_ids=["b" * 64]),
    ])


def save(config: BackupConfig, rec: RunRecord) -> dict:
    records = Records(config)
    records.save(rec)
    return records.state()


def test_failed_run_still_reports_the_last_good_backup(config: BackupConfig) -> None:
    save(config, good_run(config, T0))
    failed = record(config, "run", T0 + 24 * HOUR, [
        StepRecord("backup", "primary", False, started_at=T0 + 24 * HOUR, duration=3,
                   error="restic: wrong password or no key found"),
    ])
    state = save(config, failed)
    doc = build(config, failed, state, repository="offsite",
                now=datetime.fromtimestamp(T0 + 25 * HOUR, UTC))
    assert doc["kind"] == KIND and doc["schema_version"] == 1 and doc["host"] == "web1"
    assert doc["repository"] == "offsite"
    assert doc["run"]["result"] == "failed" and doc["run"]["failed_step"] == "backup:primary"
    assert doc["last_backup_run"]["result"] == "failed"
    # last_success is the run's finish (state.json): the failed run does not move it.
    assert doc["last_good_backup"] == datetime.fromtimestamp(T0 + 60, UTC).isoformat()
    assert doc["repositories"]["primary"]["newest_snapshot"]["id"] == "a" * 64
    assert doc["repositories"]["offsite"]["newest_snapshot"]["id"] == "b" * 64
    assert doc["last_drill"]["time"] is None and doc["last_drill"]["last_passed"] is None


def test_a_drill_keeps_the_backup_run_and_records_the_passing_drill(
    config: BackupConfig,
) -> None:
    save(config, good_run(config, T0))
    drills = config.state_dir / DRILLS_DIR
    drills.mkdir(parents=True)
    for name, seconds in (("20260501T040000Z-primary.json", 1.0),
                          ("20260501T040000Z-primary.2.json", 2.5),
                          ("20260501T040000Z-off-primary.json", 9.0)):
        (drills / name).write_text(json.dumps({
            "ok": True, "mode": "sample", "ended": "2026-05-01T04:01:00+00:00",
            "restore": {"files": 10, "bytes": 1000, "seconds": seconds, "mb_per_s": 0.0}}))
    drill = record(config, "drill", T0 + HOUR, [
        StepRecord("drill", "primary", True, started_at=T0 + HOUR, duration=30),
        StepRecord("drill", "offsite", False, started_at=T0 + HOUR + 30, duration=30,
                   error="offsite offsite: missing 1 snapshots"),
    ])
    state = save(config, drill)
    doc = build(config, drill, state)
    assert doc["run"]["command"] == "drill"
    assert doc["last_backup_run"]["result"] == "ok"  # the drill does not hide the backup run
    last = doc["last_drill"]
    assert last["passed"] is False  # offsite's newest drill failed
    assert last["last_passed"] is None  # offsite never passed one
    assert last["time"] == datetime.fromtimestamp(T0 + HOUR + 60, UTC).isoformat()
    primary = last["repositories"]["primary"]
    assert primary["passed"] is True
    assert primary["last_passed"] == datetime.fromtimestamp(T0 + HOUR + 30, UTC).isoformat()
    assert primary["rto"]["seconds"] == 2.5  # the newest report of *this* repository
    # A later drill where both pass: last_passed is when every repository had passed.
    again = record(config, "drill", T0 + 2 * HOUR, [
        StepRecord("drill", "primary", True, started_at=T0 + 2 * HOUR, duration=30),
        StepRecord("drill", "offsite", True, started_at=T0 + 2 * HOUR + 30, duration=30),
    ])
    doc = build(config, again, save(config, again))
    assert doc["last_drill"]["passed"] is True
    assert doc["last_drill"]["last_passed"] == datetime.fromtimestamp(
        T0 + 2 * HOUR + 30, UTC).isoformat()


def test_no_secret_in_the_document(config: BackupConfig) -> None:
    rec = good_run(config, T0)
    text = json.dumps(build(config, rec, save(config, rec)))
    assert "hunter2" not in text
    assert "s3.example.com/bucket/fleet/web1" in text


def test_disabled_or_local_only_uploads_nothing(config: BackupConfig, tmp_path: Path) -> None:
    rec = good_run(config, T0)
    save(config, rec)
    off = config.model_copy(update={"status_object": False})
    assert publish(off, rec) == []
    local = config.model_copy(update={"repositories": {"primary": config.repositories["primary"]}})
    assert publish(local, rec) == []


def test_upload_failure_is_returned_and_reported_never_raised(config: BackupConfig) -> None:
    rec = good_run(config, T0)
    save(config, rec)
    lines: list[str] = []
    failures = publish(config, rec, report=lines.append)  # the env_file is not there
    assert [str(f) for f in failures] == [
        "status object upload to offsite failed: env_file /etc/bulwark/offsite.env: no such file"]
    assert lines == [f"warning: {failures[0]}"]
    assert failures[0].exit_code == 1


def test_status_object_knob(config: BackupConfig, tmp_path: Path) -> None:
    assert config.status_object is True
    path = tmp_path / "off.yml"
    path.write_text(CONFIG.format(state=tmp_path / "state") + "status_object: false\n")
    assert load_config(path).status_object is False
    path.write_text(CONFIG.format(state=tmp_path / "state") + "status_objects: false\n")
    with pytest.raises(ConfigError, match="did you mean 'status_object'"):
        load_config(path)
