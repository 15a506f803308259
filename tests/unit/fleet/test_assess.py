"""The flag rules of `bulwark fleet status`, with a fixed `now`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bulwark.fleet.assess import Limits, assess_fleet, assess_host
from bulwark.fleet.collect import Fetched
from bulwark.fleet.render import age, as_json, summary, table

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIMITS = Limits(max_backup_age_hours=26, max_drill_age_days=92)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def status(
    host: str = "web1", *, backup: timedelta | None = timedelta(hours=3),
    result: str | None = "ok", drill: timedelta | None = timedelta(days=10),
    written: timedelta = timedelta(hours=3),
) -> dict[str, Any]:
    """A status document whose times are ages before NOW (None: never)."""
    return {
        "schema_version": 1,
        "kind": "bulwark.backup-status",
        "host": host,
        "written_at": iso(NOW - written),
        "last_backup_run": None if result is None else {"result": result},
        "last_good_backup": iso(NOW - backup) if backup is not None else None,
        "last_drill": {"passed": drill is not None,
                       "last_passed": iso(NOW - drill) if drill is not None else None},
    }


def flags(document: dict[str, Any], limits: Limits = LIMITS) -> list[str]:
    return assess_host(document, now=NOW, limits=limits).flags


def test_fresh_host_has_no_flags() -> None:
    row = assess_host(status(), now=NOW, limits=LIMITS)
    assert row.flags == [] and not row.flagged
    assert row.last_good_backup == NOW - timedelta(hours=3)


@pytest.mark.parametrize(
    ("backup", "stale"),
    [(timedelta(hours=25, minutes=59), False), (timedelta(hours=26), False),
     (timedelta(hours=26, seconds=1), True), (None, True)],
)
def test_backup_age_limit(backup: timedelta | None, stale: bool) -> None:
    assert ("backup-stale" in flags(status(backup=backup))) is stale


@pytest.mark.parametrize(
    ("drill", "stale"),
    [(timedelta(days=91), False), (timedelta(days=92, seconds=1), True), (None, True)],
)
def test_drill_age_limit(drill: timedelta | None, stale: bool) -> None:
    assert ("drill-stale" in flags(status(drill=drill))) is stale


def test_limits_are_configurable() -> None:
    document = status(backup=timedelta(hours=5), drill=timedelta(days=10))
    assert flags(document, Limits(max_backup_age_hours=4, max_drill_age_days=7)) == [
        "backup-stale", "drill-stale"]


def test_failing_run_is_shown_but_does_not_flag_while_the_last_good_backup_is_fresh() -> None:
    row = assess_host(status(result="failed", backup=timedelta(hours=20)), now=NOW,
                      limits=LIMITS)
    assert row.flags == ["backup-failing"] and not row.flagged
    assert row.last_backup_result == "failed"
    old = assess_host(status(result="incomplete", backup=timedelta(hours=30)), now=NOW,
                      limits=LIMITS)
    assert old.flags == ["backup-stale", "backup-failing"] and old.flagged


def test_never_backed_up_host() -> None:
    assert flags(status(backup=None, result=None, drill=None)) == ["backup-stale", "drill-stale"]


def test_naive_and_offset_times_are_understood() -> None:
    document = status()
    document["last_good_backup"] = (NOW - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    document["last_drill"]["last_passed"] = (NOW - timedelta(days=1)).astimezone(
        datetime.now().astimezone().tzinfo).isoformat()
    assert flags(document) == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [("last_good_backup", "yesterday", "not an ISO 8601 time"),
     ("written_at", 12345, "is not a time"),
     ("last_drill", "passed", "")],
)
def test_malformed_fields_make_the_row_unreadable(field: str, value: Any, reason: str) -> None:
    document = status()
    document[field] = value
    row = assess_host(document, now=NOW, limits=LIMITS)
    assert row.flags == ["unreadable"] and row.flagged and reason in (row.error or "")


def fetched(document: dict[str, Any] | None, key: str = "web1.bulwark-status.json",
            error: str | None = None) -> Fetched:
    return Fetched(store="s3:http://s3/bucket", key=key, document=document, error=error)


def test_fleet_rows_missing_unreadable_and_newest_object_per_host() -> None:
    rows = assess_fleet(
        [
            fetched(status("web1", backup=timedelta(hours=40), written=timedelta(hours=40)),
                    key="fleet/web1-old.bulwark-status.json"),
            fetched(status("web1"), key="fleet/web1.bulwark-status.json"),
            fetched(status("db1", drill=None)),
            fetched(None, key="fleet/broken.bulwark-status.json", error="not JSON"),
        ],
        now=NOW, limits=LIMITS, expected_hosts=["web1", "db1", "mail1", "mail1"],
    )
    by_host = {row.host: row for row in rows}
    assert set(by_host) == {"web1", "db1", "broken", "mail1"}
    assert by_host["web1"].flags == [] and by_host["web1"].source.endswith(
        "fleet/web1.bulwark-status.json")
    assert by_host["db1"].flags == ["drill-stale"]
    assert by_host["broken"].flags == ["unreadable"] and by_host["broken"].error == "not JSON"
    assert by_host["mail1"].flags == ["missing"]
    assert [row.host for row in rows] == ["broken", "db1", "mail1", "web1"]  # flagged first
    assert summary(rows) == "4 hosts, 3 flagged"


def test_table_and_json() -> None:
    rows = assess_fleet([fetched(status("web1")), fetched(status("db1", backup=None))],
                        now=NOW, limits=LIMITS, expected_hosts=["mail1"])
    text = table(rows, NOW).splitlines()
    assert text[0].split() == ["HOST", "LAST", "GOOD", "BACKUP", "LAST", "RUN", "LAST",
                               "PASSING", "DRILL", "FLAGS"]
    assert text[1].split() == ["db1", "never", "ok", "10d", "ago", "backup-stale"]
    assert text[2].split() == ["mail1", "never", "-", "never", "missing"]
    assert text[3].split() == ["web1", "3h", "ago", "ok", "10d", "ago", "-"]
    assert text[-1] == "3 hosts, 2 flagged"
    document = json.loads(as_json(rows, NOW, LIMITS, ["s3:http://s3/bucket"]))
    assert document["summary"] == {"hosts": 3, "flagged": 2}
    assert document["limits"] == {"max_backup_age_hours": 26, "max_drill_age_days": 92}
    web1 = next(row for row in document["hosts"] if row["host"] == "web1")
    assert web1["last_good_backup_age_hours"] == 3.0 and web1["flagged"] is False


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(minutes=5), "5m ago"), (timedelta(hours=47), "47h ago"),
     (timedelta(days=3), "3d ago"), (timedelta(minutes=-5), "in the future")],
)
def test_age(delta: timedelta, text: str) -> None:
    assert age(NOW, NOW - delta) == text
    assert age(NOW, None) == "never"
