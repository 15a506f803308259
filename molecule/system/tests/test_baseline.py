"""Baseline role: umask, TMOUT, cron/at, permissions, banners, /tmp, USBGuard, ctrl-alt-del."""

import pytest


def test_login_defs_umask(host):
    lines = host.file("/etc/login.defs").content_string.splitlines()
    umask = [line.split() for line in lines if line.strip().startswith("UMASK")]
    assert umask == [["UMASK", "027"]]


def test_login_shell_gets_umask_027(host):
    result = host.run("bash -lc umask")
    assert result.stdout.strip() == "0027"


def test_login_shell_tmout_is_readonly(host):
    assert host.run("bash -lc 'echo $TMOUT'").stdout.strip() == "900"
    unset = host.run("bash -lc 'unset TMOUT'")
    assert unset.rc != 0 and "readonly" in unset.stderr


def test_tmout_profile_survives_second_sourcing(host):
    result = host.run("bash -lc '. /etc/profile.d/bulwark-tmout.sh && echo ok'")
    assert result.rc == 0 and result.stdout.strip() == "ok" and result.stderr == ""


@pytest.mark.parametrize("name", ["cron", "at"])
def test_allow_lists_root_only(host, name):
    allow = host.file(f"/etc/{name}.allow")
    assert allow.mode == 0o600 and allow.user == "root"
    entries = [line for line in allow.content_string.splitlines() if not line.startswith("#")]
    assert entries == ["root"]
    assert not host.file(f"/etc/{name}.deny").exists


def test_crontab_denied_to_ordinary_user(host):
    result = host.run("runuser -u nobody -- crontab -l")
    assert result.rc != 0
    assert "not allowed" in result.stderr


@pytest.mark.parametrize(
    ("path", "mode", "group"),
    [
        ("/etc/crontab", 0o600, "root"),
        ("/etc/cron.d", 0o700, "root"),
        ("/etc/cron.daily", 0o700, "root"),
        ("/etc/cron.weekly", 0o700, "root"),
        ("/etc/shadow", 0o640, "shadow"),
        ("/etc/gshadow", 0o640, "shadow"),
        ("/etc/passwd", 0o644, "root"),
        ("/etc/group", 0o644, "root"),
        ("/etc/shadow-", 0o640, "shadow"),
    ],
)
def test_sensitive_file_permissions(host, path, mode, group):
    f = host.file(path)
    assert f.mode == mode
    assert f.user == "root" and f.group == group


@pytest.mark.parametrize("path", ["/etc/issue", "/etc/motd"])
def test_legal_banner(host, path):
    text = host.file(path).content_string
    assert "Authorized access only" in text
    assert "monitored" in text


def test_issue_net_left_to_ssh_role(host):
    assert "Authorized access only" not in host.file("/etc/issue.net").content_string


def test_libpam_tmpdir_installed(host):
    assert host.package("libpam-tmpdir").is_installed


def test_tmp_mount_enabled_for_next_boot(host):
    unit = host.file("/etc/systemd/system/tmp.mount").content_string
    assert "Options=mode=1777,strictatime,nosuid,nodev,size=50%" in unit
    assert host.run("systemctl is-enabled tmp.mount").stdout.strip() == "enabled"
    assert host.run("systemd-analyze verify /etc/systemd/system/tmp.mount").rc == 0


def test_usbguard_blocks_new_devices(host):
    conf = host.file("/etc/usbguard/usbguard-daemon.conf").content_string.splitlines()
    for line in (
        "ImplicitPolicyTarget=block",
        "PresentDevicePolicy=apply-policy",
        "PresentControllerPolicy=apply-policy",
        "InsertedDevicePolicy=apply-policy",
        "RestoreControllerDeviceState=false",
    ):
        assert line in conf
    assert host.service("usbguard").is_enabled
    # no /sys/bus/usb in a container: the daemon is enabled for a real boot, not started
    assert host.file("/sys/bus/usb/devices").exists is host.service("usbguard").is_running


def test_ctrl_alt_del_masked(host):
    assert host.run("systemctl is-enabled ctrl-alt-del.target").stdout.strip() == "masked"
