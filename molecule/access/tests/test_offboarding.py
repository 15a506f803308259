"""Offboarding (B17-B21): the departed `leaver` keeps nothing that lets them in, and each change
is one JSON line saying who did it and when (E13). Refusals leave the host untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    ADMIN,
    DEPARTED,
    as_user,
    assert_key_login_refused,
    key_path,
    run_playbook_as_admin,
)

QUARANTINE = f"/var/lib/bulwark/quarantine/{DEPARTED}"
LOG = "/var/log/bulwark/accounts.jsonl"
EXPECTED_ACTIONS = {
    "password_locked",
    "account_expired",
    "shell_nologin",
    "group_removed",
    "processes_ended",
    "authorized_keys_quarantined",
    "crontab_disabled",
    "at_job_disabled",
}


def _records(host) -> list[dict]:
    return [json.loads(line) for line in host.file(LOG).content_string.splitlines()]


def test_account_is_locked_expired_and_without_shell(host) -> None:
    fields = host.check_output(f"getent shadow {DEPARTED}").split(":")
    assert fields[1].startswith("!"), "password must be locked"
    assert fields[7] == "1", "account must be expired (1970-01-02)"
    assert host.user(DEPARTED).shell == "/usr/sbin/nologin"
    assert host.user(DEPARTED).exists, "not deleted: bulwark_accounts_departed_remove is off"


def test_account_left_every_access_group(host) -> None:
    groups = set(host.user(DEPARTED).groups)
    assert not groups & {"sudo", "bulwark-ssh", "bulwark-auditors", "bulwark-secadmins", "adm"}


def test_keys_cron_and_at_jobs_are_in_the_root_only_quarantine(host) -> None:
    assert not host.file(f"/home/{DEPARTED}/.ssh/authorized_keys").exists
    assert not host.file(f"/var/spool/cron/crontabs/{DEPARTED}").exists
    assert "leaver" not in host.check_output("atq || true")
    directory = host.file(QUARANTINE)
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)
    names = directory.listdir()
    assert any(n.startswith("authorized_keys.") for n in names), names
    assert any(n.startswith("crontab.") for n in names), names
    assert any(n.startswith("atjob-") for n in names), names
    for name in names:
        evidence = host.file(f"{QUARANTINE}/{name}")
        assert (evidence.user, evidence.mode) == ("root", 0o600)
    keys = next(n for n in names if n.startswith("authorized_keys."))
    assert host.file(f"{QUARANTINE}/{keys}").contains("ssh-ed25519")


def test_running_processes_were_ended(host) -> None:
    assert host.run(f"pgrep -u {DEPARTED}").rc == 1, "no process of the departed may survive"


def test_departed_key_login_is_refused(ephemeral_dir: Path) -> None:
    assert_key_login_refused(DEPARTED, key_path(ephemeral_dir, DEPARTED))


def test_departed_cannot_use_sudo(host) -> None:
    # runuser starts the command directly, so neither the expiry nor nologin is in the way:
    # this checks the sudo rights alone.
    result = host.run(f"runuser -u {DEPARTED} -- /bin/sh -c 'sudo -n true'")
    assert result.rc != 0
    assert "password is required" in result.stderr or "may not run sudo" in result.stderr
    assert "is not allowed to run sudo" in host.check_output(f"sudo -l -U {DEPARTED}")


def test_one_record_per_change_naming_who_and_when(host) -> None:
    log = host.file(LOG)
    assert (log.user, log.group, log.mode) == ("root", "adm", 0o640)
    records = [r for r in _records(host) if r["account"] == DEPARTED]
    assert {r["action"] for r in records} == EXPECTED_ACTIONS
    # The idempotence run wrote nothing: each change is recorded exactly once.
    assert len(records) == len({(r["action"], r["detail"]) for r in records})
    removed = sorted(r["detail"] for r in records if r["action"] == "group_removed")
    assert removed == ["bulwark-ssh", "sudo"]
    for record in records:
        assert record["time"].endswith("+00:00")
        assert record["actor"]["controller_user"]
        assert record["actor"]["controller_host"]
        assert record["actor"]["remote_user"] == "root"  # podman connection, no SSH user
        assert record["host"]


def test_auditor_reads_the_offboarding_record(host) -> None:
    result = as_user(host, "aud1", f"tail -n 1 {LOG}")
    assert result.rc == 0, result.stderr
    assert json.loads(result.stdout)["account"] == DEPARTED


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("connecting_account", "names root or 'ops', the account Ansible connects as"),
        ("both_lists", "aud1 listed in both bulwark_admins and bulwark_accounts_departed"),
        ("shared_key", "is declared for ops, ops2: one key per person (B22)"),
    ],
)
def test_offboarding_refusals_change_nothing(
    host, tmp_path: Path, ephemeral_dir: Path, case: str, message: str
) -> None:
    departed = [DEPARTED, ADMIN] if case == "connecting_account" else [DEPARTED, "aud1"]
    extra: dict[str, object] = {"bulwark_accounts_departed": departed}
    if case == "shared_key":
        ops_key = (ephemeral_dir / "ops_ed25519.pub").read_text().strip()
        extra = {"bulwark_admins": [{"name": ADMIN, "ssh_keys": [ops_key]},
                                    {"name": "ops2", "ssh_keys": [ops_key]}]}
    watched = (LOG, "/etc/shadow", "/etc/group", "/etc/passwd", "/etc/sudoers.d/bulwark-admins")
    before = {path: host.file(path).sha256sum for path in watched}
    result = run_playbook_as_admin(
        tmp_path, key_path(ephemeral_dir, ADMIN), "accounts.yml", extra,
        inventories=(ephemeral_dir / "inventory",),
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert message in output
    assert "changed=0" in output and "unreachable=0" in output
    assert {path: host.file(path).sha256sum for path in watched} == before
