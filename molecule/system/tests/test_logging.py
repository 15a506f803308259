"""Logging role: persistent journald, rsyslog forwarding, retention, login review (E1, E5, E7)."""

import time
import uuid

LISTENER_OUT = "/var/tmp/bulwark-test-remote.log"


def test_journald_persistent(host):
    dropin = host.file("/etc/systemd/journald.conf.d/50-bulwark.conf")
    assert dropin.contains("^Storage=persistent$")
    assert dropin.contains("^SystemMaxUse=1G$")
    assert dropin.contains("^MaxRetentionSec=180day$")
    assert dropin.contains("^ForwardToSyslog=yes$")
    journal = host.file("/var/log/journal")
    assert journal.is_directory and journal.group == "systemd-journal"
    machine_id = host.file("/etc/machine-id").content_string.strip()
    assert host.file(f"/var/log/journal/{machine_id}/system.journal").is_file


def test_rsyslog_running(host):
    rsyslog = host.service("rsyslog")
    assert rsyslog.is_running and rsyslog.is_enabled
    host.run_test("rsyslogd -N1")


def test_forwarding_config(host):
    conf = host.file("/etc/rsyslog.d/90-bulwark-forward.conf")
    assert conf.contains('target="127.0.0.1"')
    assert conf.contains('port="5514"')
    assert conf.contains('protocol="tcp"')
    assert conf.contains('queue.type="LinkedList"')


def test_logger_message_reaches_log_host(host):
    marker = f"bulwark-forward-test-{uuid.uuid4()}"
    host.run_test(f"logger -t bulwark-test {marker}")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if marker in host.run(f"cat {LISTENER_OUT}").stdout:
            return
        time.sleep(3)
    raise AssertionError(f"{marker} never reached the listener on 127.0.0.1:5514")


def test_logrotate_retention(host):
    conf = host.file("/etc/logrotate.conf")
    assert conf.contains("^rotate 26$") and conf.contains("^weekly$")
    assert host.file("/etc/logrotate.d/rsyslog").contains("rotate 26")
    host.run_test("logrotate --debug /etc/logrotate.conf")


def test_weekly_login_review(host):
    timer = host.service("bulwark-login-review.timer")
    assert timer.is_enabled and timer.is_running
    assert "Mon *-*-* 06:00:00" in host.check_output(
        "systemctl show -p TimersCalendar bulwark-login-review.timer"
    )
    host.run_test("systemctl start bulwark-login-review.service")
    day = host.check_output("date -u +%Y-%m-%d")
    report = host.file(f"/var/log/bulwark/login-review-{day}.txt")
    assert report.is_file and report.mode == 0o640
    for section in (
        "== Successful logins (last) ==",
        "== Failed logins (lastb) ==",
        "== sshd authentication failures (journal) ==",
    ):
        assert section in report.content_string
