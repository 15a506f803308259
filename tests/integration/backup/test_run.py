"""init → run → status against a local primary and an S3 offsite (moto server), real restic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import MARKER, Site, make_site

pytestmark = pytest.mark.integration


def s3_objects(server: S3Server, url: str) -> dict[str, bytes]:
    bucket, _, prefix = url.split("/", 3)[3].partition("/")
    client = server.client()
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def contains_marker(blobs: dict[str, bytes]) -> list[str]:
    needle = MARKER.encode()
    return [name for name, data in blobs.items() if needle in data]


def local_objects(root: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def two_runs(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """init twice, then two runs a day apart in content, primary local + offsite on S3."""
    site = make_site(tmp_path_factory.mktemp("two-runs"))
    site.add_s3_offsite(s3_server, s3_server.url("bulwark-two-runs", "host1"),
                        retention={"daily": 7, "monthly": 24, "yearly": 10})
    # restic runs through a wrapper that logs its argv, so the test can see every invocation.
    wrapper = site.root / "restic-argv"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {site.root}/argv.log\n'
                       'exec restic "$@"\n')
    wrapper.chmod(0o755)
    site.write_config(restic_binary=str(wrapper))
    first = site.bulwark("init")
    assert first.returncode == 0, first.stderr
    assert "created (bucket created)" in first.stdout
    again = site.bulwark("init")
    assert again.returncode == 0 and again.stdout.count("already exists") == 2
    for day in range(2):
        (site.src / f"day{day}.txt").write_text(f"change {day}\n")
        (site.root / "argv.log").unlink()
        done = site.bulwark("run")
        assert done.returncode == 0, done.stderr
    return site


def test_one_restic_call_per_step_and_no_secret_in_argv(
    two_runs: Site, s3_server: S3Server
) -> None:
    calls = (two_runs.root / "argv.log").read_text().splitlines()
    commands = [next(word for word in call.split() if not word.startswith("-")) for call in calls]
    # restic version is only asked when it matters (lock retry), so a run costs exactly these.
    # Retention is two calls when it removes something: restic's plan (--dry-run), checked by
    # the guard, then the planned ids (daily: 7 drops the first of today's two snapshots).
    assert commands == ["backup", "forget", "forget", "copy", "forget", "forget"], calls
    assert "--dry-run" in calls[1] and "--prune" in calls[2] and "--dry-run" not in calls[2]
    text = "\n".join(calls)
    for secret in (two_runs.password.read_text().strip(), s3_server.secret_key,
                   s3_server.access_key, two_runs.repositories["offsite"]["url"]):
        assert secret not in text


def offsite_env(site: Site) -> dict[str, str]:
    path = Path(site.repositories["offsite"]["env_file"])
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_backup_is_encrypted_everywhere(two_runs: Site, s3_server: S3Server) -> None:
    site = two_runs
    # The scan can see the marker where it is stored in plaintext (the source itself) …
    assert contains_marker(local_objects(site.src))
    # … and finds it in no object of either repository (G3/G4: encrypted at rest).
    primary = local_objects(Path(site.repositories["primary"]["url"]))
    offsite = s3_objects(s3_server, site.repositories["offsite"]["url"])
    assert len(primary) > 5 and len(offsite) > 5
    assert contains_marker(primary) == []
    assert contains_marker(offsite) == []
    # Secrets stay out of every record Bulwark writes.
    secret = s3_server.secret_key.encode()
    assert contains_marker(local_objects(site.state)) == []
    assert not [name for name, data in local_objects(site.state).items() if secret in data]


def test_offsite_copy_is_complete_and_shares_chunker(two_runs: Site, tmp_path: Path) -> None:
    site = two_runs
    primary_url = site.repositories["primary"]["url"]
    offsite_url = site.repositories["offsite"]["url"]
    env = offsite_env(site)
    primary = site.snapshots(primary_url)
    offsite = site.snapshots(offsite_url, env)
    assert len(primary) == 1  # two runs on one day: daily retention keeps the newest
    # restic copy keeps time, paths and (with shared chunker params) the tree id.
    assert {(s["time"], s["tree"]) for s in primary} == {(s["time"], s["tree"]) for s in offsite}
    config_a = json.loads(site.restic(primary_url, "cat", "config").stdout)
    config_b = json.loads(site.restic(offsite_url, "cat", "config", env=env).stdout)
    assert config_a["chunker_polynomial"] == config_b["chunker_polynomial"]
    # The newest offsite snapshot restores to the source, byte for byte, minus the exclude.
    target = tmp_path / "restored"
    site.restic(offsite_url, "restore", "latest", "--target", str(target), env=env)
    restored = target / site.src.relative_to("/")
    assert (restored / "customers.csv").read_text() == (site.src / "customers.csv").read_text()
    assert (restored / "day1.txt").read_text() == "change 1\n"
    assert not (restored / "sub" / "scratch.tmp").exists()
    assert site.restic(offsite_url, "check", "--read-data", env=env).returncode == 0


def test_status_and_records(two_runs: Site) -> None:
    site = two_runs
    done = site.bulwark("status", "--json")
    assert done.returncode == 0, done.stderr
    statuses = {entry["repository"]: entry for entry in json.loads(done.stdout)}
    assert set(statuses) == {"primary", "offsite"}
    for entry in statuses.values():
        assert entry["snapshots"] == 1 and entry["error"] is None
        assert entry["newest_snapshot"] and entry["last_success"]
        assert entry["size_bytes"] > 1000
        assert entry["last_failure"] is None
    text = site.bulwark("status")
    assert "primary (primary)" in text.stdout and "last failure: none" in text.stdout
    runs = site.runs()
    assert [run["command"] for run in runs] == ["init", "init", "run", "run"]
    run = runs[-1]
    assert run["result"] == "ok" and run["who"]["uid"] == os.getuid() and run["who"]["host"]
    assert [(s["step"], s["repository"]) for s in run["steps"]] == [
        ("backup", "primary"), ("retention", "primary"), ("copy", "offsite"),
        ("retention", "offsite")]
    assert run["steps"][0]["snapshot_id"] and run["steps"][0]["bytes_added"] > 0
    assert run["steps"][1]["removed"] == 1  # the first run's snapshot, same day
    assert run["steps"][2]["snapshot_ids"]  # the new snapshot was copied
    metrics = (site.state / "metrics" / "bulwark_backup.prom").read_text()
    assert 'bulwark_backup_last_run_success{repository="offsite",step="copy"} 1.0' in metrics
    assert 'bulwark_backup_snapshots{repository="offsite"} 1.0' in metrics
