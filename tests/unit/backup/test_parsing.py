"""Output parsing of the restic command modules, the S3 URL parser and the records fold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bulwark.backup import s3
from bulwark.backup.config import BackupConfig
from bulwark.backup.errors import InputError
from bulwark.backup.execute import ResticResult
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic import backup, copy, forget
from bulwark.backup.restic.snapshots import parse_time


def result(messages=(), text=()) -> ResticResult:  # noqa: ANN001
    return ResticResult(["x"], 0, list(messages), list(text), "", 0.0)


def test_backup_args_keep_paths_after_double_dash() -> None:
    args = backup.backup_args([Path("/srv/-odd")], host="h", tags=["files"], excludes=["*.tmp"])
    assert args == ["backup", "--host", "h", "--tag", "bulwark", "--tag", "files",
                    "--exclude", "*.tmp", "--", "/srv/-odd"]


def test_backup_summary() -> None:
    summary = backup.summary(result([{"message_type": "summary", "snapshot_id": "abcd1234",
                                      "data_added": 10, "files_new": 2}]))
    assert (summary.snapshot_id, summary.data_added, summary.files_new) == ("abcd1234", 10, 2)


def test_forget_plan_over_groups() -> None:
    when = "2026-11-23T08:33:24.123456789Z"
    groups = [
        {"keep": [{"id": "a", "time": when}, {"id": "b", "time": when}],
         "remove": [{"id": "c", "time": when}]},
        {"keep": [{"id": "d", "time": when}], "remove": None},
    ]
    plan = forget.parse_plan(result([groups]).messages)
    assert [s.id for s in plan.kept] == ["a", "b", "d"]
    assert [s.id for s in plan.removed] == ["c"]


def test_copy_summary_from_text() -> None:
    summary = copy.summary(result(text=[
        "snapshot 0c280cc0 of [/src] at 2026-11-23 08:33:24 +0000 UTC)",
        "snapshot 0743a9c2 saved",
        "skipping source snapshot 1111aaaa, was already copied to snapshot 2222bbbb",
    ]))
    assert summary.copied == ["0743a9c2"] and summary.skipped == 1


def test_parse_time_with_nanoseconds() -> None:
    assert parse_time("2026-11-23T08:33:24.983400563Z") == datetime(
        2026, 11, 23, 8, 33, 24, 983400, tzinfo=UTC)
    assert parse_time("2024-01-01T00:00:00+02:00").utcoffset().total_seconds() == 7200


@pytest.mark.parametrize(
    ("url", "endpoint", "bucket", "prefix"),
    [
        ("s3:https://s3.example.com/bucket/host1", "https://s3.example.com", "bucket", "host1"),
        ("s3:http://127.0.0.1:9000/b/a/b/", "http://127.0.0.1:9000", "b", "a/b"),
        ("s3:s3.amazonaws.com/bucket", "https://s3.amazonaws.com", "bucket", ""),
    ],
)
def test_parse_s3_url(url: str, endpoint: str, bucket: str, prefix: str) -> None:
    location = s3.parse_url(url)
    assert (location.endpoint, location.bucket, location.prefix) == (endpoint, bucket, prefix)


def test_parse_s3_url_without_bucket() -> None:
    with pytest.raises(InputError, match="needs a host and a bucket"):
        s3.parse_url("s3:https://host")


def test_records_keep_last_success_across_a_failure(tmp_path: Path) -> None:
    config = BackupConfig.model_validate({
        "sources": ["/srv"], "password_file": "/p", "state_dir": str(tmp_path),
        "repositories": {"primary": {"url": "/r"}}})
    records = Records(config)
    good = RunRecord.start("run", config)
    good.add(StepRecord(step="backup", repository="primary", ok=True, bytes_added=5))
    good.finish()
    records.save(good)
    bad = RunRecord.start("run", config)
    bad.add(StepRecord(step="backup", repository="primary", ok=False, error="boom"))
    bad.finish()
    records.save(bad)
    state = records.state()["repositories"]["primary"]
    assert state["last_success"] == good.finished_at
    assert state["last_failure"]["error"] == "boom"
    assert [run["result"] for run in records.runs()] == ["ok", "failed"]
    assert bad.failed_step == "backup:primary"
    metrics = config.metrics_path.read_text()
    assert 'bulwark_backup_last_run_success{repository="primary",step="backup"} 0.0' in metrics
    assert "bulwark_backup_last_success_timestamp_seconds" in metrics
    assert records.runs_path.stat().st_mode & 0o777 == 0o640


def test_killed_run_is_logged_as_interrupted(tmp_path: Path) -> None:
    config = BackupConfig.model_validate({
        "sources": ["/srv"], "password_file": "/p", "state_dir": str(tmp_path),
        "repositories": {"primary": {"url": "/r"}}})
    records = Records(config)
    killed = RunRecord.start("run", config)
    records.begin(killed, "abc")
    # … the process dies here; the next run, holding the lock, finds the marker:
    recovered = records.recover("abc")
    assert recovered is not None and recovered["result"] == "interrupted"
    assert [run["result"] for run in records.runs()] == ["interrupted"]
    assert records.recover("abc") is None


def test_parse_time_keeps_non_utc_offsets() -> None:
    from datetime import timedelta

    from bulwark.backup.restic.snapshots import parse_time

    parsed = parse_time("2026-11-23T16:40:53.123456789+08:00")
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parsed.microsecond == 123456
    assert parse_time("2026-11-23T08:40:53.5Z").utcoffset() == timedelta(0)


def test_forget_keeps_pre_restore_safety_snapshots() -> None:
    from bulwark.backup.restic.forget import forget_args

    args = forget_args(["--keep-daily", "7"], host="web1")
    assert args[args.index("--keep-tag") + 1] == "pre-restore"


def test_unusable_metrics_file_is_found_before_anything_runs(tmp_path: Path) -> None:
    def records(**settings: str) -> Records:
        return Records(BackupConfig.model_validate({
            "sources": ["/srv"], "password_file": "/p", "state_dir": str(tmp_path / "state"),
            "repositories": {"primary": {"url": "/r"}}, **settings}))

    (tmp_path / "metrics").mkdir()
    with pytest.raises(InputError) as caught:  # was a traceback from write_to_textfile
        records(metrics_file=str(tmp_path / "metrics")).ensure_dirs()
    assert str(caught.value) == f"metrics_file {tmp_path / 'metrics'}: is a directory"
    (tmp_path / "blocker").write_text("a file where a directory should be")
    with pytest.raises(InputError) as caught:
        records(metrics_file=str(tmp_path / "blocker" / "m.prom")).ensure_dirs()
    assert str(caught.value).startswith(f"metrics directory {tmp_path / 'blocker'}: cannot create")
