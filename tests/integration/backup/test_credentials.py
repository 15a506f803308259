"""Secrets handed over as systemd credentials: the config names $CREDENTIALS_DIRECTORY/<name>
for the repository password and the S3 keys, as the backup_agent role writes it with
bulwark_backup_agent_secrets: systemd-creds. Real restic, moto's S3 server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures.s3 import S3Server
from tests.integration.backup.conftest import (
    BULWARK,
    PASSWORD,
    Site,
    assert_one_line_error,
    clean_env,
    tree_fingerprint,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def credentials(site: Site, s3_server: S3Server, s3_url: str) -> Path:
    """The directory systemd would mount for the unit (0500, files 0400), and a config whose
    secret paths all point into it; no secret file is named by its real path."""
    directory = site.root / "credentials"
    directory.mkdir()
    (directory / "restic.pass").write_text(PASSWORD)
    (directory / "offsite.env").write_text(
        "".join(f"{key}={value}\n" for key, value in s3_server.env.items()))
    for path in directory.iterdir():
        path.chmod(0o400)
    directory.chmod(0o500)
    site.password.unlink()
    site.repositories["offsite"] = {"url": s3_url,
                                    "env_file": "$CREDENTIALS_DIRECTORY/offsite.env"}
    site.write_config(password_file="${CREDENTIALS_DIRECTORY}/restic.pass")
    return directory


def _bulwark(site: Site, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only the credentials directory given here: not one the test runner may have from systemd.
    base = {k: v for k, v in clean_env().items() if k != "CREDENTIALS_DIRECTORY"}
    return subprocess.run([BULWARK, "backup", *args, "--config", str(site.config)],
                          capture_output=True, text=True, env={**base, **env}, timeout=180,
                          check=False)


def test_run_reads_password_and_keys_from_the_credentials_directory(
        site: Site, credentials: Path, s3_server: S3Server, s3_url: str) -> None:
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    for command in ("check-config", "init", "run"):
        done = _bulwark(site, command, env=env)
        assert done.returncode == 0, (command, done.stderr)
    site.password.write_text(PASSWORD)  # only for the test's own restic calls below
    primary = site.snapshots(site.repositories["primary"]["url"])
    offsite = site.snapshots(s3_url, env=s3_server.env)
    assert len(primary) == 1 and len(offsite) == 1
    assert site.runs()[-1]["result"] == "ok"


def test_without_the_variable_nothing_runs_and_one_line_says_why(
        site: Site, credentials: Path) -> None:
    before = tree_fingerprint(site.root)
    for command in ("check-config", "run", "status"):
        done = _bulwark(site, command, env={})
        line = assert_one_line_error(done, 2, f"{site.config}:", "password_file",
                                     "$CREDENTIALS_DIRECTORY is not set")
        assert "systemctl start" in line
    assert tree_fingerprint(site.root) == before
    assert site.runs() == []


def test_rotate_key_refuses_a_password_that_is_a_credential(
        site: Site, credentials: Path, tmp_path: Path) -> None:
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    new = tmp_path / "new.pass"
    new.write_text("a brand new password\n")
    new.chmod(0o600)
    before = tree_fingerprint(site.root)
    done = _bulwark(site, "rotate-key", "--new-password-file", str(new), env=env)
    assert_one_line_error(done, 2, "rotate-key: password_file", "is a systemd credential")
    assert tree_fingerprint(site.root) == before
