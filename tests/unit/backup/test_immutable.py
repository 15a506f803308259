"""Pure parts of immutable offsite and recovery: bucket protection verdicts, the objects current
at a point in time, --as-of parsing, and the config key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bulwark.backup.actions.recover import parse_as_of
from bulwark.backup.config import load_config
from bulwark.backup.errors import ConfigError, InputError
from bulwark.backup.immutable import Protection, _protection
from bulwark.backup.s3_versions import ObjectVersion, current_at

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_current_at_picks_the_version_then_and_ignores_later_writes() -> None:
    versions = [
        ObjectVersion("r/config", "c1", at(0), False),
        ObjectVersion("r/data/aa", "p1", at(1), False),
        ObjectVersion("r/data/aa", "garbage", at(10), False),  # overwritten after TIME
        ObjectVersion("r/data/aa", "dm", at(11), True),  # attacker's delete marker
        ObjectVersion("r/data/bb", "p2", at(2), False),
        ObjectVersion("r/data/bb", "pruned", at(3), True),  # restic prune before TIME
        ObjectVersion("r/data/cc", "late", at(9), False),  # written after TIME
    ]
    current = current_at(versions, at(5))
    assert {key: v.version_id for key, v in current.items()} == {"r/config": "c1",
                                                                 "r/data/aa": "p1"}


def test_a_delete_marker_in_the_same_second_wins() -> None:
    versions = [ObjectVersion("k", "dm", at(1), True), ObjectVersion("k", "v", at(1), False)]
    assert current_at(versions, at(2)) == {}


@pytest.mark.parametrize(("protection", "needle"), [
    (Protection("", False, None, None), "has no versioning"),
    (Protection("Suspended", True, "COMPLIANCE", 30), "has no versioning"),
    (Protection("Enabled", False, None, None), "has no Object Lock"),
    (Protection("Enabled", True, None, None), "no default retention"),
    (Protection("Enabled", True, "GOVERNANCE", 30), "GOVERNANCE, not COMPLIANCE"),
    (Protection("Enabled", True, "COMPLIANCE", 29), "29 days, less than immutable_days 30"),
])
def test_shortfall_names_what_is_missing(protection: Protection, needle: str) -> None:
    assert needle in (protection.shortfall("vault", 30) or "")


def test_a_compliance_bucket_long_enough_is_immutable() -> None:
    assert Protection("Enabled", True, "COMPLIANCE", 30).shortfall("vault", 30) is None
    years = _protection("Enabled", {"ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 0, "Years": 1}}}})
    assert years.days == 365 and years.shortfall("vault", 100) is None


def test_parse_as_of() -> None:
    assert parse_as_of("2026-12-01T10:00:00Z") == T0
    assert parse_as_of("2026-12-01 11:00+01:00") == T0
    assert parse_as_of("2026-12-01 10:00") == T0  # no offset: UTC
    for bad, needle in (("last tuesday", "is not a time"), ("2026-13-01", "is not a time"),
                        ("2999-01-01", "in the future")):
        with pytest.raises(InputError, match=needle):
            parse_as_of(bad)


def test_immutable_days_needs_an_s3_repository(tmp_path: Path) -> None:
    config = tmp_path / "backup.yml"
    (tmp_path / "pass").write_text("x\n")
    config.write_text(
        f"sources: [/etc]\npassword_file: {tmp_path}/pass\nrepositories:\n"
        f"  primary:\n    url: /srv/repo\n    immutable_days: 30\n"
    )
    with pytest.raises(ConfigError,
                       match=r"yml:4: repositories.primary: immutable_days needs an s3:"):
        load_config(config)
    config.write_text(config.read_text().replace("url: /srv/repo",
                                                 "url: s3:https://s3.example.com/vault/web1")
                      .replace("30", "0"))
    with pytest.raises(ConfigError, match="immutable_days"):
        load_config(config)


def test_copy_filter_takes_only_levels_the_repository_may_hold() -> None:
    from bulwark.backup.classification import CopyRefused, copy_filter

    assert copy_filter("secret", "primary", "offsite", None) == []
    assert copy_filter("internal", "primary", "offsite", "secret") == [
        "--tag", "class:internal", "--tag", "class:secret"]
    with pytest.raises(CopyRefused, match="copy primary -> offsite refused: the data is "
                                          "classified top-secret, offsite may hold at most "
                                          "confidential"):
        copy_filter("top-secret", "primary", "offsite", "confidential")


def test_status_object_and_fleet_flag_a_bucket_found_not_immutable(tmp_path: Path) -> None:
    from bulwark.backup.records import RunRecord
    from bulwark.backup.status_object import build
    from bulwark.fleet.assess import Limits, assess_fleet
    from bulwark.fleet.collect import Fetched
    from bulwark.fleet.documents import parse

    (tmp_path / "pass").write_text("x\n")
    config_path = tmp_path / "backup.yml"
    config_path.write_text(
        f"sources: [/etc]\npassword_file: {tmp_path}/pass\nstate_dir: {tmp_path}/state\n"
        "host: web1\nrepositories:\n  primary: {url: /srv/repo}\n"
        "  offsite: {url: 's3:https://s3.example.com/vault/web1', immutable_days: 30}\n"
    )
    config = load_config(config_path)
    record = RunRecord.start("run", config)
    record.finish()
    now = datetime.now(UTC)

    def flags(ok: int | None) -> tuple[dict[str, object], list[str]]:
        steps = {} if ok is None else {"immutable": {"ok": ok}}
        state = {"repositories": {"primary": {"last_success": now.timestamp()},
                                  "offsite": {"last_success": now.timestamp(),
                                              "steps": steps}}}
        document = build(config, record, state, now=now)
        parsed = parse("backup", json.dumps(document).encode())
        fetched = Fetched(store="s3", key="fleet/web1.bulwark-status.json", kind="backup",
                          status=parsed.status, error=parsed.error)
        [row] = assess_fleet([fetched], now=now, limits=Limits())
        return document["repositories"]["offsite"]["immutable"], row.flags

    assert flags(0) == ({"days": 30, "enforced": False}, ["drill-stale", "not-immutable"])
    assert flags(1) == ({"days": 30, "enforced": True}, ["drill-stale"])
    assert flags(None) == ({"days": 30, "enforced": None}, ["drill-stale"])
    document = build(config, record, {"repositories": {}}, now=now)
    assert "immutable" not in document["repositories"]["primary"]
