"""The ETag cache (re-read only what changed; an untrustworthy cache is ignored) and the trust
checks (forged, clock-skew, unreadable, hostile text) against moto's S3 server."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bulwark.backup import s3
from bulwark.fleet.cache import open_store_cache
from bulwark.fleet.collect import Collected, collect
from bulwark.fleet.config import Store
from tests.fixtures.s3 import S3Server

from .conftest import (
    fleet_status,
    hardening_document,
    plant,
    status_document,
    write_fleet_config,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, s3_server: S3Server) -> Counter[str]:
    """S3 API calls made by bulwark's own clients."""
    counted: Counter[str] = Counter()
    real_client = s3.client

    def counting_client(*args: Any, **kwargs: Any) -> Any:
        made = real_client(*args, **kwargs)
        made.meta.events.register("before-call.s3",
                                  lambda model, **_: counted.update([model.name]))
        return made

    monkeypatch.setattr(s3, "client", counting_client)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    return counted


@pytest.fixture
def fleet(s3_server: S3Server) -> tuple[Store, str, list[str]]:
    """40 fresh hosts (backup + hardening objects) under <bucket>/fleet."""
    bucket = f"fleet-cache-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    hosts = [f"host{n:02d}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda h: plant(s3_server, bucket, f"fleet/{h}.bulwark-status.json",
                                      status_document(h), client), hosts))
    for host in hosts[:10]:
        plant(s3_server, bucket, f"fleet/{host}.bulwark-hardening.json",
              hardening_document(host), client)
    return Store(location=s3.parse_url(s3_server.url(bucket, "fleet"))), bucket, hosts


def summaries(collected: Collected) -> dict[str, Any]:
    return {item.key: item.status.model_dump() if item.status else item.error
            for item in collected.fetched}


def test_a_repeated_run_reads_only_changed_objects(
    fleet: tuple[Store, str, list[str]], calls: Counter[str], s3_server: S3Server,
    tmp_path: Path,
) -> None:
    store, bucket, hosts = fleet
    cache_dir = tmp_path / "cache"
    first = collect([store], cache_dir=cache_dir)
    assert (first.listed, first.read) == (50, 50) and calls["GetObject"] == 50
    cache_file = open_store_cache(cache_dir, store.display).path
    assert cache_file.stat().st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700  # parsed status: the operator's only

    written = cache_file.stat().st_mtime_ns
    calls.clear()
    again = collect([store], cache_dir=cache_dir)
    assert calls == {"ListObjectsV2": 1} and again.read == 0
    assert summaries(again) == summaries(first)
    assert cache_file.stat().st_mtime_ns == written  # nothing changed: nothing rewritten

    # One host reports a failed run, another object goes away: one GET, and the view follows.
    plant(s3_server, bucket, "fleet/host05.bulwark-status.json",
          status_document("host05", result="failed"))
    s3_server.client().delete_object(Bucket=bucket, Key="fleet/host07.bulwark-status.json")
    calls.clear()
    changed = collect([store], cache_dir=cache_dir)
    assert calls == {"ListObjectsV2": 1, "GetObject": 1} and changed.listed == 49
    host05 = next(item for item in changed.fetched
                  if item.key == "fleet/host05.bulwark-status.json")
    assert host05.status.last_backup_run.result == "failed"
    entries = json.loads(cache_file.read_text())["entries"]
    assert "fleet/host07.bulwark-status.json" not in entries and len(entries) == 49


def test_a_corrupt_or_foreign_cache_is_ignored_never_trusted(
    fleet: tuple[Store, str, list[str]], calls: Counter[str], tmp_path: Path,
) -> None:
    store, _, _ = fleet
    collect([store], cache_dir=tmp_path)
    cache_file = open_store_cache(tmp_path, store.display).path
    good = cache_file.read_text()

    def rerun() -> Collected:
        calls.clear()
        return collect([store], cache_dir=tmp_path)

    cache_file.write_text(good[: len(good) // 2])  # truncated
    corrupt = rerun()
    assert corrupt.read == 50 and corrupt.warnings == [
        f"cache of {store.display} ignored: not JSON"]

    foreign = json.loads(good)
    foreign["store"] = "s3:http://elsewhere/bucket/fleet"
    cache_file.write_text(json.dumps(foreign))
    assert rerun().read == 50

    cache_file.write_text(good)
    cache_file.chmod(0o666)
    writable = rerun()
    assert writable.read == 50 and "writable by group or others" in writable.warnings[0]

    cache_file.chmod(0o600)
    if os.geteuid() == 0:  # only root can hand the file to another user
        os.chown(cache_file, 65534, 65534)
        foreign_owner = rerun()
        assert foreign_owner.read == 50 and "owned by another user" in foreign_owner.warnings[0]
        os.chown(cache_file, 0, 0)
    link = cache_file.with_name("elsewhere.json")
    link.write_text(good)
    cache_file.unlink()
    cache_file.symlink_to(link)
    symlinked = rerun()
    assert symlinked.read == 50 and "cannot open" in symlinked.warnings[0]  # O_NOFOLLOW
    cache_file.unlink()

    # Entries are checked one by one: a tampered entry of the wrong shape is read again.
    tampered = json.loads(good)
    entry = tampered["entries"]["fleet/host03.bulwark-status.json"]
    entry["status"]["last_good_backup"] = "whenever"
    tampered["entries"]["fleet/host04.bulwark-status.json"]["status"] = ["x"]
    tampered["entries"]["fleet/host06.bulwark-status.json"] = {"etag": "x", "status": {}}
    tampered["entries"]["fleet/host08.bulwark-status.json"]["error"] = 7
    del tampered["entries"]["fleet/host08.bulwark-status.json"]["status"]
    cache_file.write_text(json.dumps(tampered))
    cache_file.chmod(0o600)
    again = rerun()
    assert again.read == 4 and calls["GetObject"] == 4 and not again.warnings
    assert all(item.status for item in again.fetched)


def test_a_cached_entry_still_goes_through_the_trust_checks(
    fleet: tuple[Store, str, list[str]], s3_server: S3Server, tmp_path: Path,
) -> None:
    store, bucket, _ = fleet
    env_file = tmp_path / "s3.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in s3_server.env.items()))
    plant(s3_server, bucket, "fleet/host09.bulwark-status.json", status_document("host01"))
    config = write_fleet_config(tmp_path / "fleet.yml", s3_server, env_file, [f"{bucket}/fleet"])
    cache = tmp_path / "cache"
    runs = [fleet_status(config, "--json", "--cache-dir", str(cache)) for _ in range(2)]
    for done in runs:
        assert done.returncode == 1, done.stderr
        rows = {row["host"]: row for row in json.loads(done.stdout)["hosts"]}
        assert rows["host09"]["flags"] == ["forged"]
        assert rows["host01"]["flags"] == []
    assert json.loads(runs[0].stdout)["hosts"] == json.loads(runs[1].stdout)["hosts"]
    assert any(cache.iterdir())


def test_forged_skewed_unreadable_and_hostile_objects_through_the_cli(
    s3_server: S3Server, tmp_path: Path,
) -> None:
    bucket = f"fleet-trust-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    key = "fleet/{}.bulwark-status.json".format
    plant(s3_server, bucket, key("web1"), status_document("web1", backup_age=timedelta(days=4)))
    plant(s3_server, bucket, key("web2"), status_document("web1"))  # speaks for web1: forged
    plant(s3_server, bucket, key("web3"), status_document("web3", written=timedelta(days=-2)))
    plant(s3_server, bucket, key("deep"), b"[" * 50_000 + b"]" * 50_000)
    plant(s3_server, bucket, key("huge"), b" " * 300_000)
    plant(s3_server, bucket, key("shape"), {**status_document("shape"), "last_drill": 3})
    evil = "evil\x1b]0;pwned\x07\x1b[2J\r\u2028web9 ok"  # S3 keys cannot hold a newline
    plant(s3_server, bucket, key(evil), status_document(evil))
    plant(s3_server, bucket, "fleet/web1.bulwark-hardening.json",
          hardening_document("web1", result="failed", compliance=(30, 3)))
    env_file = tmp_path / "s3.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in s3_server.env.items()))
    config = write_fleet_config(tmp_path / "fleet.yml", s3_server, env_file, [f"{bucket}/fleet"])

    done = fleet_status(config, "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    rows = {row["host"]: row for row in json.loads(done.stdout)["hosts"]}
    assert rows["web1"]["flags"] == ["backup-stale", "hardening-failing", "compliance-failing"]
    assert rows["web1"]["hardening"]["failed_tasks"] == ["ssh : Validate sshd_config"]
    assert rows["web2"]["flags"] == ["forged"] and rows["web2"]["last_good_backup"] is None
    assert rows["web3"]["flags"] == ["clock-skew"]
    assert "nested deeper than 12 levels" in rows["deep"]["error"]
    assert "larger than 262144 bytes" in rows["huge"]["error"]
    assert rows["shape"]["flags"] == ["unreadable"] and "last_drill" in rows["shape"]["error"]

    text = fleet_status(config)
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert len(lines) == 1 + 7 + 1  # header, seven hosts, summary: no forged row
    assert all(line.isprintable() for line in lines)
    assert "\x1b" not in text.stdout + text.stderr
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\u2028web9 ok" in text.stdout
    assert lines[-1] == "7 hosts, 6 flagged"  # the hostile one is fresh


def test_an_unwritable_cache_is_a_warning_not_a_failure(
    fleet: tuple[Store, str, list[str]], s3_server: S3Server, tmp_path: Path,
) -> None:
    if os.geteuid() == 0:
        blocked = tmp_path / "file-not-dir"
        blocked.write_text("")
        cache_dir = blocked / "cache"  # cannot be created, even by root
    else:
        cache_dir = tmp_path / "ro"
        cache_dir.mkdir(mode=0o500)
    store, bucket, _ = fleet
    env_file = tmp_path / "s3.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in s3_server.env.items()))
    config = write_fleet_config(tmp_path / "fleet.yml", s3_server, env_file, [f"{bucket}/fleet"])
    done = fleet_status(config, "--cache-dir", str(cache_dir))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("bulwark: warning: cache ") and "not written" in done.stderr
    assert done.stdout.splitlines()[-1] == "40 hosts, 0 flagged"


def test_the_listing_leaves_s3_timestamps_unparsed(
    fleet: tuple[Store, str, list[str]], monkeypatch: pytest.MonkeyPatch, s3_server: S3Server,
    tmp_path: Path,
) -> None:
    """botocore's dateutil parse of every LastModified was 3/4 of a large listing's client CPU;
    the view uses none of them, so the clients `collect` makes keep them as text."""
    store, bucket, _ = fleet
    made: list[Any] = []
    real_client = s3.client

    def recording_client(*args: Any, **kwargs: Any) -> Any:
        made.append(real_client(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(s3, "client", recording_client)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    collected = collect([store], cache_dir=tmp_path)
    assert collected.listed == 50 and all(item.status for item in collected.fetched)
    page = made[0].list_objects_v2(Bucket=bucket, Prefix="fleet/", MaxKeys=3)
    assert [type(item["LastModified"]) for item in page["Contents"]] == [str] * 3
    default = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="fleet/", MaxKeys=1)
    assert not isinstance(default["Contents"][0]["LastModified"], str)  # what it would cost
