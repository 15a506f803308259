"""Separated admin roles (B27-B30): the auditor and the secadmin can do their jobs, and the
known sudo escapes give neither of them root. sudo I/O logs are kept for the auditors (E13)."""

from __future__ import annotations

import shlex

import pytest
from conftest import ADMIN, AUDITOR, SECADMIN, as_user

SUDO_DENIED = ("is not allowed to execute", "a password is required", "not allowed to set")


def _refused(result) -> bool:
    return result.rc != 0 and any(text in result.stderr for text in SUDO_DENIED)


def test_roles_are_in_their_groups_only(host) -> None:
    assert "sudo" in host.user(ADMIN).groups
    assert set(host.user(SECADMIN).groups) & {"sudo", "adm", "bulwark-auditors"} == set()
    assert "bulwark-secadmins" in host.user(SECADMIN).groups
    assert {"bulwark-auditors", "adm", "systemd-journal"} <= set(host.user(AUDITOR).groups)
    assert "sudo" not in host.user(AUDITOR).groups


def test_sudoers_dropin_is_valid_and_sysadmin_keeps_full_sudo(host) -> None:
    assert host.run("visudo -c").rc == 0
    result = as_user(host, ADMIN, "sudo -n id -u")
    assert (result.rc, result.stdout.strip()) == (0, "0")


def test_limited_roles_have_only_noexec_rules(host) -> None:
    for user in (SECADMIN, AUDITOR):
        listing = host.check_output(f"sudo -l -U {user}")
        rules = [line for line in listing.splitlines() if line.startswith("    (root)")]
        assert rules, listing
        assert "ALL" not in " ".join(r.split(")", 1)[1] for r in rules).split(", ")
        noexec = [r for r in rules if "NOEXEC:" in r]
        # The only EXEC rule: augenrules must run auditctl (documented in the README).
        assert [r for r in rules if r not in noexec] == [] or user == SECADMIN
        if user == SECADMIN:
            assert all("augenrules" in r for r in rules if r not in noexec)


# --- the auditor's job ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        "journalctl --no-pager -n 3",
        "cat /var/log/bulwark/accounts.jsonl",
        "sudo -n /usr/sbin/aureport --summary -if /var/log/bulwark/sample-audit.log",
        "sudo -n /usr/sbin/ausearch -i -if /var/log/bulwark/sample-audit.log",
        "sudo -n /usr/local/sbin/bulwark-records",
        "sudo -n /usr/local/sbin/bulwark-records /var/lib/bulwark/access-review.json",
        "sudoreplay -l",
    ],
)
def test_auditor_can_read(host, command: str) -> None:
    sample = "/var/log/bulwark/sample-audit.log"
    if not host.file(sample).exists:
        host.run_expect(
            [0],
            f"printf '%s\\n' 'type=USER_LOGIN msg=audit(1700000000.000:1): pid=1 uid=0 "
            f"auid=1000 ses=1 msg=\\x27op=login acct=\"ops\" exe=\"/usr/sbin/sshd\" "
            f"hostname=? addr=10.0.0.1 terminal=ssh res=success\\x27' > {sample}",
        )
    result = as_user(host, AUDITOR, command)
    assert result.rc in (0, 3), f"{command}: {result.stderr}"  # 3 = systemctl status, inactive


def test_auditor_cannot_change_anything(host) -> None:
    for command in (
        "touch /var/log/bulwark/x",
        "sudo -n /usr/bin/systemctl --no-pager restart ssh",
        "sudo -n /usr/sbin/usermod -L ops",
        "sudo -n sudoedit /etc/ssh/sshd_config",
    ):
        result = as_user(host, AUDITOR, command)
        assert result.rc != 0, command


def test_records_viewer_stays_inside_the_record_directories(host) -> None:
    for path in ("/etc/shadow", "/var/lib/bulwark/../../../etc/shadow"):
        result = as_user(host, AUDITOR, f"sudo -n /usr/local/sbin/bulwark-records {path}")
        assert result.rc != 0
        assert "root:" not in result.stdout


# --- the secadmin's job -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        "sudo -n /usr/sbin/sshd -t",
        "sudo -n /usr/sbin/nft list ruleset",
        "sudo -n /usr/bin/systemctl reload ssh",
        "sudo -n /usr/bin/systemctl --no-pager status nftables",
        f"sudo -n /usr/bin/chage -l {ADMIN}",
        f"sudo -n /usr/sbin/faillock --user {AUDITOR} --reset",
    ],
)
def test_secadmin_can_manage_security_config(host, command: str) -> None:
    result = as_user(host, SECADMIN, command)
    assert result.rc in (0, 3), f"{command}: {result.stderr}"


def test_secadmin_edits_with_sudoedit_and_the_editor_runs_as_secadmin(host) -> None:
    """sudoedit runs the editor as the secadmin, and NOEXEC still stops it starting programs:
    an editor's shell escape gets neither root nor a new program."""
    target = "/etc/login.defs"
    before = host.file(target).sha256sum
    editor = "/tmp/bulwark-test-editor"
    script = (
        "#!/bin/sh\n"
        "echo touched > /tmp/editor-owner\n"
        "/usr/bin/id -u > /tmp/editor-exec 2>/dev/null || echo refused > /tmp/editor-exec\n"
        'echo "# edited by secadmin" >> "$1"\n'
    )
    host.run_expect([0], f"printf %s {shlex.quote(script)} > {editor} && chmod 755 {editor}")
    try:
        result = as_user(host, SECADMIN, f"SUDO_EDITOR={editor} sudo -n sudoedit {target}")
        assert result.rc == 0, result.stderr
        assert host.file(target).contains("# edited by secadmin")
        assert host.file("/tmp/editor-owner").user == SECADMIN, "the editor must not run as root"
        assert host.file("/tmp/editor-exec").content_string.strip() == "refused"
    finally:
        host.run(f"sed -i '/# edited by secadmin/d' {target}; "
                 f"rm -f {editor} /tmp/editor-owner /tmp/editor-exec")
    assert host.file(target).sha256sum == before


# --- the escapes ------------------------------------------------------------------------------
ESCAPES = [
    # a pager's !sh: less on a log, and systemctl/journalctl in their paging form
    ("less_on_a_log", "sudo -n /usr/bin/less /var/log/dpkg.log"),
    ("pager_systemctl", "sudo -n /usr/bin/systemctl status ssh"),
    ("pager_journalctl", "sudo -n /usr/bin/journalctl -u ssh"),
    # an editor's shell
    ("editor_vi", "sudo -n /usr/bin/vi /etc/ssh/sshd_config"),
    ("editor_as_root", "sudo -n /usr/bin/sensible-editor /etc/nftables.conf"),
    ("find_exec", "sudo -n /usr/bin/find /etc -maxdepth 0 -exec /bin/sh -c 'id -u' \\;"),
    ("tar_to_command", "sudo -n /usr/bin/tar -xf /dev/null --to-command=/bin/sh"),
    ("tar_checkpoint", "sudo -n /usr/bin/tar -cf /dev/null /etc/hostname --checkpoint=1 "
                       "--checkpoint-action=exec=/bin/sh"),
    ("systemctl_edit", "sudo -n /usr/bin/systemctl edit ssh"),
    ("systemctl_extra_unit", "sudo -n /usr/bin/systemctl restart ssh cron"),
    ("ld_preload", "sudo -n LD_PRELOAD=/tmp/evil.so /usr/bin/systemctl --no-pager status ssh"),
    ("shell", "sudo -n /bin/sh -c 'id -u'"),
    ("su", "sudo -n /usr/bin/su -"),
    ("ausearch_checkpoint", "sudo -n /usr/sbin/ausearch --checkpoint /etc/cron.d/x -m LOGIN"),
    ("ausearch_checkpoint_abbrev", "sudo -n /usr/sbin/ausearch --check=/etc/cron.d/x -m LOGIN"),
    ("usermod_extra_group", f"sudo -n /usr/sbin/usermod -L -G sudo {SECADMIN}"),
    ("usermod_append_sudo", f"sudo -n /usr/sbin/usermod -aG sudo {SECADMIN}"),
    ("sudoedit_sudoers", "sudo -n sudoedit /etc/sudoers"),
    ("sudoedit_traversal", "sudo -n sudoedit /etc/ssh/sshd_config.d/../../sudoers"),
]


@pytest.mark.parametrize("user", [AUDITOR, SECADMIN])
@pytest.mark.parametrize(("name", "command"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_known_escape_is_refused(host, user: str, name: str, command: str) -> None:
    result = as_user(host, user, command)
    assert _refused(result), f"{user} {name}: rc={result.rc} {result.stdout} {result.stderr}"


def test_su_is_refused_to_limited_roles(host) -> None:
    """pam_wheel keeps su for the sudo group (sysadmins)."""
    for user in (AUDITOR, SECADMIN):
        result = as_user(host, user, "su -c 'id -u' root < /dev/null")
        assert result.rc != 0
        assert result.stdout.strip() != "0"


def test_environment_of_an_allowed_command_is_reset(host) -> None:
    """LD_PRELOAD/SYSTEMD_PAGER from the caller's environment never reach the root command."""
    result = as_user(host, SECADMIN, "LD_PRELOAD=/tmp/evil.so SYSTEMD_PAGER=/bin/sh "
                                     "sudo -n /usr/bin/systemctl --no-pager status ssh")
    assert result.rc in (0, 3), result.stderr
    assert "evil.so" not in result.stderr


# --- sudo I/O logs (E12, E13, B28) -------------------------------------------------------------
def test_sudo_sessions_are_recorded_for_the_auditors(host) -> None:
    as_user(host, SECADMIN, "sudo -n /usr/sbin/sshd -t")
    top = host.file("/var/log/sudo-io")
    assert (top.user, top.group, top.mode) == ("root", "bulwark-auditors", 0o750)
    listing = as_user(host, AUDITOR, "sudoreplay -l")
    assert listing.rc == 0, listing.stderr
    assert f" : {SECADMIN} : HOST=" in listing.stdout


def test_sysadmin_ordinary_commands_cannot_touch_the_io_logs(host) -> None:
    for command in ("touch /var/log/sudo-io/x", "ls /var/log/sudo-io",
                    "find /var/log/sudo-io -type f -exec sh -c 'echo x >> {}' ';' -print -quit"):
        result = as_user(host, ADMIN, command)
        assert result.rc != 0, command
