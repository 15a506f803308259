"""Immutable offsite (F10) against moto's S3 server and real restic: init makes the bucket
immutable, a compromised host cannot destroy it, and `recover --as-of` rebuilds it."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import (
    BULWARK,
    Site,
    assert_one_line_error,
    clean_env,
    make_site,
)

pytestmark = pytest.mark.integration

DAYS = 30


def bucket_of(url: str) -> tuple[str, str]:
    bucket, _, prefix = url.split("/", 3)[3].partition("/")
    return bucket, prefix


def versions(server: S3Server, bucket: str) -> list[tuple[str, str, bool]]:
    client = server.client()
    found: list[tuple[str, str, bool]] = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        found += [(v["Key"], v["VersionId"], False) for v in page.get("Versions", [])]
        found += [(m["Key"], m["VersionId"], True) for m in page.get("DeleteMarkers", [])]
    return sorted(found)


def current_keys(server: S3Server, bucket: str, prefix: str = "") -> list[str]:
    client = server.client()
    return [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]


def offsite_env(site: Site) -> dict[str, str]:
    path = Path(site.repositories["offsite"]["env_file"])
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@dataclass
class Attacked:
    site: Site
    url: str
    bucket: str
    prefix: str
    as_of: datetime
    before: set[str]  # snapshot ids on the offsite before the attack
    denied: int  # locked versions the attacker failed to delete
    deleted_versions: int  # locked versions the attacker managed to delete (must be 0)
    init_out: str


@pytest.fixture(scope="module")
def attacked(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Attacked:
    site = make_site(tmp_path_factory.mktemp("immutable"))
    bucket = f"bulwark-vault-{uuid.uuid4().hex[:10]}"
    url = s3_server.url(bucket, "web1")
    site.add_s3_offsite(s3_server, url, immutable_days=DAYS)
    site.write_config(retention={"last": 10, "daily": 7})
    init = site.bulwark("init")
    assert init.returncode == 0, init.stderr
    # Several days of snapshots: two older ones made by hand, then two nightly runs.
    for days_ago in (3, 2):
        stamp = (datetime.now() - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")
        (site.src / f"day-{days_ago}.txt").write_text(f"{days_ago} days ago\n")
        site.restic(str(site.root / "repo-primary"), "backup", "--host", site.host,
                    "--tag", "bulwark", "--tag", "files", "--time", stamp, str(site.src))
    for run in range(2):
        (site.src / f"run-{run}.txt").write_text(f"run {run}\n")
        done = site.bulwark("run")
        assert done.returncode == 0, done.stderr
    env = offsite_env(site)
    before = {s["id"] for s in site.snapshots(url, env=env)}
    assert len(before) == 4
    time.sleep(1.5)  # S3 keeps whole seconds: the attack must start after as_of
    as_of = datetime.now(UTC)
    time.sleep(1.5)

    # The attacker, root on the host, uses the host's own restic password and S3 keys.
    forget = site.restic(url, "forget", "--keep-last", "1", "--prune", env=env)
    assert forget.returncode == 0
    client = s3_server.client()
    packs = [key for key in current_keys(s3_server, bucket, "web1/data/")]
    client.put_object(Bucket=bucket, Key=packs[0], Body=b"encrypted by ransomware " * 100)
    keys = current_keys(s3_server, bucket)
    client.delete_objects(Bucket=bucket,
                          Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    assert current_keys(s3_server, bucket) == []
    denied = deleted = 0
    for key, version_id, marker in versions(s3_server, bucket):
        if marker:
            continue
        try:
            client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
            deleted += 1
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "AccessDenied", exc.response
            denied += 1
    return Attacked(site, url, bucket, "web1", as_of, before, denied, deleted, init.stdout)


def test_init_creates_a_compliance_locked_versioned_bucket(
    attacked: Attacked, s3_server: S3Server
) -> None:
    assert f"immutable: Object Lock COMPLIANCE {DAYS} days" in attacked.init_out
    client = s3_server.client()
    assert client.get_bucket_versioning(Bucket=attacked.bucket)["Status"] == "Enabled"
    rule = client.get_object_lock_configuration(Bucket=attacked.bucket)["ObjectLockConfiguration"]
    retention = rule["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("COMPLIANCE", DAYS)


def test_the_attack_destroyed_the_live_repository(attacked: Attacked) -> None:
    gone = attacked.site.restic(attacked.url, "snapshots", env=offsite_env(attacked.site),
                                check=False)
    assert gone.returncode != 0


def test_locked_versions_cannot_be_deleted_with_the_hosts_keys(attacked: Attacked) -> None:
    assert attacked.deleted_versions == 0
    assert attacked.denied > 10


def test_moto_enforces_the_checksum_that_restic_sends(
    attacked: Attacked, s3_server: S3Server
) -> None:
    """restic's PUTs passed (the runs succeeded); the same PUT without Content-MD5 or a
    checksum header is refused, so the server really checks what restic sends."""
    no_checksum = boto3.client(
        "s3", endpoint_url=s3_server.endpoint, aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key, region_name=s3_server.region,
        config=BotoConfig(request_checksum_calculation="when_required"),
    )
    with pytest.raises(ClientError) as refused:
        no_checksum.put_object(Bucket=attacked.bucket, Key="probe", Body=b"x")
    assert "Content-MD5" in str(refused.value)


def recover(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return site.bulwark("recover", "--repository", "offsite", *args, timeout=300)


def test_recover_to_another_bucket_gives_every_snapshot_before_the_attack(
    attacked: Attacked, s3_server: S3Server
) -> None:
    site = attacked.site
    source_versions = versions(s3_server, attacked.bucket)
    to = s3_server.url(f"bulwark-recovered-{uuid.uuid4().hex[:8]}", "web1")
    done = recover(site, "--as-of", attacked.as_of.isoformat(), "--to", to)
    assert done.returncode == 0, done.stderr
    assert "4 snapshots, restic check ok" in done.stdout
    env = offsite_env(site)
    assert {s["id"] for s in site.snapshots(to, env=env)} == attacked.before
    site.restic(to, "check", "--read-data", env=env)
    assert versions(s3_server, attacked.bucket) == source_versions  # source never modified
    record = site.runs()[-1]
    assert record["command"] == "recover" and record["result"] == "ok"
    assert record["options"]["repository"] == "offsite"
    assert set(record["steps"][0]["snapshot_ids"]) == attacked.before


def test_recover_to_a_local_path_passes_a_full_drill(attacked: Attacked, tmp_path: Path) -> None:
    site = attacked.site
    to = tmp_path / "recovered"
    done = recover(site, "--as-of", attacked.as_of.isoformat(), "--to", str(to), "--read-data")
    assert done.returncode == 0, done.stderr
    assert {s["id"] for s in site.snapshots(str(to))} == attacked.before
    drill_site = Site(root=site.root, host=site.host,
                      repositories={"recovered": {"url": str(to)}})
    config = tmp_path / "drill.yml"
    data: dict[str, Any] = {
        "sources": [str(site.src)], "exclude": ["*.tmp"], "password_file": str(site.password),
        "state_dir": str(tmp_path / "state"), "host": site.host, "status_object": False,
        "repositories": drill_site.repositories,
    }
    config.write_text(json.dumps(data))
    drill = subprocess.run([BULWARK, "backup", "drill", "--config", str(config), "--full"],
                           capture_output=True, text=True, env=clean_env(), timeout=300,
                           check=False)
    assert drill.returncode == 0, drill.stdout + drill.stderr


@pytest.mark.parametrize(("as_of", "needle"), [
    ("yesterday", "is not a time"),
    ("2999-01-01T00:00:00Z", "is in the future"),
    ("2001-01-01", "held no restic repository then"),
])
def test_bad_as_of_is_refused(attacked: Attacked, tmp_path: Path, as_of: str,
                              needle: str) -> None:
    to = tmp_path / "recovered"
    done = recover(attacked.site, "--as-of", as_of, "--to", str(to))
    assert_one_line_error(done, 2, needle)
    assert not to.exists()


def test_a_target_holding_a_repository_is_refused(
    attacked: Attacked, s3_server: S3Server
) -> None:
    site = attacked.site
    primary = site.root / "repo-primary"
    before = sorted(str(p) for p in primary.rglob("*"))
    done = recover(site, "--as-of", attacked.as_of.isoformat(), "--to", str(primary))
    assert_one_line_error(done, 2, "not an empty directory")
    assert sorted(str(p) for p in primary.rglob("*")) == before
    inside = s3_server.url(attacked.bucket, "web1/recovered")
    done = recover(site, "--as-of", attacked.as_of.isoformat(), "--to", inside)
    assert_one_line_error(done, 2, "overlaps the repository being recovered")


def test_a_bucket_without_versioning_is_refused(s3_server: S3Server, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    site.add_s3_offsite(s3_server, s3_server.url(f"bulwark-plain-{uuid.uuid4().hex[:8]}", "h"))
    site.write_config()
    assert site.bulwark("init").returncode == 0
    to = tmp_path / "recovered"
    done = recover(site, "--as-of", datetime.now(UTC).isoformat(), "--to", str(to))
    assert_one_line_error(done, 2, "has no versioning")
    assert not to.exists()


# -- init, run and status with a bucket that is not immutable -------------------------------


@pytest.mark.parametrize("kind", ["plain", "governance", "short"])
def test_init_refuses_a_bucket_that_is_not_immutable(
    s3_server: S3Server, tmp_path: Path, kind: str
) -> None:
    bucket = f"bulwark-weak-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    if kind == "plain":
        client.create_bucket(Bucket=bucket)
    else:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        mode, days = ("GOVERNANCE", DAYS) if kind == "governance" else ("COMPLIANCE", 7)
        client.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}}})
    site = make_site(tmp_path)
    site.add_s3_offsite(s3_server, s3_server.url(bucket, "web1"), immutable_days=DAYS)
    site.write_config()
    done = site.bulwark("init")
    needle = {"plain": "has no versioning", "governance": "is GOVERNANCE, not COMPLIANCE",
              "short": "is 7 days, less than immutable_days 30"}[kind]
    assert_one_line_error(done, 2, "repository offsite", needle)
    assert current_keys(s3_server, bucket) == []
    assert not (site.root / "repo-primary").exists()  # refused before the primary was created


def test_run_status_and_drill_report_a_repository_whose_bucket_is_not_immutable(
    s3_server: S3Server, tmp_path: Path
) -> None:
    site = make_site(tmp_path)
    url = s3_server.url(f"bulwark-later-{uuid.uuid4().hex[:8]}", "web1")
    site.add_s3_offsite(s3_server, url)
    site.write_config()
    assert site.bulwark("init").returncode == 0
    site.repositories["offsite"]["immutable_days"] = DAYS  # declared later, bucket unchanged
    site.write_config()
    done = site.bulwark("run")
    line = assert_one_line_error(done, 1, "immutable on offsite", "has no versioning")
    assert "immutable_days 30" in line
    assert len(site.snapshots(url, env=offsite_env(site))) == 1  # the backup itself was made
    bucket, _ = bucket_of(url)
    status_object = json.loads(s3_server.client().get_object(
        Bucket=bucket, Key=f"{site.host}.bulwark-status.json")["Body"].read())
    assert status_object["repositories"]["offsite"]["immutable"] == {"days": DAYS,
                                                                     "enforced": False}
    status = site.bulwark("status", "--json")
    assert status.returncode == 1
    entry = next(s for s in json.loads(status.stdout) if s["repository"] == "offsite")
    assert "has no versioning" in entry["immutable_problem"]
    text = site.bulwark("status")
    assert "immutable: NOT ENFORCED" in text.stdout
    drill = site.bulwark("drill")
    assert drill.returncode == 1
    assert "restore drill FAILED for offsite" in drill.stderr
    report = json.loads(next((site.state / "drills").glob("*offsite*.json")).read_text())
    assert any("immutable_days 30" in e and "has no versioning" in e for e in report["errors"])
