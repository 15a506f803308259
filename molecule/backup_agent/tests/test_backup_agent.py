"""The backup agent as deployed: real restic, a real S3 endpoint (moto) and real systemd."""

from __future__ import annotations

import json

import pytest

PASSWORD = "lab-only-Restic-Passw0rd"
S3_SECRET = "lab-Secret-Key-0001"
CONFIG = "/etc/bulwark/backup.yml"
OFFSITE = "s3:http://127.0.0.1:9000/bulwark-offsite/backup-agent-host1"


def _snapshots(host, repo: str, env_file: str | None = None) -> list[dict]:
    source = f"set -a; . {env_file}; set +a; " if env_file else ""
    cmd = host.run(
        f"{source}RESTIC_PASSWORD_FILE=/etc/bulwark/restic.pass "
        f"restic --no-cache -r {repo} snapshots --json")
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout)


@pytest.fixture(scope="module")
def backed_up(host):
    """Trigger the daily backup service once, as its timer would."""
    with host.sudo():
        run = host.run("systemctl start bulwark-backup.service")
        assert run.rc == 0, host.run("journalctl -u bulwark-backup.service -o cat").stdout
    return host


def test_bulwark_installed_in_its_venv(host):
    cmd = host.run("/opt/bulwark/bin/bulwark --version")
    assert cmd.rc == 0
    assert "bulwark" in cmd.stdout
    assert host.package("restic").is_installed
    # Installing Bulwark brings no compiler toolchain onto a backup host.
    for compiler in ("gcc", "build-essential", "python3-pip"):
        assert not host.package(compiler).is_installed, compiler


def test_secrets_are_root_only_and_not_in_the_config_or_units(host):
    for path in ("/etc/bulwark/restic.pass", "/etc/bulwark/offsite.env"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600)
    assert host.file("/etc/bulwark").mode == 0o700
    assert host.file("/etc/bulwark/restic.pass").content_string.strip() == PASSWORD
    config = host.file(CONFIG).content_string
    units = host.run("systemctl cat 'bulwark-*.service' 'bulwark-*.timer'").stdout
    for text in (config, units):
        assert PASSWORD not in text
        assert S3_SECRET not in text
    assert "password_file: /etc/bulwark/restic.pass" in config
    assert "env_file: /etc/bulwark/offsite.env" in config


def test_timers_are_enabled_with_catch_up(host):
    for job in ("backup", "drill", "full-drill"):
        timer = host.service(f"bulwark-{job}.timer")
        assert timer.is_enabled
        assert timer.is_running
    show = host.run("systemctl show bulwark-backup.timer -p Persistent -p RandomizedDelayUSec")
    assert "Persistent=yes" in show.stdout
    assert "RandomizedDelayUSec=1h" in show.stdout
    # No databases are configured here, so there is no database job.
    assert not host.file("/etc/systemd/system/bulwark-db.service").exists


def test_job_units_are_sandboxed(host):
    props = host.run("systemctl show bulwark-backup.service -p ProtectSystem -p PrivateTmp "
                     "-p NoNewPrivileges -p ProtectHome -p ReadWritePaths").stdout
    assert "ProtectSystem=strict" in props
    assert "PrivateTmp=yes" in props
    assert "NoNewPrivileges=yes" in props
    assert "ProtectHome=read-only" in props
    assert "/var/lib/bulwark" in props


def test_service_run_lands_snapshots_in_primary_and_offsite(backed_up):
    host = backed_up
    with host.sudo():
        primary = _snapshots(host, "/var/backups/bulwark")
        offsite = _snapshots(host, OFFSITE, "/etc/bulwark/offsite.env")
    assert primary, "no snapshot in the primary repository"
    assert {s["id"] for s in primary} <= {s.get("original", s["id"]) for s in offsite}
    newest = max(primary, key=lambda s: s["time"])
    assert sorted(newest["paths"]) == ["/etc", "/srv/shop"]
    assert "bulwark" in newest.get("tags", [])


def test_excluded_and_secret_content_not_in_logs(backed_up):
    host = backed_up
    with host.sudo():
        log = host.run("journalctl -u bulwark-backup.service -o cat").stdout
        ls = host.run("RESTIC_PASSWORD_FILE=/etc/bulwark/restic.pass restic --no-cache "
                      "-r /var/backups/bulwark ls latest /srv/shop").stdout
    assert PASSWORD not in log and S3_SECRET not in log
    assert "/srv/shop/customers.csv" in ls
    assert "cache.tmp" not in ls


def test_run_recorded_and_status_reports_both_repositories(backed_up):
    host = backed_up
    with host.sudo():
        runs = host.file("/var/lib/bulwark/runs.jsonl").content_string.strip().splitlines()
        status = host.run(f"/opt/bulwark/bin/bulwark backup status --config {CONFIG} --json")
    last = json.loads(runs[-1])
    assert last["result"] == "ok", last
    assert status.rc == 0, status.stderr
    repos = {r["repository"]: r for r in json.loads(status.stdout)}
    assert set(repos) == {"primary", "offsite"}
    assert all(r["snapshots"] >= 1 and r["last_success"] and r["error"] is None
               for r in repos.values()), repos
