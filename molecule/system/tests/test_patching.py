"""Patching role: unattended-upgrades config, signed repos only, patch records (D1-D4, A4)."""

import json
import os
from pathlib import Path

RECORD_DIR = "/var/lib/bulwark/patching"
RECORD_KEYS = {
    "host",
    "started",
    "ended",
    "upgraded",
    "reboot_required",
    "reboot_performed",
    "origins",
}


def _latest_record(host) -> dict:
    return json.loads(host.file(f"{RECORD_DIR}/latest.json").content_string)


def test_tools_installed(host):
    for name in (
        "unattended-upgrades",
        "apt-listchanges",
        "needrestart",
        "debsums",
        "apt-show-versions",
    ):
        assert host.package(name).is_installed, name


def test_unattended_upgrades_security_origins_only(host):
    conf = host.file("/etc/apt/apt.conf.d/50unattended-upgrades").content_string
    assert '"origin=Debian,codename=${distro_codename}-security,label=Debian-Security";' in conf
    assert 'label=Debian";' not in conf
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in conf
    dump = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    patterns = [line for line in dump.splitlines() if "Origins-Pattern::" in line]
    assert patterns and all("Debian-Security" in line for line in patterns)


def test_periodic_jobs_enabled(host):
    dump = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in dump
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert host.service("apt-daily-upgrade.timer").is_enabled


def test_only_signed_repositories(host):
    insecure = host.run(
        "grep -rEil '(trusted|allow-insecure)[[:space:]]*[=:][[:space:]]*(yes|true)' "
        "/etc/apt/sources.list /etc/apt/sources.list.d"
    )
    assert insecure.rc == 1, insecure.stdout
    dump = host.check_output("apt-config dump APT::Get::AllowUnauthenticated")
    assert 'APT::Get::AllowUnauthenticated "false";' in dump


def test_needrestart_and_debsums_configured(host):
    assert (
        "$nrconf{restart} = 'l';"
        in host.file("/etc/needrestart/conf.d/50-bulwark.conf").content_string
    )
    assert "CRON_CHECK=weekly" in host.file("/etc/default/debsums").content_string


def test_patch_record_schema(host):
    record = _latest_record(host)
    assert set(record) == RECORD_KEYS
    assert record["host"] == "system-host1"
    assert record["started"] <= record["ended"]
    assert isinstance(record["reboot_required"], bool)
    assert record["reboot_performed"] is False  # reboot knob is off and this is a container
    assert record["reboot_required"] == host.file("/var/run/reboot-required").exists
    assert any("Debian-Security" in origin for origin in record["origins"])
    for entry in record["upgraded"]:
        assert set(entry) == {"name", "before", "after"}


def test_patch_record_matches_installed_versions(host):
    for entry in _latest_record(host)["upgraded"]:
        installed = host.check_output(
            f"dpkg-query --show --showformat='${{Version}}' {entry['name']}"
        )
        assert entry["after"] == installed, entry
        assert entry["before"] != entry["after"], entry


def test_second_run_wrote_no_new_record(host):
    # converge upgraded (or recorded the first run); idempotence must not add a record
    records = host.check_output(f"ls {RECORD_DIR}").split()
    # dry-run-state is the cache of the last clean dry run's inputs, not a record
    timestamped = [name for name in records if name.endswith(".json") and name != "latest.json"]
    assert len(timestamped) == 1, records
    latest = host.file(f"{RECORD_DIR}/latest.json").content_string
    assert host.file(f"{RECORD_DIR}/{timestamped[0]}").content_string == latest


def test_record_fetched_to_controller(host):
    names = host.check_output(f"ls {RECORD_DIR}").split()
    name = sorted(n for n in names if n.endswith(".json") and n != "latest.json")[-1]
    fetched = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "patching", "system-host1", name)
    assert fetched.is_file()
    assert json.loads(fetched.read_text()) == _latest_record(host)


def test_no_security_updates_pending(host):
    # only meaningful when apt actually has the security pocket's lists
    assert "l=Debian-Security," in host.check_output("apt-cache policy")
    dry_run = host.check_output("unattended-upgrade --dry-run --verbose 2>&1")
    assert "Packages that will be upgraded:" not in dry_run
    assert "No packages found that can be upgraded unattended" in dry_run


def test_dry_run_skipped_while_nothing_changed(host):
    # the state the last clean dry run saw matches the host now, so a re-run skips the dry run
    state = host.file(f"{RECORD_DIR}/dry-run-state").content_string
    assert "/var/lib/dpkg/status " in state and "Release " in state
    now = host.check_output("stat -c %Y /var/lib/dpkg/status")
    assert f"/var/lib/dpkg/status {now}" in state
