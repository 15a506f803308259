"""Access review (B32): every account that can log in, and flags for what is not declared."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import ADMIN, AUDITOR, DEPARTED, SECADMIN

REPO = Path(__file__).resolve().parents[3]
REVIEW = "/var/lib/bulwark/access-review.json"


def _review(host) -> dict:
    return json.loads(host.file(REVIEW).content_string)


def _run_review(ephemeral_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ANSIBLE_FORCE_COLOR", None)
    env.update(ANSIBLE_ROLES_PATH=str(REPO / "roles"), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(ephemeral_dir / "inventory"),
         str(REPO / "playbooks" / "access_review.yml")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def test_review_lists_accounts_roles_keys_and_sudo(host) -> None:
    review = _review(host)
    assert review["schema"] == "bulwark.accounts.access-review/1"
    accounts = {a["name"]: a for a in review["accounts"]}
    assert {ADMIN, SECADMIN, AUDITOR, DEPARTED, "root"} <= set(accounts)
    assert accounts[ADMIN]["role"] == "sysadmin"
    assert accounts[SECADMIN]["role"] == "secadmin"
    assert accounts[AUDITOR]["role"] == "auditor"
    assert accounts[AUDITOR]["second_factor"] == "totp"
    assert accounts[ADMIN]["second_factor"] is None
    ops_key = accounts[ADMIN]["keys"][0]
    assert ops_key["declared"] and ops_key["fingerprint"].startswith("SHA256:")
    assert any(rule["declared"] and "NOPASSWD: ALL" in rule["rule"]
               for rule in accounts[ADMIN]["sudo"])
    assert all("NOEXEC" in rule["rule"] for rule in accounts[AUDITOR]["sudo"])
    leaver = accounts[DEPARTED]
    assert leaver["departed"] and not leaver["can_log_in"]
    assert (leaver["password"], leaver["expired"], leaver["keys"]) == ("locked", True, [])
    for secret in ("GEZDGNBVGY3TQOJQ", "MFRGGZDFMZTWQ2LK"):
        assert secret not in host.file(REVIEW).content_string


def test_review_flags_what_the_inventory_does_not_declare(host) -> None:
    flags = {(f["account"], f["flag"]) for f in _review(host)["flags"]}
    # prepare.yml: the ops key in root's authorized_keys, and a lab sudoers file for ops.
    assert ("root", "undeclared_key") in flags
    assert (ADMIN, "undeclared_sudo_rule") in flags
    assert (DEPARTED, "departed_can_log_in") not in flags


def test_planted_key_and_a_departed_login_are_flagged(host, ephemeral_dir: Path) -> None:
    stranger = (ephemeral_dir / "stranger_ed25519.pub").read_text().strip()
    fingerprint = host.check_output(
        f"echo '{stranger}' | ssh-keygen -lf - | cut -d' ' -f2")
    host.run_expect([0], "useradd -m -s /bin/bash contractor && install -d -m 700 -o contractor "
                         "/home/contractor/.ssh")
    host.run_expect([0], f"echo '{stranger}' > /home/contractor/.ssh/authorized_keys")
    # A departed person whose shell, expiry and key someone restored by hand.
    host.run_expect([0], f"usermod -s /bin/bash -e '' {DEPARTED}")
    host.run_expect([0], f"install -d -m 700 -o {DEPARTED} /home/{DEPARTED}/.ssh && echo "
                         f"'{stranger}' > /home/{DEPARTED}/.ssh/authorized_keys")
    try:
        result = _run_review(ephemeral_dir)
        assert result.returncode == 0, result.stdout + result.stderr
        flags = _review(host)["flags"]
        planted = [f for f in flags if f["account"] == "contractor"]
        assert [f["flag"] for f in planted] == ["undeclared_key"]
        assert fingerprint in planted[0]["detail"]
        departed = [f for f in flags if f["account"] == DEPARTED]
        assert sorted(f["flag"] for f in departed) == ["departed_can_log_in", "undeclared_key"]
    finally:
        host.run(f"userdel -r contractor; usermod -s /usr/sbin/nologin -e 1970-01-02 {DEPARTED}; "
                 f"rm -rf /home/{DEPARTED}/.ssh")
        _run_review(ephemeral_dir)
