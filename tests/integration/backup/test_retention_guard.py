"""No configuration makes a run forget the snapshot it just made (issue 14, item 1).

1. What real restic 0.14 does with each "keeps nothing" spelling plus Bulwark's
   `--keep-tag pre-restore`: it forgets every other snapshot of the host. That is why…
2. …`check-config` and `run` refuse each spelling in one line, exit 2, repository untouched.
3. The run-time guard (which no config can switch off) refuses restic's plan when it would
   forget the snapshot of this run (a snapshot dated in the future: a clock once set wrong), or
   every snapshot of the host (validation bypassed, as a future validation bug would).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bulwark.backup.actions.run import StepsFailed, run_backup
from bulwark.backup.config import Retention, load_config
from bulwark.backup.execute import Restic
from tests.fixtures.retention_cases import KEEPS_NOTHING
from tests.integration.backup.conftest import Site, assert_one_line_error, make_site

pytestmark = pytest.mark.integration

# restic arguments for the spellings restic can be given, as Bulwark would pass them.
RESTIC_KEEPS_NOTHING = [
    ["--keep-within", "0d"],
    ["--keep-within", "0h"],
    ["--keep-within", "0y0m0d0h"],
    ["--keep-within", "00d"],
    ["--keep-within", "1d0d"],  # restic keeps the last value of a repeated unit
    ["--keep-within", "2562048h"],  # overflows Go's time.Duration
    ["--keep-last", "0"],
    ["--keep-daily", "0"],
    ["--keep-yearly", "0"],
    ["--keep-last", "-1"],
    ["--keep-daily", "-1"],
]

@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A repository with three snapshots of the host and one pre-restore safety snapshot."""
    site = make_site(tmp_path_factory.mktemp("retention-guard"))
    site.write_config()
    assert site.bulwark("init").returncode == 0
    url = site.repositories["primary"]["url"]
    for when in ("2026-01-01 10:00:00", "2026-06-01 10:00:00", "2026-11-01 10:00:00"):
        site.restic(url, "backup", "--host", site.host, "--tag", "bulwark", "--time", when,
                    str(site.src))
    site.restic(url, "backup", "--host", site.host, "--tag", "pre-restore", "--time",
                "2025-12-01 10:00:00", str(site.src))
    return site


def snapshot_ids(site: Site) -> set[str]:
    return {s["id"] for s in site.snapshots(site.repositories["primary"]["url"])}


@pytest.mark.parametrize("keep", RESTIC_KEEPS_NOTHING, ids=" ".join)
def test_restic_itself_forgets_every_backup_for_these_rules(seeded: Site, keep: list[str]) -> None:
    done = seeded.restic(seeded.repositories["primary"]["url"], "forget", "--dry-run", "--json",
                         "--host", seeded.host, *keep, "--keep-tag", "pre-restore")
    groups = json.loads(done.stdout)
    kept = [s for group in groups for s in group["keep"] or []]
    removed = [s for group in groups for s in group["remove"] or []]
    assert len(removed) >= 3  # every snapshot that is not a pre-restore one
    assert all("pre-restore" in (s.get("tags") or []) for s in kept)


@pytest.mark.parametrize(("rules", "needle"), KEEPS_NOTHING)
def test_check_config_and_run_refuse_it_and_nothing_is_forgotten(
    seeded: Site, rules: str, needle: str
) -> None:
    before = snapshot_ids(seeded)
    config = seeded.write_config()
    text = config.read_text().replace("retention:\n  daily: 7\n  monthly: 12\n  yearly: 5\n",
                                      f"retention: {rules}\n")
    assert f"retention: {rules}" in text
    config.write_text(text)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in pool.map(seeded.bulwark, ("check-config", "run")):
            assert f"{config}:" in assert_one_line_error(done, 2, needle)
    assert snapshot_ids(seeded) == before


def test_offsite_retention_is_checked_too(seeded: Site, tmp_path: Path) -> None:
    seeded.repositories["offsite"] = {"url": str(tmp_path / "offsite"),
                                      "retention": {"within": "0h"}}
    try:
        seeded.write_config()
        assert_one_line_error(seeded.bulwark("run"), 2,
                              "repositories.offsite.retention.within: '0h' keeps nothing")
    finally:
        del seeded.repositories["offsite"]


@pytest.mark.parametrize("retention", [{"last": 1}, {"daily": 1}])
def test_run_never_forgets_its_own_snapshot_when_a_future_one_exists(
    tmp_path: Path, retention: dict[str, object]
) -> None:
    """A snapshot dated in the future (the clock was once wrong) makes restic's plan drop
    today's snapshot: `last` and `daily` keep the newest, which is that one (restic 0.14's
    `within` counts back from now, so it alone would keep today's)."""
    site = make_site(tmp_path)
    url = site.repositories["primary"]["url"]
    site.write_config(retention=retention)
    assert site.bulwark("init").returncode == 0
    site.restic(url, "backup", "--host", site.host, "--time", "2031-01-01 00:00:00",
                str(site.src))
    done = site.bulwark("run")
    line = assert_one_line_error(done, 1, "retention on primary",
                                 f"retention {Retention(**retention).describe()} on primary "
                                 "refused", "made by this run", "nothing was forgotten")
    made = next(s for s in site.runs()[-1]["steps"] if s["step"] == "backup")["snapshot_id"]
    assert made in line
    ids = [s["id"] for s in site.snapshots(url)]
    assert len(ids) == 2 and any(i.startswith(made) for i in ids)
    assert site.runs()[-1]["result"] == "failed"
    assert site.runs()[-1]["failed_step"] == "retention:primary"


@pytest.mark.parametrize("bypassed", [{"last": -1}, {"within": "0d"}, {"within": "1d0d"}])
def test_guard_holds_when_validation_is_bypassed(
    tmp_path: Path, bypassed: dict[str, object]
) -> None:
    """The guard is not configuration: with validation skipped, restic's plan would forget
    every snapshot (the new one too); the run refuses and the repository keeps them all."""
    site = make_site(tmp_path)
    url = site.repositories["primary"]["url"]
    site.write_config()
    assert site.bulwark("init").returncode == 0
    site.restic(url, "backup", "--host", site.host, "--time", "2026-01-01 00:00:00",
                str(site.src))
    config = load_config(site.config)
    unchecked = config.model_copy(update={"retention": Retention.model_construct(**bypassed)})
    assert unchecked.path == config.path
    with pytest.raises(StepsFailed) as caught:
        run_backup(unchecked, Restic("restic", lock_wait=5))
    message = str(caught.value)
    assert "retention on primary: retention {" in message
    assert "refused: it would forget every snapshot of host bulwark-test-host" in message
    assert len(site.snapshots(url)) == 2
