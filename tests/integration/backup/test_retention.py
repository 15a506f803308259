"""Retention follows restic's own semantics over every snapshot of the host and source set.

A history of snapshots at past dates (`restic backup --time`) is seeded, including snapshots
made by hand without Bulwark's tag. The repository is cloned; Bulwark runs on one copy and the
equivalent raw restic commands (backup, then forget --prune with the same keep rules) on the
other. The seeded snapshots each keeps must be the same.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.backup.conftest import Site

pytestmark = pytest.mark.integration

RETENTION = {"daily": 3, "monthly": 3, "yearly": 2}
KEEP = ["--keep-daily", "3", "--keep-monthly", "3", "--keep-yearly", "2"]


def seed_times(now: datetime) -> list[datetime]:
    """Two a day for 5 days, one a month for 5 months, one a year for 4 years: 19 snapshots."""
    days = [now - timedelta(days=d, hours=h) for d in range(1, 6) for h in (2, 9)]
    months = [(now.replace(day=15) - timedelta(days=31 * m)) for m in range(1, 6)]
    years = [now.replace(month=6, day=1) - timedelta(days=366 * y) for y in range(2, 6)]
    return sorted(days + months + years)


def test_retention_matches_restic_and_governs_hand_made_snapshots(
    site: Site, tmp_path: Path
) -> None:
    url_a = site.repositories["primary"]["url"]
    site.write_config(retention=RETENTION)
    assert site.bulwark("init").returncode == 0
    now = datetime.now(UTC).replace(microsecond=0)

    def seed(index: int, when: datetime) -> None:
        tags = ["--tag", "bulwark"] if index % 2 else []  # half of them made "by hand"
        site.restic(url_a, "backup", "--host", site.host, *tags, "--time",
                    when.strftime("%Y-%m-%d %H:%M:%S"), str(site.src))

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(seed, *zip(*enumerate(seed_times(now)), strict=True)))
    # Another host's snapshots in the same repository are never touched.
    site.restic(url_a, "backup", "--host", "other-host", "--time", "2019-01-01 00:00:00",
                str(site.src))
    url_b = str(tmp_path / "repo-clone")
    shutil.copytree(url_a, url_b)
    before = {s["id"]: s for s in site.snapshots(url_a)}
    seeded = set(before)

    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr

    site.restic(url_b, "backup", "--host", site.host, "--tag", "bulwark", "--exclude", "*.tmp",
                str(site.src))
    site.restic(url_b, "forget", "--host", site.host, *KEEP, "--prune")

    kept_a = {s["id"] for s in site.snapshots(url_a)}
    kept_b = {s["id"] for s in site.snapshots(url_b)}
    assert kept_a & seeded == kept_b & seeded
    assert len(kept_a - seeded) == 1  # today's Bulwark snapshot
    # Restic's policy really removed something, hand-made snapshots included …
    removed = seeded - kept_a
    assert len(removed) >= 10
    assert any(not before[i].get("tags") for i in removed)
    assert any(before[i].get("tags") for i in removed)
    # … and kept: 3 daily (today + 2 seeded days), 3 monthly, 2 yearly, overlapping.
    kept = [s for s in site.snapshots(url_a) if s["hostname"] == site.host]
    assert len(kept) == len([s for s in site.snapshots(url_b) if s["hostname"] == site.host])
    assert [s for s in site.snapshots(url_a) if s["hostname"] == "other-host"]
    record = site.runs()[-1]
    retention = next(s for s in record["steps"] if s["step"] == "retention")
    assert retention["removed"] == len(removed)
    assert retention["snapshots"] == len(kept)
