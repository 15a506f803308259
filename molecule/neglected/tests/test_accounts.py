"""The neglected host after accounts: no default credential left, the admin still gets in."""

from __future__ import annotations

import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sshprobe import (
    ADMIN,
    key_client,
    password_login,
    run_over_ssh,
    shadow_entries,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

VENDOR_ACCOUNTS_IN_IMAGE = ["admin", "pi", "guest"]
# Accounts of the image that can log in with a password: root, the vendor accounts, the admin.
LOGIN_ACCOUNTS = ["root", *VENDOR_ACCOUNTS_IN_IMAGE, ADMIN]
# pam_faillock locks after 5 failures; stay below so a refusal proves the password is dead,
# not that faillock kicked in.
ATTEMPTS_BETWEEN_RESETS = 4


def candidate_pairs(credentials: dict[str, Any], users: set[str]) -> list[tuple[str, str]]:
    pairs = {
        (c["user"], str(c["password"])) for c in credentials["credentials"] if c["user"] in users
    }
    pairs |= {
        (user, str(g["password"]))
        for g in credentials["generic_passwords"]
        for user in LOGIN_ACCOUNTS
        if user in users
    }
    return sorted(pairs)


def test_no_usable_default_or_empty_password_in_shadow(host, credentials):
    shadow = shadow_entries(host)
    weak: list[str] = []
    for user, fields in shadow.items():
        field = fields[1]
        if field == "":
            weak.append(f"{user}: empty password")
            continue
        if not field.startswith("$"):
            continue
        pairs = candidate_pairs(credentials, {user})
        pairs += [(user, str(g["password"])) for g in credentials["generic_passwords"]]
        weak += [f"{user}: default password" for _, pw in pairs if crypt.crypt(pw, field) == field]
    assert weak == []


def test_findings_were_real_and_are_locked(host, credentials):
    """The image's defaults are still under the lock marker: proof the check had work to do."""
    shadow = shadow_entries(host)
    for user, password in [("root", "root"), ("admin", "admin"), ("pi", "raspberry")]:
        field = shadow[user][1]
        assert field.startswith("!"), f"{user} is not locked"
        assert crypt.crypt(password, field[1:]) == field[1:], f"{user} hash changed unexpectedly"
    assert shadow["guest"][1] == "!"


def test_vendor_accounts_locked_with_nologin_and_expired(host):
    shadow = shadow_entries(host)
    for name in VENDOR_ACCOUNTS_IN_IMAGE:
        user = host.user(name)
        assert user.shell == "/usr/sbin/nologin"
        assert shadow[name][1].startswith("!")
        assert shadow[name][7] == "1", f"{name} is not expired"


def test_default_credentials_refused_over_ssh(host, credentials, password_user):
    existing = {
        line.split(":")[0] for line in host.file("/etc/passwd").content_string.splitlines() if line
    }
    pairs = candidate_pairs(credentials, existing)
    assert len(pairs) > 30, "the attack list is suspiciously short"
    # Positive control: sshd does accept passwords on this host (the neglected drop-in).
    assert password_login(*password_user), "password SSH login is broken: the test proves nothing"

    by_user: dict[str, list[str]] = {}
    for user, password in pairs:
        by_user.setdefault(user, []).append(password)

    def attack(user: str) -> list[str]:
        accepted = []
        passwords = by_user[user]
        for start in range(0, len(passwords), ATTEMPTS_BETWEEN_RESETS):
            host.run_expect([0], f"faillock --user {user} --reset")
            accepted += [
                pw
                for pw in passwords[start : start + ATTEMPTS_BETWEEN_RESETS]
                if password_login(user, pw)
            ]
        host.run(f"faillock --user {user} --reset")
        return [f"{user}:{pw!r}" for pw in accepted]

    with ThreadPoolExecutor(max_workers=len(by_user)) as pool:
        accepted = [hit for hits in pool.map(attack, sorted(by_user)) for hit in hits]
    assert accepted == []


def test_weak_password_report(host):
    text = host.file("/var/lib/bulwark/accounts/weak-passwords.json").content_string
    report = json.loads(text)
    assert report["schema"] == "bulwark.accounts.weak-passwords/1"
    found = {f["user"]: f for f in report["findings"]}
    assert set(found) == {"admin", "guest", "pi", "root"}
    assert found["guest"]["finding"] == "empty_password"
    assert found["pi"]["finding"] == "default_password"
    assert all(f["status"] == "locked" for f in found.values())
    assert "raspberry" not in text, "the report must never contain a password"


def test_admin_key_login_and_passwordless_sudo(host, admin_key: Path):
    client = key_client(ADMIN, admin_key)
    try:
        rc, groups = run_over_ssh(client, "id -nG")
        assert rc == 0
        assert {"sudo", "bulwark-ssh"} <= set(groups.split())
        assert run_over_ssh(client, "sudo -n true")[0] == 0
    finally:
        client.close()


def test_admin_exempt_from_ageing(host):
    fields = shadow_entries(host)[ADMIN]
    assert fields[1].startswith("!"), "key-only admin must not have a usable password"
    assert fields[4] == "", "max age on a key-only admin would expire its key logins"
    assert fields[7] == "", "admin account must not expire"
    assert "NOPASSWD" in host.file("/etc/sudoers.d/bulwark-admins").content_string
    assert host.run("visudo -c").rc == 0


def test_key_login_survives_an_old_password_change_date(host, admin_key: Path):
    """Ageing must not lock key-only admins out, even when the last change is years ago."""
    lastchg = shadow_entries(host)[ADMIN][2]
    host.run_expect([0], f"chage -d 2020-01-01 {ADMIN}")
    try:
        client = key_client(ADMIN, admin_key)
        try:
            assert run_over_ssh(client, "sudo -n true")[0] == 0
        finally:
            client.close()
    finally:
        host.run_expect([0], f"chage -d {lastchg} {ADMIN}")


def test_login_defs_and_useradd_ageing(host):
    login_defs = host.file("/etc/login.defs")
    for line in (
        "PASS_MAX_DAYS\t30",
        "PASS_MIN_DAYS\t1",
        "PASS_WARN_AGE\t7",
        "ENCRYPT_METHOD\tYESCRYPT",
        "SHA_CRYPT_MIN_ROUNDS\t65536",
        "SHA_CRYPT_MAX_ROUNDS\t65536",
    ):
        assert login_defs.contains(f"^{line}$"), line
    assert host.file("/etc/default/useradd").contains("^INACTIVE=30$")


def test_new_account_gets_the_ageing(host, password_user):
    fields = shadow_entries(host)[password_user[0]]
    assert fields[1].startswith("$y$"), "new passwords must be yescrypt"
    assert (fields[3], fields[4], fields[5], fields[6]) == ("1", "30", "7", "30")


def test_pwquality_rejects_short_and_accepts_strong(host, password_user):
    user = password_user[0]
    short = host.run(f"printf '%s:%s\\n' {user} abc12345 | chpasswd")
    assert short.rc != 0
    assert "shorter than 9" in short.stderr + short.stdout
    letters_only = host.run(f"printf '%s:%s\\n' {user} Mqzkwtrplvnx | chpasswd")
    assert letters_only.rc != 0
    assert host.run(f"printf '%s:%s\\n' {user} Tq8vNw3zLr6p | chpasswd").rc == 0


def test_pwhistory_refuses_reuse(host, password_user):
    user, password = password_user
    assert host.run(f"printf '%s:%s\\n' {user} Hz4rWq9mVb2k | chpasswd").rc == 0
    reuse = host.run(f"printf '%s:%s\\n' {user} {password} | chpasswd")
    assert reuse.rc != 0
    assert "already used" in reuse.stderr + reuse.stdout


def test_faillock_locks_after_five_failures(host, password_user):
    user, password = password_user
    assert password_login(user, password)
    for _ in range(5):
        assert not password_login(user, "WrongGuess123")
    tally = host.run(f"faillock --user {user}").stdout.splitlines()
    assert sum(1 for line in tally if line.rstrip().endswith(" V")) >= 5, tally
    assert not password_login(user, password), "the right password must fail while locked"
    host.run_expect([0], f"faillock --user {user} --reset")
    assert password_login(user, password)


def test_su_limited_to_sudo_group(host):
    su_lines = [line.split() for line in host.file("/etc/pam.d/su").content_string.splitlines()]
    assert ["auth", "required", "pam_wheel.so", "group=sudo"] in su_lines
