"""Intrusion role: fail2ban, AIDE, rkhunter, acct, sysstat, ClamAV."""

import pytest

BAN_ADDRESS = "192.0.2.77"


def test_fail2ban_sshd_jail_active(host):
    assert host.service("fail2ban").is_running
    status = host.run("fail2ban-client status sshd")
    assert status.rc == 0, status.stderr
    assert "Currently banned" in status.stdout


def test_fail2ban_jail_settings(host):
    jail = host.file("/etc/fail2ban/jail.local").content_string
    assert "banaction = nftables-multiport" in jail
    assert "backend = systemd" in jail
    assert host.run("fail2ban-client get sshd maxretry").stdout.strip() == "5"


def test_fail2ban_bans_into_its_own_nftables_table(host):
    """A ban lands in fail2ban's table inet f2b-table; the rest of the ruleset is not flushed."""
    ban = host.run(f"fail2ban-client set sshd banip {BAN_ADDRESS}")
    try:
        assert ban.rc == 0, ban.stderr
        table = host.run("nft list table inet f2b-table")
        assert table.rc == 0, table.stderr
        assert BAN_ADDRESS in table.stdout
    finally:
        host.run(f"fail2ban-client set sshd unbanip {BAN_ADDRESS}")
    assert BAN_ADDRESS not in host.run("nft list table inet f2b-table").stdout


def test_aide_database_initialised(host):
    db = host.file("/var/lib/aide/aide.db")
    assert db.exists and db.size > 0
    assert "!/var/log($|/)" in host.file("/etc/aide/aide.conf.d/99_bulwark_excludes").content_string


def test_aide_daily_check_timer(host):
    assert host.service("dailyaidecheck.timer").is_enabled
    assert host.service("dailyaidecheck.timer").is_running


def test_aide_detects_a_changed_file(host):
    """The database is real: a file added under /etc shows up in a check."""
    host.run("touch /etc/bulwark-aide-probe")
    try:
        result = host.run("aide --check --config /etc/aide/aide.conf")
        assert result.rc != 0
        assert "/etc/bulwark-aide-probe" in result.stdout
    finally:
        host.run("rm -f /etc/bulwark-aide-probe")


def test_rkhunter_offline_and_propupd_done(host):
    local = host.file("/etc/rkhunter.conf.local").content_string.splitlines()
    for line in ("UPDATE_MIRRORS=0", "MIRRORS_MODE=1", "WEB_CMD=/bin/false"):
        assert line in local
    assert host.file("/var/lib/rkhunter/db/rkhunter.dat").size > 0
    assert host.run("rkhunter --config-check --nocolors").rc == 0


def test_rkhunter_weekly_timer(host):
    timer = host.file("/etc/systemd/system/bulwark-rkhunter-scan.timer").content_string
    assert "OnCalendar=weekly" in timer
    assert host.service("bulwark-rkhunter-scan.timer").is_enabled
    assert host.service("bulwark-rkhunter-scan.timer").is_running


def test_acct_enabled_not_started_in_container(host):
    assert host.package("acct").is_installed
    assert host.service("acct").is_enabled


def test_sysstat_collecting(host):
    assert 'ENABLED="true"' in host.file("/etc/default/sysstat").content_string
    assert host.service("sysstat").is_enabled
    assert host.service("sysstat-collect.timer").is_running


def test_clamav_freshclam_daily(host):
    conf = host.file("/etc/clamav/freshclam.conf").content_string.splitlines()
    assert "Checks 24" in conf
    assert host.service("clamav-freshclam").is_enabled


@pytest.mark.parametrize("unit", ["bulwark-clamav-scan.service", "bulwark-clamav-scan.timer"])
def test_clamav_scan_units_valid(host, unit):
    # --man=no: the image has no man pages, which is not a fault of the unit.
    result = host.run(f"systemd-analyze verify --man=no /etc/systemd/system/{unit}")
    assert result.rc == 0, result.stderr


def test_clamav_weekly_scan_logs_to_bulwark_dir(host):
    service = host.file("/etc/systemd/system/bulwark-clamav-scan.service").content_string
    assert "--log=/var/log/bulwark/clamav-scan.log" in service
    assert "--exclude-dir=^/proc" in service
    assert host.service("bulwark-clamav-scan.timer").is_enabled
    assert host.service("bulwark-clamav-scan.timer").is_running
    assert host.file("/var/log/bulwark").mode == 0o750


def test_clamscan_runs_against_a_test_database(host):
    """The scanner itself works without downloaded signatures: a one-line hash DB finds its file."""
    script = (
        'set -e; d=$(mktemp -d); trap "rm -rf $d" EXIT; printf bulwark-probe > $d/probe; '
        "sigtool --md5 $d/probe > $d/probe.hdb; "
        "clamscan --database=$d/probe.hdb --infected --no-summary $d/probe"
    )
    result = host.run(f"bash -c '{script}'")
    assert result.rc == 1
    assert "FOUND" in result.stdout
