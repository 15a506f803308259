"""The access review (B32, B32b, B20b, B35) and classification (G21, F12) checks on the captured
hardened evidence plus the access review document captured from the r-review lab host
(data/access-review.json), each with single changes that must FAIL."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bulwark.report.controls import Context, Status
from bulwark.report.evaluate import HostReport, evaluate
from tests.unit.report.conftest import DATA, load


def _review() -> dict[str, Any]:
    return json.loads((DATA / "access-review.json").read_text(encoding="utf-8"))


def _hardened(review: dict[str, Any] | None = None, **inventory: Any) -> dict[str, Any]:
    ev = load("hardened")
    ev["access_review"] = _review() if review is None else review
    ev["access_review_stored_current"] = True
    ev["inventory"] = {**ev["inventory"], **inventory}
    return ev


def _finding(ev: dict[str, Any], ctx: Context, cid: str) -> tuple[Status, str]:
    found = evaluate(HostReport("h", "127.0.0.1", 22, ev), ctx).findings[cid]
    return found.status, found.evidence


def _flag(review: dict[str, Any], account: str, flag: str, detail: str) -> dict[str, Any]:
    review["flags"].append({"account": account, "flag": flag, "detail": detail})
    return review


def test_declared_access_passes_and_lists_every_login_account(ctx: Context) -> None:
    ev = _hardened()
    status, evidence = _finding(ev, ctx, "B32")
    ops = next(a for a in _review()["accounts"] if a["name"] == "ops")
    assert status is Status.PASS
    assert f"ssh-ed25519 {ops['keys'][0]['fingerprint']}" in evidence
    assert "ops (shell /bin/bash, password none" in evidence and "role sysadmin" in evidence
    assert _finding(ev, ctx, "B32b")[0] is Status.PASS
    assert _finding(ev, ctx, "B20b") == (Status.PASS, "departed accounts disabled: leaver")


def test_stale_stored_review_is_named(ctx: Context) -> None:
    ev = _hardened()
    ev["access_review_stored_current"] = False
    assert "out of date" in _finding(ev, ctx, "B32")[1]


def test_undeclared_key_sudo_rule_and_departed_login_fail(ctx: Context) -> None:
    review = _review()
    _flag(review, "root", "undeclared_key", "ssh-ed25519 SHA256:abc in /root/.ssh/authorized_keys")
    _flag(review, "ops", "undeclared_sudo_rule", "/etc/sudoers.d/zz: ops ALL=(ALL) ALL")
    _flag(review, "leaver", "departed_can_log_in", "shell /bin/bash, password locked")
    ev = _hardened(review)
    status, evidence = _finding(ev, ctx, "B32")
    assert status is Status.FAIL and evidence.startswith("undeclared keys: root: ssh-ed25519")
    status, evidence = _finding(ev, ctx, "B32b")
    assert status is Status.FAIL and "/etc/sudoers.d/zz" in evidence
    status, evidence = _finding(ev, ctx, "B20b")
    assert status is Status.FAIL and "leaver: shell /bin/bash" in evidence


def test_review_that_did_not_run_is_unknown_with_the_reason(ctx: Context) -> None:
    ev = load("hardened")
    ev["access_review_error"] = "MODULE FAILURE: permission denied"
    for cid in ("B32", "B32b", "B20b", "B35"):
        status, evidence = _finding(ev, ctx, cid)
        assert status is Status.UNKNOWN and "permission denied" in evidence, cid


def _with_totp(review: dict[str, Any]) -> dict[str, Any]:
    for account in review["accounts"]:
        if account["name"] == "ops":
            account["second_factor"] = "totp"
    return review


def _sshd_mfa(ev: dict[str, Any], methods: str, pam: bool = True) -> dict[str, Any]:
    head, _, rest = ev["probe"].partition("### sshd ops\n")
    section, sep, tail = rest.partition("### ")
    section = re.sub(r"(?m)^authenticationmethods .*$", f"authenticationmethods {methods}",
                     section)
    ev["probe"] = f"{head}### sshd ops\n{section}{sep}{tail}"
    if pam:
        ev["probe"] = ev["probe"].replace(
            "### file /etc/pam.d/sshd\n",
            "### file /etc/pam.d/sshd\nauth required pam_google_authenticator.so\n")
    return ev


def test_b35_lists_admins_without_a_second_factor(ctx: Context) -> None:
    status, evidence = _finding(_hardened(), ctx, "B35")
    assert status is Status.FAIL
    assert evidence == "admins without a second factor (bulwark_ssh_mfa none): ops (no totp_secret)"


def test_b35_passes_only_when_sshd_and_pam_ask_for_the_code(ctx: Context) -> None:
    ev = _sshd_mfa(_hardened(_with_totp(_review()), ssh_mfa="totp"),
                   "publickey,keyboard-interactive:pam")
    assert _finding(ev, ctx, "B35") == (Status.PASS, "ops key + TOTP")
    # A secret in the inventory but sshd still takes the key alone.
    ev = _sshd_mfa(_hardened(_with_totp(_review()), ssh_mfa="totp"), "publickey")
    status, evidence = _finding(ev, ctx, "B35")
    assert status is Status.FAIL and "ops (sshd AuthenticationMethods publickey)" in evidence
    # sshd asks keyboard-interactive, but PAM has no TOTP module (the password would do).
    ev = _sshd_mfa(_hardened(_with_totp(_review()), ssh_mfa="totp"),
                   "publickey,keyboard-interactive:pam", pam=False)
    status, evidence = _finding(ev, ctx, "B35")
    assert status is Status.FAIL and "no TOTP module in /etc/pam.d/sshd" in evidence
    # The automation account listed as exempt is shown, not failed.
    ev = _hardened(ssh_mfa="totp", ssh_mfa_exempt=["ops"])
    assert _finding(ev, ctx, "B35") == (Status.PASS, "ops exempt (bulwark_ssh_mfa_exempt)")


# --- G21 / F12: classification --------------------------------------------------------------
CONFIG = "### file /etc/bulwark/backup.yml\n"


def _config(ev: dict[str, Any], top: str = "", offsite_cap: str | None = None) -> dict[str, Any]:
    ev["probe"] = ev["probe"].replace(CONFIG, CONFIG + top)
    if offsite_cap:
        ev["probe"] = ev["probe"].replace(
            "    env_file: /etc/bulwark/offsite.env\n",
            f"    env_file: /etc/bulwark/offsite.env\n    max_classification: {offsite_cap}\n")
    return ev


def _tag_drills(ev: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """The captured drill reports as a current drill writes them: with the snapshot's tags."""
    blocks = ev["probe"].split("### ")
    for i, block in enumerate(blocks):
        if block.startswith("drill "):
            head, _, body = block.partition("\n")
            doc = json.loads(body)
            doc["snapshot"]["tags"] = tags
            blocks[i] = f"{head}\n{json.dumps(doc, indent=2)}\n"
    ev["probe"] = "### ".join(blocks)
    return ev


def test_g21_shows_the_level_and_fails_a_repository_below_it(ctx: Context) -> None:
    status, evidence = _finding(load("hardened"), ctx, "G21")
    assert status is Status.PASS
    assert evidence == ("/etc/bulwark/backup.yml: classification internal "
                        "(primary ≤ any, offsite ≤ any)")
    ev = _config(load("hardened"), "classification: confidential\n", offsite_cap="secret")
    status, evidence = _finding(ev, ctx, "G21")
    assert status is Status.FAIL
    assert "the data is confidential, repository offsite may hold at most secret" in evidence
    ev = _config(load("hardened"), "classification: restricted\n")
    status, evidence = _finding(ev, ctx, "G21")
    assert status is Status.FAIL and "'restricted' is not one of" in evidence


def test_g21_without_a_backup_config_fails(ctx: Context) -> None:
    status, evidence = _finding(load("neglected"), ctx, "G21")
    assert (status, evidence) == (Status.FAIL, "no backup config in /etc/bulwark")


def test_f12_reads_the_class_tag_of_every_repository_newest_drill(ctx: Context) -> None:
    ev = _tag_drills(load("hardened"), ["bulwark", "class:internal", "files"])
    status, evidence = _finding(ev, ctx, "F12")
    assert status is Status.PASS and "primary: snapshot 0946f032 class:internal" in evidence
    assert "offsite: snapshot" in evidence
    # The config says secret now, the snapshots were labelled internal.
    ev = _config(_tag_drills(load("hardened"), ["bulwark", "class:internal", "files"]),
                 "classification: secret\n")
    status, evidence = _finding(ev, ctx, "F12")
    assert status is Status.FAIL
    assert "primary: snapshot 0946f032 is labelled class:internal" in evidence
    assert "says class:secret" in evidence
    ev = _tag_drills(load("hardened"), ["bulwark", "files"])
    status, evidence = _finding(ev, ctx, "F12")
    assert status is Status.FAIL and "labelled with no class tag" in evidence


def test_f12_is_unknown_for_drill_reports_that_predate_tags(ctx: Context) -> None:
    status, evidence = _finding(load("hardened"), ctx, "F12")
    assert status is Status.UNKNOWN and "does not record the snapshot's tags" in evidence


def test_captured_review_holds_no_secret() -> None:
    text = (DATA / "access-review.json").read_text()
    assert "totp_secret" not in text and "$y$" not in text
    assert copy.deepcopy(_review())["schema"] == "bulwark.accounts.access-review/1"


def review_checks_seen_failing(ctx: Context) -> set[str]:
    """The access review checks that FAIL on planted reviews (test_every_check_is_seen_failing
    in test_controls.py adds them to the checks it saw failing)."""
    review = _review()
    _flag(review, "root", "undeclared_key", "ssh-ed25519 SHA256:abc in /root/.ssh/authorized_keys")
    _flag(review, "ops", "undeclared_sudo_rule", "/etc/sudoers.d/zz: ops ALL=(ALL) ALL")
    _flag(review, "leaver", "departed_can_log_in", "shell /bin/bash, password locked")
    found = evaluate(HostReport("h", "127.0.0.1", 22, _hardened(review)), ctx).findings
    return {c for c in ("B32", "B32b", "B20b", "B35") if found[c].status is Status.FAIL}


def test_review_checks_are_seen_failing(ctx: Context) -> None:
    assert review_checks_seen_failing(ctx) == {"B32", "B32b", "B20b", "B35"}


def test_c12_accepts_keyboard_interactive_only_as_the_second_factor(ctx: Context) -> None:
    # The ssh role with bulwark_ssh_mfa totp: KbdInteractiveAuthentication yes, asked after a key.
    ev = _hardened()
    ev["probe"] = re.sub(r"(?m)^authenticationmethods .*$",
                         "authenticationmethods publickey,keyboard-interactive:pam", ev["probe"])
    ev["probe"] = ev["probe"].replace("kbdinteractiveauthentication no",
                                      "kbdinteractiveauthentication yes")
    assert _finding(ev, ctx, "C12")[0] is Status.PASS
    # keyboard-interactive on its own (a password typed into PAM) is not key-only.
    ev = _sshd_mfa(_hardened(), "publickey keyboard-interactive")
    ev["probe"] = ev["probe"].replace("kbdinteractiveauthentication no",
                                      "kbdinteractiveauthentication yes")
    status, evidence = _finding(ev, ctx, "C12")
    assert status is Status.FAIL and "user=ops: kbdinteractiveauthentication yes" in evidence


def test_c12_accepts_an_exempt_admins_key_alone_with_keyboard_interactive_on(ctx: Context) -> None:
    # The MFA-exempt admin seen from an exempt source: the Match block says AuthenticationMethods
    # publickey while KbdInteractiveAuthentication stays yes globally (for the others' TOTP).
    ev = _hardened()
    ev["probe"] = re.sub(r"(?m)^authenticationmethods .*$", "authenticationmethods publickey",
                         ev["probe"])
    ev["probe"] = ev["probe"].replace("kbdinteractiveauthentication no",
                                      "kbdinteractiveauthentication yes")
    assert _finding(ev, ctx, "C12")[0] is Status.PASS
    # keyboard-interactive as an alternative to the key (a list without publickey) is not.
    ev = _hardened()
    ev["probe"] = re.sub(r"(?m)^authenticationmethods .*$",
                         "authenticationmethods publickey keyboard-interactive", ev["probe"])
    ev["probe"] = ev["probe"].replace("kbdinteractiveauthentication no",
                                      "kbdinteractiveauthentication yes")
    status, evidence = _finding(ev, ctx, "C12")
    assert status is Status.FAIL and "kbdinteractiveauthentication yes" in evidence
    # PasswordAuthentication yes is drift even behind AuthenticationMethods publickey.
    ev = _hardened()
    ev["probe"] = ev["probe"].replace("passwordauthentication no", "passwordauthentication yes")
    assert _finding(ev, ctx, "C12")[0] is Status.FAIL
