"""The fleet config: a fleet file or a backup file; every mistake is one line with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from bulwark.backup import s3
from bulwark.backup.errors import ConfigError, InputError
from bulwark.fleet.collect import (
    StoreRejected,
    StoreUnreachable,
    collect,
    store_error,
)
from bulwark.fleet.config import Store, load_fleet_config
from bulwark.fleet.documents import validate

FLEET = """\
stores:
  - url: s3:http://127.0.0.1:9000/bulwark-offsite
    env_file: /etc/bulwark/offsite.env
  - url: s3:https://s3.example.com/other/fleet/
max_backup_age_hours: 30
expected_hosts: [web1, db1]
"""

BACKUP = """\
sources: [/srv/shop]
password_file: /etc/bulwark/restic.pass
repositories:
  primary: {url: /var/backups/bulwark}
  offsite:
    url: s3:https://s3.example.com/bucket/fleet/web1
    env_file: /etc/bulwark/offsite.env
  archive:
    url: s3:https://s3.example.com/bucket/fleet/web1-archive
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yml"
    path.write_text(text)
    return path


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_fleet_config(write(tmp_path, text))
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_fleet_config_loads(tmp_path: Path) -> None:
    settings = load_fleet_config(write(tmp_path, FLEET))
    assert [store.display for store in settings.stores] == [
        "s3:http://127.0.0.1:9000/bulwark-offsite", "s3:https://s3.example.com/other/fleet"]
    assert settings.stores[0].env_file == Path("/etc/bulwark/offsite.env")
    assert settings.stores[1].env_file is None and settings.stores[1].env() == {}
    assert settings.max_backup_age_hours == 30 and settings.max_drill_age_days == 92
    assert settings.expected_hosts == ("web1", "db1")


def test_backup_config_gives_its_s3_repositories_parent_prefixes(tmp_path: Path) -> None:
    settings = load_fleet_config(write(tmp_path, BACKUP))
    # Both repositories sit under bucket/fleet: one store, the first env_file.
    assert settings.stores == (
        Store(location=settings.stores[0].location, env_file=Path("/etc/bulwark/offsite.env")),)
    assert settings.stores[0].display == "s3:https://s3.example.com/bucket/fleet"
    assert settings.max_backup_age_hours == 26 and settings.expected_hosts == ()


def test_backup_config_without_s3_repository(tmp_path: Path) -> None:
    text = BACKUP.split("  offsite:")[0]
    assert "has no status objects to read" in problem(tmp_path, text)


def test_backup_config_problems_are_reported_as_for_backup(tmp_path: Path) -> None:
    message = problem(tmp_path, BACKUP + "sorces: [/x]\n")
    assert message.startswith(f"{tmp_path / 'fleet.yml'}:10:")
    assert "did you mean 'sources'" in message


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (FLEET.replace("max_backup_age_hours", "max_backup_age_hour"), 5,
         "unknown key 'max_backup_age_hour' (did you mean 'max_backup_age_hours'?)"),
        (FLEET.replace("    env_file:", "    envfile:"), 3,
         "unknown key 'stores.0.envfile' (did you mean 'env_file'?)"),
        (FLEET.replace("s3:https://s3.example.com/other/fleet/", "/srv/backups"), 4,
         "stores.1.url: '/srv/backups' is not an s3: repository URL"),
        (FLEET.replace("s3.example.com/other", "[::1/other"), 4,  # was a ValueError traceback
         "stores.1.url: s3 URL 's3:https://[::1/other/fleet/': Invalid IPv6 URL"),
        (FLEET.replace("/etc/bulwark/offsite.env", "offsite.env"), 3,
         "env_file offsite.env must be an absolute path"),
        (FLEET.replace("30", "-1"), 5, "max_backup_age_hours: Input should be greater than 0"),
        ("stores: []\n", 1, "stores: List should have at least 1 item"),
        ("expected_hosts: [a]\n", None, "missing required key 'stores'"),
    ],
)
def test_fleet_config_errors(tmp_path: Path, text: str, line: int | None, needle: str) -> None:
    message = problem(tmp_path, text)
    where = f"{tmp_path / 'fleet.yml'}:{line}:" if line else f"{tmp_path / 'fleet.yml'}:"
    assert message.startswith(where), message
    assert needle in message, message


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    assert "expected a mapping of keys (stores," in problem(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigError, match="no such file"):
        load_fleet_config(tmp_path / "none.yml")


STORE = Store(location=s3.parse_url("s3:http://h:9/b/p"))


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "ListObjectsV2")


@pytest.mark.parametrize(
    ("exc", "kind", "needle"),
    [
        (EndpointConnectionError(endpoint_url="http://h:9"), StoreUnreachable,
         "store s3:http://h:9/b/p: cannot connect to http://h:9"),
        (client_error("NoSuchBucket"), StoreRejected, "bucket b does not exist"),
        (client_error("InvalidAccessKeyId"), StoreRejected, "credentials rejected"),
        (client_error("SignatureDoesNotMatch"), StoreRejected, "check its env_file"),
        (client_error("InternalError"), StoreUnreachable, "http://h:9 answered InternalError"),
        (NoCredentialsError(), StoreRejected, "no S3 credentials"),
    ],
)
def test_store_errors_are_one_line_with_the_fitting_exit_code(
    exc: Exception, kind: type, needle: str
) -> None:
    error = store_error(STORE, exc)
    assert isinstance(error, kind) and needle in str(error)
    assert error.exit_code == (2 if kind is StoreRejected else 3)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("AWS_ACCESS_KEY_ID=abc\n", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_ACCESS_KEY_ID=\nAWS_SECRET_ACCESS_KEY=s3cr3t-value\n", "AWS_ACCESS_KEY_ID"),
    ],
)
def test_half_the_credentials_is_one_line_not_a_traceback(
    tmp_path: Path, text: str, missing: str
) -> None:
    env_file = tmp_path / "store.env"
    env_file.write_text(text)
    with pytest.raises(InputError) as caught:  # boto3 raised PartialCredentialsError here
        collect([Store(location=STORE.location, env_file=env_file)])
    message = str(caught.value)
    assert message.startswith(f"S3 credentials for http://h:9: {missing} is empty or not set")
    assert "\n" not in message and "s3cr3t-value" not in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "not a bulwark.backup-status document"),
        ({"kind": "bulwark.restore-drill"}, "not a bulwark.backup-status document"),
        ({"kind": "bulwark.backup-status", "schema_version": 2, "host": "x"},
         "schema_version: Input should be 1"),
        ({"kind": "bulwark.backup-status", "schema_version": 1, "host": "",
          "written_at": "2026-01-01T00:00:00Z"}, "host: String should have at least 1 character"),
        ({"kind": "bulwark.backup-status", "schema_version": 1, "host": "x",
          "written_at": "2026-01-01T00:00:00Z"}, None),
    ],
)
def test_only_status_documents_are_accepted(document: object, reason: str | None) -> None:
    assert validate("backup", document).error == reason


@pytest.mark.parametrize("host", ["web1/../db1", "-web1", "web 1", "web1\x1b[2J"])
def test_a_backup_host_must_be_a_name_its_status_object_key_can_carry(
    tmp_path: Path, host: str
) -> None:
    """The key names the host (fleet status trusts the key), so the host is a plain name."""
    message = problem(tmp_path, BACKUP + f"host: {json.dumps(host)}\n")
    assert "host" in message and "should match pattern" in message


def test_fleet_config_hardening_knobs(tmp_path: Path) -> None:
    settings = load_fleet_config(write(tmp_path, FLEET + "max_hardening_age_hours: 2\n"
                                                         "require_hardening: true\n"))
    assert (settings.max_hardening_age_hours, settings.require_hardening) == (2.0, True)
    assert "greater than 0" in problem(tmp_path, FLEET + "max_hardening_age_hours: 0\n")
