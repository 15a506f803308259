"""The access review lists every authorized_keys line; one that is not a key must not stop it.

Found by the every-check test: a line with an undecodable blob (`… AAAAIE0planted …`) made
the module raise `Incorrect padding`, so the whole review — and the report's B32, B32b, B20b
and B35 — went UNKNOWN on that host, and the accounts role's own review task failed."""

from __future__ import annotations

import base64
import hashlib

from tests.unit.roles.modules import load

review = load("accounts", "bulwark_access_review")

GOOD = "AAAAC3NzaC1lZDI1NTE5AAAAIFp0dpWq2lLzJbq0I7ShNNBz7nDhYw3u3CDmVr9iVq0a"


def test_fingerprint_matches_ssh_keygen_and_rejects_non_base64() -> None:
    expected = "SHA256:" + base64.b64encode(
        hashlib.sha256(base64.b64decode(GOOD)).digest()).decode().rstrip("=")
    assert review.fingerprint(GOOD) == expected
    assert review.fingerprint("AAAAC3NzaC1lZDI1NTE5AAAAIE0planted") is None
    assert review.fingerprint("not*base64") is None


def test_an_unreadable_key_is_listed_flagged_and_not_a_way_in(tmp_path, monkeypatch) -> None:
    import pwd

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "authorized_keys").write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0planted e-plant\n")
    entry = pwd.struct_passwd(("e-plain", "x", 1500, 1500, "", str(home), "/bin/bash"))
    monkeypatch.setattr(review.pwd, "getpwall", lambda: [entry])
    monkeypatch.setattr(review, "read_shadow", lambda: {"e-plain": ["e-plain", "!", "", "", "",
                                                                    "", "", "", ""]})
    monkeypatch.setattr(review, "sudo_rules", lambda: ([], {}))
    monkeypatch.setattr(review, "last_login", lambda uid: None)
    monkeypatch.setattr(review.grp, "getgrall", lambda: [])
    doc = review.review({"admins": [], "departed": ["e-plain"], "uid_min": 1000,
                         "authorized_keys_files": [".ssh/authorized_keys"],
                         "managed_sudoers": "/etc/sudoers.d/bulwark", "declared_sudoers": [],
                         "sudo_group": "sudo"})
    account = next(a for a in doc["accounts"] if a["name"] == "e-plain")
    assert account["keys"][0]["fingerprint"] == "unreadable (not base64)"
    assert account["can_log_in"] is False  # sshd ignores the line; the password is locked
    flags = {(f["flag"], f["account"]) for f in doc["flags"]}
    assert ("undeclared_key", "e-plain") in flags
    assert ("departed_can_log_in", "e-plain") in flags  # a key line is still there: flagged
