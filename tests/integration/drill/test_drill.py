"""The restore drill against real restic, a moto S3 offsite and real files (issue 6)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bulwark.backup.actions.drill import DrillOptions, run_drill
from bulwark.backup.drill.report import latest_report
from bulwark.backup.drill.sampling import SampleLimits
from bulwark.backup.restic.snapshots import snapshots

from .conftest import Lab, corrupt_local_pack, flip_bytes_in_a_pack

pytestmark = pytest.mark.integration


def drill(lab: Lab, **kw: object) -> list[dict]:
    options = DrillOptions(workspace_parent=lab.root / "scratch", **kw)  # type: ignore[arg-type]
    return run_drill(lab.config, lab.restic, options).reports


def by_repo(reports: list[dict]) -> dict[str, dict]:
    return {r["repository"]: r for r in reports}


def test_clean_drill_passes_measures_and_leaves_nothing_behind(lab: Lab) -> None:
    reports = by_repo(drill(lab))
    assert set(reports) == {"primary", "offsite"}
    for name, report in reports.items():
        assert report["ok"], (name, report)
        assert report["mode"] == "sample" and isinstance(report["seed"], int)
        assert report["restore"]["files"] == report["snapshot"]["files_in_snapshot"] == 48
        # F12: the report records the drilled snapshot's tags (read by `bulwark report`).
        assert "class:internal" in report["snapshot"]["tags"], report["snapshot"]
        assert report["restore"]["bytes"] > 9 * 1024 * 1024
        assert report["restore"]["mb_per_s"] > 0
        assert report["check"] == {**report["check"], "ok": True, "subset": "1/13"}
    assert reports["primary"]["offsite"][0]["ok"]
    assert reports["primary"]["offsite"][0]["matched_by_original"] == 1
    # G16: the restored copies are gone, and the scratch parent was private.
    assert list((lab.root / "scratch").iterdir()) == []
    # History and metrics.
    newest = latest_report(lab.state_dir)
    assert newest is not None and json.loads(newest.read_text())["kind"] == "bulwark.restore-drill"
    assert len(list((lab.state_dir / "drills").glob("*.json"))) == 2
    metrics = lab.config.metrics_path.read_text()
    assert 'bulwark_backup_last_success_timestamp_seconds{repository="primary",step="drill"}' \
        in metrics


def test_sample_is_bounded_and_reproducible_from_its_seed(lab: Lab) -> None:
    limits = SampleLimits(max_files=6, max_bytes=20 * 1024 * 1024)
    first = by_repo(drill(lab, repository="primary", limits=limits))["primary"]
    again = by_repo(drill(lab, repository="primary", limits=limits, seed=first["seed"]))
    assert first["ok"] and first["restore"]["files"] == 6
    assert first["snapshot"]["files_in_snapshot"] == 48
    # The 9 MiB file is the only "large" one: stratification always takes it.
    assert first["restore"]["bytes"] > 9 * 1024 * 1024
    assert again["primary"]["restore"] == {**again["primary"]["restore"],
                                           "files": 6, "bytes": first["restore"]["bytes"]}


def test_check_slice_rotates_between_drills(lab: Lab) -> None:
    first = by_repo(drill(lab, repository="primary", check_slices=4))
    second = by_repo(drill(lab, repository="primary", check_slices=4))
    assert first["primary"]["check"]["subset"] == "1/4"
    assert second["primary"]["check"]["subset"] == "2/4"


def test_full_drill_reads_all_data(lab: Lab) -> None:
    report = by_repo(drill(lab, full=True, repository="primary"))["primary"]
    assert report["ok"], report
    assert report["mode"] == "full" and report["seed"] is None
    assert report["check"]["mode"] == "full" and report["check"]["subset"] is None


def test_corrupted_pack_in_primary_fails_the_drill(lab: Lab) -> None:
    pack = corrupt_local_pack(lab.primary_repo)
    reports = by_repo(drill(lab, full=True))
    primary = reports["primary"]
    assert not primary["ok"]
    assert not primary["check"]["ok"]
    assert f"Pack ID does not match, want {pack}" in primary["check"]["message"]
    # The restore itself hit the damaged blob: reported, and the file named as a failure.
    assert primary["errors"] and "restic restore on primary exited 1" in primary["errors"][0]
    damaged = primary["errors"][0].split("ignoring error for ", 1)[1].split(": ", 1)[0]
    assert damaged in {f["path"] for f in primary["failures"]}
    assert reports["offsite"]["ok"], reports["offsite"]  # the copy was made before the damage
    assert list((lab.root / "scratch").iterdir()) == []


def test_corrupted_pack_in_offsite_fails_the_drill(lab: Lab, s3_server) -> None:
    url = lab.config.repositories["offsite"].url
    bucket, prefix = url.split("/", 3)[3].split("/", 1)
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/data/")
            .get("Contents", [])]
    assert keys, "offsite has no packs"
    key, damaged = flip_bytes_in_a_pack(
        [(k, client.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
    )
    client.put_object(Bucket=bucket, Key=key, Body=damaged)

    reports = by_repo(drill(lab, check_slices=1))  # slice 1/1: the whole repository
    assert reports["primary"]["ok"], reports["primary"]
    offsite = reports["offsite"]
    assert not offsite["ok"]
    assert not offsite["check"]["ok"]
    assert f"Pack ID does not match, want {key.rsplit('/', 1)[1]}" in offsite["check"]["message"]


def test_silent_change_in_the_source_fails_and_names_the_file(lab: Lab) -> None:
    victim = lab.sources[0] / "orders" / "2026-03.csv"
    before = victim.stat()
    data = bytearray(victim.read_bytes())
    data[1000] ^= 0x01  # same size, one bit flipped, mtime put back: silent corruption
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))

    primary = by_repo(drill(lab, repository="primary"))["primary"]
    assert not primary["ok"]
    assert [f["path"] for f in primary["failures"]] == [str(victim)]
    assert primary["failures"][0]["reason"] == "content differs but the live mtime says unchanged"


def test_change_since_backup_is_reported_not_failed(lab: Lab) -> None:
    edited = lab.sources[1] / "shop.conf"
    edited.write_text("listen = 0.0.0.0\n")  # a normal edit: mtime after the snapshot
    removed = lab.sources[0] / "img" / "p3.jpg"
    removed.unlink()

    primary = by_repo(drill(lab, repository="primary"))["primary"]
    assert primary["ok"], primary
    changed = {c["path"]: c["reason"] for c in primary["changed_since_backup"]}
    assert changed == {
        str(edited): "changed since backup",
        str(removed): "removed from the live source since backup",
    }


def test_snapshot_missing_offsite_fails_and_is_named(lab: Lab) -> None:
    full_config = lab.config_path.read_text()
    primary_only = lab.config.repositories["primary"].model_dump(mode="json", exclude_none=True)
    lab.rewrite(repositories={"primary": primary_only})
    (lab.sources[0] / "new.txt").write_text("backed up after the last copy\n")
    lab.backup()  # primary only: the offsite never gets this snapshot
    lab.config_path.write_text(full_config)
    config = lab.config
    newest = max(snapshots(lab.restic, config.target("primary"), host=config.host),
                 key=lambda s: s.time)

    primary = by_repo(drill(lab, repository="primary"))["primary"]
    verification = primary["offsite"][0]
    assert not primary["ok"]
    assert verification["expected"] == 1  # daily retention: one per day
    assert verification["missing"] == [newest.id]


def test_unknown_repository_is_one_clear_error(lab: Lab) -> None:
    from bulwark.errors import BulwarkError

    with pytest.raises(BulwarkError, match="repository 'nope' is not in the config"):
        drill(lab, repository="nope")


def test_drill_without_any_snapshot_fails_clearly(lab_factory: Callable[..., Lab]) -> None:
    fresh = lab_factory(offsite=False)
    primary = by_repo(drill(fresh))["primary"]
    assert not primary["ok"]
    assert "no snapshot" in primary["errors"][0]


def test_restored_data_is_removed_when_interrupted(lab: Lab, monkeypatch) -> None:
    from bulwark.backup.actions import drill as drill_action

    seen: list[Path] = []
    real = drill_action._restore

    def restore_then_interrupt(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        problems = real(*args, **kwargs)
        root = args[3]
        seen.append(root)
        assert any(p.is_file() for p in root.rglob("*")), "nothing was restored"
        assert problems == []
        raise KeyboardInterrupt  # Ctrl-C with the whole restore on disk

    monkeypatch.setattr(drill_action, "_restore", restore_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        drill(lab, repository="primary")
    monkeypatch.setattr(drill_action, "_restore", real)
    assert seen and not seen[0].exists()
    assert list((lab.root / "scratch").iterdir()) == []
