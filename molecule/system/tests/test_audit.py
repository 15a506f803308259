"""Audit role outcomes: auditd packages, rules, compiled rules, container state (E3, E8, E13)."""

import json
import re

RULES = "/etc/audit/rules.d/bulwark.rules"
ARCH_TABLE = {"b64": "x86_64", "b32": "i386"}


def test_packages(host):
    assert host.package("auditd").is_installed
    assert host.package("audispd-plugins").is_installed


def test_rules_cover_who_when_what(host):
    rules = host.file(RULES).content_string
    for line in (
        "-w /etc/passwd -p wa -k identity",
        "-w /etc/shadow -p wa -k identity",
        "-w /etc/sudoers -p wa -k sudoers",
        "-w /etc/sudoers.d -p wa -k sudoers",
        "-w /etc/hosts -p wa -k system-locale",
        "-w /var/log/wtmp -p wa -k session",
    ):
        assert line in rules, line
    for rule in (
        "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change",
        "-a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime,stime -k time-change",
        "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules",
        "-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale",
    ):
        assert re.search(f"^{re.escape(rule)}$", rules, re.M), rule
    assert "-F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged" in rules
    assert "-F path=/usr/bin/passwd -F perm=x" in rules
    # watches for paths missing on this host are left out (auditctl would reject them)
    # (e.g. /etc/selinux exists only when some package created it)
    assert ("-w /etc/selinux " in rules) == host.file("/etc/selinux").exists


def test_immutable_is_last(host):
    compiled = [
        line
        for line in host.file("/etc/audit/audit.rules").content_string.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert compiled[-1] == "-e 2"


def test_compiled_rules_up_to_date(host):
    check = host.run("augenrules --check")
    assert check.rc == 0 and "No change" in check.stdout + check.stderr


def test_syscall_names_known_to_audit(host):
    compiled = host.file("/etc/audit/audit.rules").content_string
    checked = 0
    for arch, syscalls in re.findall(r"-F arch=(b64|b32) -S (\S+)", compiled):
        for name in syscalls.split(","):
            host.run_test(f"ausyscall {ARCH_TABLE[arch]} {name} --exact")
            checked += 1
    assert checked > 20


def test_auditd_conf(host):
    conf = host.file("/etc/audit/auditd.conf")
    assert conf.contains("^max_log_file = 50$")
    assert conf.contains("^num_logs = 20$")
    assert conf.contains("^max_log_file_action = rotate$")


def test_auditd_state_reported_in_container(host):
    assert host.run("systemd-detect-virt --container").rc == 0
    state = json.loads(host.file("/var/lib/bulwark/audit/state.json").content_string)
    assert state["auditd"] == "configured, not running (container)"
    assert not host.service("auditd").is_running
