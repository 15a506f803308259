"""Kernel role: sysctl and modprobe files, core dumps off, and the machine kernel left alone."""

import pytest

SYSCTL_FILE = "/etc/sysctl.d/90-bulwark.conf"


def sysctl_file(host) -> dict[str, str]:
    content = host.file(SYSCTL_FILE).content_string
    pairs = (line.split("=", 1) for line in content.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kernel.kptr_restrict", "2"),
        ("kernel.dmesg_restrict", "1"),
        ("kernel.unprivileged_bpf_disabled", "1"),
        ("kernel.sysrq", "0"),
        ("kernel.randomize_va_space", "2"),
        ("fs.suid_dumpable", "0"),
        ("fs.protected_symlinks", "1"),
        ("net.core.bpf_jit_harden", "2"),
        ("net.ipv4.conf.all.rp_filter", "1"),
        ("net.ipv4.conf.all.accept_redirects", "0"),
        ("net.ipv4.conf.all.send_redirects", "0"),
        ("net.ipv4.conf.all.accept_source_route", "0"),
        ("net.ipv4.conf.all.log_martians", "1"),
        ("net.ipv4.tcp_syncookies", "1"),
        ("net.ipv4.icmp_echo_ignore_broadcasts", "1"),
        ("net.ipv4.ip_forward", "0"),
        ("net.ipv6.conf.all.accept_ra", "0"),
    ],
)
def test_sysctl_file_holds_hardened_value(host, key, value):
    assert sysctl_file(host)[key] == value


def test_sysctl_file_is_managed_and_root_owned(host):
    f = host.file(SYSCTL_FILE)
    assert f.user == "root" and f.mode == 0o644
    assert "Ansible managed" in f.content_string


def test_machine_kernel_values_untouched_in_container(host):
    """kernel.* and fs.* in a container are the host's kernel: the role must not have set them."""
    assert host.file("/run/.containerenv").exists
    before = host.file("/root/bulwark-kernel-before").content_string.split()
    assert before, "prepare did not record the kernel values"
    for pair in before:
        path, value = pair.split("=", 1)
        # /proc files report size 0, which testinfra's file reader refuses: read them with cat.
        live = host.run(f"cat /proc/sys/{path}")
        if value == "":  # not visible in this container before the role ran: still not visible
            assert live.rc != 0, path
            continue
        assert live.rc == 0, live.stderr
        assert live.stdout.strip() == value, path


@pytest.mark.parametrize(
    "module",
    [
        "usb-storage",
        "firewire-core",
        "firewire-ohci",
        "firewire-sbp2",
        "cramfs",
        "freevxfs",
        "jffs2",
        "hfs",
        "hfsplus",
        "squashfs",
        "udf",
        "dccp",
        "sctp",
        "rds",
        "tipc",
    ],
)
def test_module_blocked(host, module):
    content = host.file("/etc/modprobe.d/bulwark-blacklist.conf").content_string
    assert f"install {module} /bin/false" in content.splitlines()
    assert f"blacklist {module}" in content.splitlines()


def test_vfat_blocked_only_without_efi(host):
    content = host.file("/etc/modprobe.d/bulwark-blacklist.conf").content_string
    efi = host.file("/sys/firmware/efi").exists
    assert ("blacklist vfat" in content.splitlines()) is not efi


def test_modprobe_resolves_blocked_module_to_false(host):
    """modprobe reads the file: the install command for usb-storage is /bin/false (dry run)."""
    result = host.run("modprobe --showconfig")
    assert "install usb_storage /bin/false" in result.stdout


def test_core_dumps_off(host):
    limits = host.file("/etc/security/limits.d/90-bulwark-coredump.conf").content_string
    assert "*    hard    core    0" in limits
    coredump = host.file("/etc/systemd/coredump.conf.d/90-bulwark.conf").content_string
    assert "Storage=none" in coredump and "ProcessSizeMax=0" in coredump


def test_core_limit_applies_to_login_sessions(host):
    """pam_limits reads limits.d: a fresh login session gets a hard core limit of 0."""
    result = host.run("runuser -l root -c 'ulimit -Hc'")
    assert result.rc == 0
    assert result.stdout.strip() == "0"


def test_login_shells_get_no_core_files(host):
    shell = host.run("bash -lc 'ulimit -c; ulimit -H -c'")
    assert shell.rc == 0, shell.stderr
    assert shell.stdout.split() == ["0", "0"]
