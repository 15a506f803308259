"""`bulwark fleet put-hardening-status` puts the object `fleet status` reads, into moto's S3."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import BULWARK, assert_one_line_error, clean_env

from .conftest import fleet_status, plant, status_document, write_fleet_config

pytestmark = pytest.mark.integration


def put(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BULWARK, "fleet", "put-hardening-status", "--config", str(config),
                           *args], capture_output=True, text=True, env=clean_env(),
                          timeout=60, check=False)


def backup_config(tmp_path: Path, url: str, env_file: Path, host: str = "web7") -> Path:
    (tmp_path / "pass").write_text("not-used-here\n")
    config = tmp_path / "backup.yml"
    config.write_text(
        f"sources: [{tmp_path}]\npassword_file: {tmp_path / 'pass'}\nhost: {host}\n"
        f"repositories:\n  offsite: {{url: '{url}', env_file: '{env_file}'}}\n")
    return config


def test_put_then_fleet_status_shows_it(s3_server: S3Server, s3_env_file: Path,
                                        tmp_path: Path) -> None:
    bucket = f"fleet-hardening-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=bucket)
    config = backup_config(tmp_path, s3_server.url(bucket, "fleet/web7"), s3_env_file)
    plant(s3_server, bucket, "fleet/web7.bulwark-status.json", status_document("web7"))
    done = put(config, "--result", "failed", "--commit", "4b825dc642cb", "--changed", "3",
               "--failed", "1", "--failed-task", "ssh : Validate sshd_config",
               "--compliance-passed", "38", "--compliance-failed", "2")
    assert done.returncode == 0, done.stderr
    written = f"s3:{s3_server.endpoint}/{bucket}/fleet/web7.bulwark-hardening.json"
    assert done.stdout == f"put {written}\n"
    body = s3_server.client().get_object(Bucket=bucket, Key="fleet/web7.bulwark-hardening.json")
    document = json.loads(body["Body"].read())
    assert document["kind"] == "bulwark.hardening-status" and document["host"] == "web7"
    assert document["compliance"] == {"passed": 38, "failed": 2}
    assert s3_server.secret_key not in json.dumps(document)

    fleet = write_fleet_config(tmp_path / "fleet.yml", s3_server, s3_env_file,
                               [f"{bucket}/fleet"])
    status = fleet_status(fleet, "--json")
    assert status.returncode == 1
    row = json.loads(status.stdout)["hosts"][0]
    assert row["flags"] == ["hardening-failing", "compliance-failing"]
    assert row["hardening"]["failed_tasks"] == ["ssh : Validate sshd_config"]
    assert row["hardening"]["changed"] == 3

    ok = put(config, "--result", "ok", "--commit", "4b825dc642cb", "--compliance-passed", "40",
             "--compliance-failed", "0")
    assert ok.returncode == 0, ok.stderr
    assert fleet_status(fleet).returncode == 0


def test_bad_input_and_unreachable_store_are_one_line(s3_env_file: Path,
                                                      tmp_path: Path) -> None:
    dead = backup_config(tmp_path, "s3:http://127.0.0.1:1/b/fleet/web7", s3_env_file)
    assert_one_line_error(put(dead, "--result", "ok"), 3, "cannot connect to http://127.0.0.1:1")
    assert_one_line_error(put(dead, "--result", "ok", "--commit", "HEAD; rm -rf /"), 2,
                          "--commit 'HEAD; rm -rf /' is not a hex git commit id")
    assert_one_line_error(put(dead, "--result", "ok", "--compliance-passed", "3"), 2,
                          "--compliance-passed and --compliance-failed go together")
    assert put(dead, "--result", "fine").returncode == 2
    local = tmp_path / "local"
    local.mkdir()
    no_s3 = local / "backup.yml"
    no_s3.write_text(f"sources: [{tmp_path}]\npassword_file: {tmp_path / 'pass'}\n"
                     "repositories:\n  primary: {url: /var/backups/x}\n")
    assert_one_line_error(put(no_s3, "--result", "ok"), 2, "without an s3: repository")
