"""The flag and trust rules of `bulwark fleet status`, with a fixed `now`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bulwark.fleet.assess import HostRow, Limits, assess_fleet
from bulwark.fleet.collect import Fetched
from bulwark.fleet.documents import Kind, host_of, kind_of, parse
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
    """A backup status document whose times are ages before NOW (None: never)."""
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


def hardening(
    host: str = "web1", *, written: timedelta = timedelta(hours=1), result: str = "ok",
    compliance: tuple[int, int] | None = (40, 0), **extra: Any,
) -> dict[str, Any]:
    return {
        "schema_version": 1, "kind": "bulwark.hardening-status", "host": host,
        "written_at": iso(NOW - written), "result": result, "commit": "0123456789abcdef",
        "changed": 2, "failed": 0 if result == "ok" else 1,
        "failed_tasks": [] if result == "ok" else ["ssh : Validate sshd_config"],
        "compliance": None if compliance is None else {"passed": compliance[0],
                                                       "failed": compliance[1]},
        **extra,
    }


def fetched(document: dict[str, Any] | bytes, key: str = "fleet/web1.bulwark-status.json",
            store: str = "s3:http://s3/bucket/fleet") -> Fetched:
    """An object as collect() gives it: its bytes parsed by the real parser."""
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    kind = kind_of(key)
    assert kind is not None
    parsed = parse(kind, data)
    return Fetched(store=store, key=key, kind=kind, status=parsed.status, error=parsed.error)


def key(host: str, kind: Kind = "backup") -> str:
    suffix = ".bulwark-status.json" if kind == "backup" else ".bulwark-hardening.json"
    return f"fleet/{host}{suffix}"


def one(*items: Fetched, limits: Limits = LIMITS) -> HostRow:
    rows = assess_fleet(items, now=NOW, limits=limits)
    assert len(rows) == 1
    return rows[0]


def flags(document: dict[str, Any], limits: Limits = LIMITS) -> list[str]:
    return one(fetched(document), limits=limits).flags


def test_fresh_host_has_no_flags() -> None:
    row = one(fetched(status()))
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
    row = one(fetched(status(result="failed", backup=timedelta(hours=20))))
    assert row.flags == ["backup-failing"] and not row.flagged
    assert row.last_backup_result == "failed"
    old = one(fetched(status(result="incomplete", backup=timedelta(hours=30))))
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
    [("last_good_backup", "yesterday", "last_good_backup: Input should be a valid datetime"),
     ("written_at", None, "written_at: Input should be a valid datetime"),
     ("last_drill", "passed", "last_drill: Input should be a valid dictionary"),
     ("host", ["web1"], "host: Input should be a valid string"),
     ("kind", "bulwark.other", "not a bulwark.backup-status document"),
     ("schema_version", 2, "schema_version: Input should be 1")],
)
def test_wrong_shape_is_one_unreadable_row(field: str, value: Any, reason: str) -> None:
    document = status()
    document[field] = value
    row = one(fetched(document))
    assert row.flags == ["unreadable"] and row.flagged
    assert (row.error or "").startswith(f"backup object: {reason}")
    assert row.backup is None  # nothing of it is shown


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"{not json", "not JSON"), (b"\xff\xfe", "not JSON"),
     (b"[1, 2]", "not a bulwark.backup-status document"),
     (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 12 levels"),
     (json.dumps({**status(), "x": [[[[[[[[[[[[[1]]]]]]]]]]]]]}).encode(),
      "nested deeper than 12 levels"),
     (b" " * (256 * 1024 + 1), "larger than 262144 bytes")],
)
def test_bad_bytes_are_one_unreadable_row(data: bytes, reason: str) -> None:
    row = one(fetched(data))
    assert row.host == "web1" and row.flags == ["unreadable"] and reason in (row.error or "")


def test_a_real_depth_is_accepted() -> None:
    document = {**status(), "last_drill": {
        "passed": True, "last_passed": iso(NOW - timedelta(days=1)),
        "repositories": {"offsite": {"rto": {"files": 3, "detail": {"a": [1]}}}}}}
    assert flags(document) == []


def test_content_claiming_another_host_is_forged_and_not_used() -> None:
    """web2's key carrying a fresh web1 document must not hide web1's stale backup."""
    rows = assess_fleet(
        [fetched(status("web1", backup=timedelta(days=3)), key=key("web1")),
         fetched(status("web1"), key=key("web2"))],
        now=NOW, limits=LIMITS,
    )
    by_host = {row.host: row for row in rows}
    assert by_host["web1"].flags == ["backup-stale"]
    assert by_host["web1"].last_good_backup == NOW - timedelta(days=3)
    assert by_host["web2"].flags == ["forged"] and by_host["web2"].backup is None
    assert by_host["web2"].error == "backup object claims host 'web1'"


def test_a_future_time_is_clock_skew_and_not_used() -> None:
    future = status(written=timedelta(0))
    future["last_good_backup"] = iso(NOW + timedelta(days=30))
    row = one(fetched(future))
    assert row.flags == ["clock-skew"] and row.flagged and row.backup is None
    assert "dated 2026-07-01T12:00:00+00:00, in the future" in (row.error or "")
    # A few minutes ahead is tolerated (clocks drift); the newest object still wins.
    near = one(fetched(status(written=timedelta(minutes=-4), backup=timedelta(minutes=-4))))
    assert near.flags == []
    skewed_hardening = one(fetched(status()),
                           fetched(hardening(written=timedelta(hours=-2)),
                                   key=key("web1", "hardening")))
    assert skewed_hardening.flags == ["clock-skew"] and skewed_hardening.hardening is None


def test_a_skewed_copy_does_not_hide_the_true_one_in_another_store() -> None:
    true = fetched(status(backup=timedelta(days=4)), store="s3:http://a/b")
    skewed = status(written=timedelta(days=-1))
    row = one(true, fetched(skewed, store="s3:http://c/d"))
    assert row.flags == ["clock-skew", "backup-stale"]
    assert row.last_good_backup == NOW - timedelta(days=4)


@pytest.mark.parametrize(
    ("document", "expected"),
    [(hardening(), []),
     (hardening(written=timedelta(hours=27)), ["hardening-stale"]),
     (hardening(result="failed"), ["hardening-failing"]),
     (hardening(compliance=(38, 2)), ["compliance-failing"]),
     (hardening(compliance=None), [])],
)
def test_hardening_flags(document: dict[str, Any], expected: list[str]) -> None:
    row = one(fetched(status()), fetched(document, key=key("web1", "hardening")))
    assert row.flags == expected and row.flagged is bool(expected)
    assert row.hardening is not None and row.hardening.commit == "0123456789abcdef"


@pytest.mark.parametrize(
    ("field", "value"),
    [("result", "fine"), ("changed", -1), ("failed_tasks", ["x"] * 51),
     ("compliance", {"passed": 1}), ("commit", "a" * 65), ("written_at", None)],
)
def test_hardening_wrong_shape_is_unreadable(field: str, value: Any) -> None:
    row = one(fetched(status()), fetched({**hardening(), field: value},
                                         key=key("web1", "hardening")))
    assert row.flags == ["unreadable"] and row.error.startswith(f"hardening object: {field}")


def test_hardening_missing_only_when_required() -> None:
    assert one(fetched(status())).flags == []
    required = Limits(require_hardening=True)
    assert one(fetched(status()), limits=required).flags == ["hardening-missing"]


def test_fleet_rows_missing_unreadable_and_newest_object_per_host() -> None:
    rows = assess_fleet(
        [
            fetched(status("web1", backup=timedelta(hours=40), written=timedelta(hours=40)),
                    store="s3:http://s3/old"),
            fetched(status("web1")),
            fetched(status("db1", drill=None), key=key("db1")),
            fetched(b"{not json", key=key("broken")),
        ],
        now=NOW, limits=LIMITS, expected_hosts=["web1", "db1", "mail1", "mail1"],
    )
    by_host = {row.host: row for row in rows}
    assert set(by_host) == {"web1", "db1", "broken", "mail1"}
    assert by_host["web1"].flags == [] and len(by_host["web1"].sources) == 2
    assert by_host["db1"].flags == ["drill-stale"]
    assert by_host["broken"].flags == ["unreadable"]
    assert by_host["broken"].error == "backup object: not JSON"
    assert by_host["mail1"].flags == ["missing"]
    assert [row.host for row in rows] == ["broken", "db1", "mail1", "web1"]  # flagged first
    assert summary(rows) == "4 hosts, 3 flagged"


def test_table_and_json() -> None:
    rows = assess_fleet([fetched(status("web1")), fetched(status("db1", backup=None),
                                                          key=key("db1")),
                         fetched(hardening("web1", compliance=(38, 2)),
                                 key=key("web1", "hardening"))],
                        now=NOW, limits=LIMITS, expected_hosts=["mail1"])
    text = table(rows, NOW).splitlines()
    assert text[0].split() == ["HOST", "HARDENED", "RESULT", "COMMIT", "CHANGED", "COMPLIANCE",
                               "LAST", "GOOD", "BACKUP", "LAST", "RUN", "LAST", "PASSING",
                               "DRILL", "FLAGS"]
    assert text[1].split() == ["db1", "-", "-", "-", "-", "-", "never", "ok", "10d", "ago",
                               "backup-stale"]
    assert text[2].split() == ["mail1", "-", "-", "-", "-", "-", "never", "-", "never",
                               "missing"]
    assert text[3].split() == ["web1", "1h", "ago", "ok", "0123456789ab", "2", "38/40", "3h",
                               "ago", "ok", "10d", "ago", "compliance-failing"]
    assert text[-1] == "3 hosts, 3 flagged"
    document = json.loads(as_json(rows, NOW, LIMITS, ["s3:http://s3/bucket"]))
    assert document["summary"] == {"hosts": 3, "flagged": 3}
    assert document["limits"] == {"max_backup_age_hours": 26, "max_drill_age_days": 92,
                                  "max_hardening_age_hours": 26, "require_hardening": False}
    web1 = next(row for row in document["hosts"] if row["host"] == "web1")
    assert web1["last_good_backup_age_hours"] == 3.0 and web1["flagged"] is True
    assert web1["hardening"] == {
        "written_at": "2026-06-01T11:00:00+00:00", "age_hours": 1.0, "result": "ok",
        "commit": "0123456789abcdef", "changed": 2, "failed": 0, "failed_tasks": [],
        "compliance": {"passed": 38, "failed": 2}}


def test_hostile_names_and_texts_cannot_forge_rows_or_escape() -> None:
    evil = "web1\x1b[2J\x1b]0;owned\x07\nweb9  -  ok"
    rows = assess_fleet(
        [fetched(status(evil), key=key(evil)),
         fetched(hardening(evil, result="failed", failed_tasks=["a\u2028b\rc\u202ed"]),
                 key=key(evil, "hardening")),
         fetched(status("web1\x9b31m"), key=key("web2"))],
        now=NOW, limits=LIMITS,
    )
    text = table(rows, NOW)
    lines = text.splitlines()
    assert len(lines) == 1 + 2 + 1  # header, two hosts, summary: no forged row
    assert all(char.isprintable() for char in text.replace("\n", ""))
    assert "web1\\x1b[2J\\x1b]0;owned\\x07\\x0aweb9" in text
    assert "claims host 'web1\\x9b31m'" in text
    as_text = as_json(rows, NOW, LIMITS, [])
    assert "\x1b" not in as_text and "\u2028" not in as_text and "\x9b" not in as_text
    assert {row["host"] for row in json.loads(as_text)["hosts"]} == {evil, "web2"}


def test_key_names() -> None:
    assert host_of("a/b/web1.bulwark-status.json") == "web1"
    assert host_of("web1.bulwark-hardening.json") == "web1"
    assert kind_of("x.bulwark-hardening.json") == "hardening"
    assert kind_of("x.json") is None


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(minutes=5), "5m ago"), (timedelta(hours=47), "47h ago"),
     (timedelta(days=3), "3d ago"), (timedelta(minutes=-5), "in the future")],
)
def test_age(delta: timedelta, text: str) -> None:
    assert age(NOW, NOW - delta) == text
    assert age(NOW, None) == "never"
