"""`run --keep --reason`: kept snapshots survive any retention, in every repository (F19, F35)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.backup.conftest import Site, assert_one_line_error, tree_fingerprint

pytestmark = pytest.mark.integration


def tags_by_id(site: Site, url: str) -> dict[str, set[str]]:
    return {s["id"]: set(s.get("tags") or ()) for s in site.snapshots(url)}


def test_kept_snapshot_survives_retention_in_every_repository(site: Site) -> None:
    site.repositories["copy"] = {"url": str(site.root / "repo-copy")}
    site.write_config(retention={"last": 1})
    assert site.bulwark("init").returncode == 0
    kept = site.bulwark("run", "--keep", "--reason", "pre-patch")
    assert kept.returncode == 0, kept.stderr
    for day in range(3):
        (site.src / f"day{day}.txt").write_text(f"{day}\n")
        done = site.bulwark("run")
        assert done.returncode == 0, done.stderr
    for repo in ("repo-primary", "repo-copy"):
        snapshots = tags_by_id(site, str(site.root / repo))
        # retention keeps the last one, plus the kept one that `last: 1` alone would forget
        assert len(snapshots) == 2, snapshots
        kept_ids = [sid for sid, tags in snapshots.items() if "keep" in tags]
        assert len(kept_ids) == 1
        assert {"keep", "reason:pre-patch", "bulwark", "files"} <= snapshots[kept_ids[0]]
    record = site.runs()[-4]
    assert record["options"]["keep"] == "pre-patch" and record["result"] == "ok"


def test_without_keep_the_same_retention_forgets_it(site: Site) -> None:
    """The control: the same runs without --keep leave one snapshot."""
    site.write_config(retention={"last": 1})
    assert site.bulwark("init").returncode == 0
    for day in range(3):
        (site.src / f"day{day}.txt").write_text(f"{day}\n")
        assert site.bulwark("run").returncode == 0
    assert len(site.snapshots(str(site.root / "repo-primary"))) == 1


@pytest.mark.parametrize(("args", "needle"), [
    (("--keep",), "--keep and --reason go together"),
    (("--reason", "pre-patch"), "--keep and --reason go together"),
    (("--keep", "--reason", "pre patch, now"), "--reason 'pre patch, now'"),
    (("--keep", "--reason", ""), "--reason ''"),
])
def test_bad_keep_input_is_refused_before_anything_runs(
    site: Site, args: tuple[str, ...], needle: str
) -> None:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    repo = Path(site.root / "repo-primary")
    before = tree_fingerprint(repo)
    done = site.bulwark("run", *args)
    assert_one_line_error(done, 2, needle)
    assert tree_fingerprint(repo) == before
