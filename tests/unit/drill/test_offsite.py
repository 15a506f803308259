from datetime import UTC, datetime, timedelta

from bulwark.backup.drill.offsite import kept_by_retention, verify_offsite
from bulwark.backup.restic.snapshots import Snapshot

BASE = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def snap(i: int, days_ago: int, tree: str | None = None, original: str | None = None) -> Snapshot:
    return Snapshot(
        id=f"{i:064x}",
        time=BASE - timedelta(days=days_ago),
        tree=tree or f"tree{i}",
        paths=("/srv",),
        original=original,
        hostname="h1",
    )


def test_original_and_tree_matches_count_and_missing_are_named() -> None:
    primary = [snap(1, 2), snap(2, 1), snap(3, 0)]
    offsite = [
        snap(11, 2, tree="other", original=primary[0].id),
        snap(12, 1, tree="tree2"),
    ]
    result = verify_offsite("offsite", primary, offsite, None)
    assert result.matched_by_original == 1
    assert result.matched_by_tree == 1
    assert result.missing == [primary[2].id]
    assert not result.ok


def test_offsite_retention_limits_what_must_be_copied() -> None:
    primary = [snap(i, days_ago=i) for i in range(10)]
    kept = kept_by_retention(primary, {"daily": 3})
    assert [s.id for s in kept] == [primary[2].id, primary[1].id, primary[0].id]
    offsite = [snap(100 + i, i, original=primary[i].id) for i in range(3)]
    assert verify_offsite("o", primary, offsite, {"daily": 3}).ok
    assert not verify_offsite("o", primary, offsite, {"daily": 4}).ok


def test_monthly_bucket_keeps_the_newest_of_each_month() -> None:
    primary = [snap(i, days_ago=i * 10) for i in range(10)]  # ~3 months back
    kept = kept_by_retention(primary, {"monthly": 2})
    months = {(s.time.year, s.time.month) for s in kept}
    assert len(kept) == 2 and len(months) == 2
    assert primary[0] in kept


def test_unknown_retention_key_requires_everything() -> None:
    primary = [snap(i, i) for i in range(5)]
    assert kept_by_retention(primary, {"secondly": 3, "daily": 1}) == sorted(
        primary, key=lambda s: s.time
    )


def test_keep_within_counts_back_from_the_latest_snapshot() -> None:
    primary = [snap(i, days_ago=i) for i in range(10)]
    kept = kept_by_retention(primary, {"within": "3d", "monthly": None})
    assert {s.id for s in kept} == {primary[i].id for i in range(4)}
    kept = kept_by_retention(primary, {"within": "2d", "last": 5})
    assert len(kept) == 5
