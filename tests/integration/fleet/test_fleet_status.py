"""A real `backup run` and `backup drill` upload the status object; `bulwark fleet status` reads
it, with planted objects of other hosts, against moto's S3 server."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bulwark.backup import s3
from bulwark.fleet.assess import Limits, assess_fleet
from bulwark.fleet.collect import collect
from bulwark.fleet.config import Store
from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import Site, assert_one_line_error, make_site

from .conftest import fleet_status, plant, status_document, write_fleet_config

pytestmark = pytest.mark.integration

STATUS_KEY = "fleet/bulwark-test-host.bulwark-status.json"  # the key names the host


@pytest.fixture(scope="module")
def host(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One host: local primary + offsite at <bucket>/fleet/host1; init, run, drill."""
    site = make_site(tmp_path_factory.mktemp("fleet-host"))
    site.add_s3_offsite(s3_server, s3_server.url(f"fleet-{uuid.uuid4().hex[:10]}", "fleet/host1"))
    site.write_config()
    for command in ("init", "run", "drill"):
        done = site.bulwark(command)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    return site


def bucket_of(site: Site) -> str:
    return s3.parse_url(site.repositories["offsite"]["url"]).bucket


def test_run_and_drill_upload_the_status_object(host: Site, s3_server: S3Server) -> None:
    obj = s3_server.client().get_object(Bucket=bucket_of(host), Key=STATUS_KEY)
    assert obj["ContentType"] == "application/json"
    body = obj["Body"].read()
    document = json.loads(body)
    assert document["host"] == host.host and document["repository"] == "offsite"
    assert document["run"]["command"] == "drill" and document["run"]["result"] == "ok"
    assert document["last_backup_run"]["result"] == "ok"
    runs = host.runs()
    run = next(r for r in runs if r["command"] == "run")
    good = datetime.fromisoformat(document["last_good_backup"])
    assert abs(good.timestamp() - run["finished_at"]) < 1
    snapshot = run["steps"][0]["snapshot_id"]
    assert document["repositories"]["primary"]["newest_snapshot"]["id"] == snapshot
    assert document["repositories"]["offsite"]["newest_snapshot"]["id"]
    drill = document["last_drill"]
    assert drill["passed"] is True and drill["last_passed"]
    assert drill["repositories"]["offsite"]["rto"]["files"] > 0
    # No secret: not the repository password, not the S3 keys.
    for secret in (host.password.read_text().strip(), s3_server.secret_key,
                   s3_server.access_key):
        assert secret.encode() not in body


def test_fleet_status_with_the_backup_config_sees_the_host_fresh(host: Site) -> None:
    done = fleet_status(host.config)
    assert done.returncode == 0, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0].split()[0] == "HOST"
    row = lines[1].split()
    assert row[0] == host.host and row[-1] == "-" and "ok" in row
    assert lines[-1] == "1 host, 0 flagged"
    as_json = json.loads(fleet_status(host.config, "--json").stdout)
    assert as_json["summary"] == {"hosts": 1, "flagged": 0}
    assert as_json["hosts"][0]["last_good_backup_age_hours"] < 1
    # The command line overrides the limits: a 1-second limit makes the same host stale.
    strict = fleet_status(host.config, "--json", "--max-backup-age-hours", "0.0003")
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["hosts"][0]["flags"] == ["backup-stale"]


def test_stale_missing_and_unreadable_hosts_are_flagged(
    host: Site, s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = bucket_of(host)
    plant(s3_server, bucket, "others/web9.bulwark-status.json",
          status_document("web9", backup_age=timedelta(days=3), result="failed"))
    plant(s3_server, bucket, "others/db2.bulwark-status.json",
          status_document("db2", drill_age=timedelta(days=100)))
    plant(s3_server, bucket, "others/mail1.bulwark-status.json", status_document("mail1"))
    plant(s3_server, bucket, "others/broken.bulwark-status.json", b"{not json")
    plant(s3_server, bucket, "others/notes.txt", b"not a status object: not listed")
    plant(s3_server, bucket, "others/deeper/x.bulwark-status.json", b"below the prefix")
    config = write_fleet_config(
        tmp_path / "fleet.yml", s3_server, Path(host.repositories["offsite"]["env_file"]),
        [f"{bucket}/fleet", f"{bucket}/others"],
        expected_hosts=[host.host, "web9", "gone1"],
    )
    done = fleet_status(config, "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    flags = {row["host"]: row["flags"] for row in document["hosts"]}
    assert flags == {
        host.host: [],
        "mail1": [],
        "web9": ["backup-stale", "backup-failing"],
        "db2": ["drill-stale"],
        "broken": ["unreadable"],
        "gone1": ["missing"],
    }
    assert document["summary"] == {"hosts": 6, "flagged": 4}
    text = fleet_status(config)
    assert text.returncode == 1
    assert "unreadable (backup object: not JSON)" in text.stdout
    assert text.stdout.splitlines()[-1] == "6 hosts, 4 flagged"


def test_store_problems_are_one_line(host: Site, s3_server: S3Server, tmp_path: Path) -> None:
    env_file = Path(host.repositories["offsite"]["env_file"])
    missing = write_fleet_config(tmp_path / "missing.yml", s3_server, env_file,
                                 ["no-such-bucket-here/fleet"])
    assert_one_line_error(fleet_status(missing), 2, "bucket no-such-bucket-here does not exist")
    dead = tmp_path / "dead.yml"
    dead.write_text(f"stores: [{{url: 's3:http://127.0.0.1:1/b', env_file: '{env_file}'}}]\n")
    assert_one_line_error(fleet_status(dead), 3, "cannot connect to http://127.0.0.1:1")
    bad = tmp_path / "bad.yml"
    bad.write_text("stores:\n  - url: s3:http://127.0.0.1:1/b\n    env: /x\n")
    assert_one_line_error(fleet_status(bad), 2, f"{bad}:3:", "allowed: env_file, url")


def test_half_the_credentials_is_one_line(tmp_path: Path) -> None:
    env_file = tmp_path / "half.env"
    env_file.write_text("AWS_ACCESS_KEY_ID=only-the-id\n")
    config = tmp_path / "fleet.yml"
    config.write_text(f"stores: [{{url: 's3:http://127.0.0.1:1/b', env_file: '{env_file}'}}]\n")
    assert_one_line_error(fleet_status(config), 2, "S3 credentials for http://127.0.0.1:1",
                          "AWS_SECRET_ACCESS_KEY is empty or not set")


def test_three_hundred_hosts_one_listing_parallel_reads(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"fleet-many-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    hosts = [f"host{n:03d}" for n in range(300)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda h: plant(s3_server, bucket, f"fleet/{h}.bulwark-status.json",
                                      status_document(h), client), hosts))
    calls: Counter[str] = Counter()
    threads: set[int] = set()
    real_client = s3.client

    def counting_client(*args: Any, **kwargs: Any) -> Any:
        made = real_client(*args, **kwargs)

        def count(model: Any, **_: Any) -> None:
            calls[model.name] += 1
            threads.add(threading.get_ident())

        made.meta.events.register("before-call.s3", count)
        return made

    monkeypatch.setattr(s3, "client", counting_client)
    store = Store(location=s3.parse_url(s3_server.url(bucket, "fleet")),
                  env_file=None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)

    fetched = collect([store]).fetched
    assert sorted(item.status.host for item in fetched if item.status) == hosts
    assert calls == {"ListObjectsV2": 1, "GetObject": 300}
    assert len(threads) > 1  # read in parallel
    rows = assess_fleet(fetched, now=datetime.now(UTC), limits=Limits())
    assert len(rows) == 300 and not any(row.flagged for row in rows)

    # Paginated: with 128 keys a page the one listing takes three requests and misses nothing.
    calls.clear()
    fetched = collect([store], page_size=128).fetched
    assert len({item.status.host for item in fetched if item.status}) == 300
    assert calls == {"ListObjectsV2": 3, "GetObject": 300}
