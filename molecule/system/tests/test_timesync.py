"""Timesync role outcomes: chrony only, configured and running in container mode (E1, E13)."""


def test_chrony_only(host):
    assert host.package("chrony").is_installed
    for name in ("systemd-timesyncd", "ntp", "ntpsec"):
        assert not host.package(name).is_installed, name


def test_chrony_conf(host):
    conf = host.file("/etc/chrony/chrony.conf")
    assert conf.contains("^pool 2.debian.pool.ntp.org iburst$")
    assert conf.contains("^makestep 1.0 3$")
    assert conf.contains("^rtcsync$")
    assert not conf.contains("^allow")
    host.run_test("chronyd -p -f /etc/chrony/chrony.conf")


def test_chrony_running_without_clock_control(host):
    chrony = host.service("chrony")
    assert chrony.is_enabled and chrony.is_running
    assert "-x" in host.check_output("ps -o args= -C chronyd").split()
    assert "Reference ID" in host.check_output("chronyc -n tracking")
