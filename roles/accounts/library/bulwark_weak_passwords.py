#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""Find accounts whose /etc/shadow hash matches a vendor default password, or is empty.

Read-only: it never changes the host and always returns changed=False (policy B23, B1).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

from ansible.module_utils.basic import AnsibleModule

with warnings.catch_warnings():
    # Python 3.11 deprecates crypt (removed in 3.13); it wraps libxcrypt, which knows
    # yescrypt ($y$) and sha512 ($6$) — exactly what Debian writes to /etc/shadow.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

DOCUMENTATION = r"""
---
module: bulwark_weak_passwords
short_description: Report accounts with vendor default or empty passwords
description:
  - Reads the shadow file and, for every account with a crypt hash, tries the candidate
    passwords for that user plus the generic ones with crypt(3).
  - Locked hashes (leading C(!)) are tested too with the lock marker stripped, so a finding
    stays visible (status C(locked)) after remediation.
  - Never returns a password, only the user, the finding and the data file's C(source).
options:
  credentials:
    description: List of {user, password, source} pairs.
    type: list
    elements: dict
    required: true
  generic_candidates:
    description: List of {password, source} tried against every account with a hash.
    type: list
    elements: dict
    default: []
  shadow_path:
    description: Shadow file to read.
    type: path
    default: /etc/shadow
  passwd_path:
    description: Passwd file to read (only used to tell removed accounts apart).
    type: path
    default: /etc/passwd
  known_findings:
    description: Findings from an earlier call in the same run; merged into C(report).
    type: list
    elements: dict
    default: []
  previous_report:
    description: Report file written by an earlier run; its findings are merged into C(report).
    type: path
"""

RETURN = r"""
findings:
  description: Current findings, one per account, sorted by user.
  type: list
  elements: dict
  sample: [{user: pi, finding: default_password, source: "Raspberry Pi OS", locked: false}]
report:
  description: Current findings merged with known/previous ones, each with a status
    (unlocked, locked, removed, changed).
  type: list
  elements: dict
"""

EMPTY = "empty_password"
DEFAULT = "default_password"


def read_shadow(path: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            if len(fields) >= 2 and fields[0]:
                entries[fields[0]] = fields[1]
    return entries


def read_users(path: str) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        return {line.split(":", 1)[0] for line in handle if ":" in line}


def strip_lock(field: str) -> tuple[str, bool]:
    """Return (hash without lock markers, whether it was locked)."""
    stripped = field.lstrip("!")
    return stripped, stripped != field


def is_crypt_hash(value: str) -> bool:
    return value.startswith("$") and value.count("$") >= 3


def matching_source(
    user: str, hashed: str, credentials: list[dict[str, Any]], generic: list[dict[str, Any]]
) -> str | None:
    candidates = [c for c in credentials if c.get("user") == user and c.get("password")]
    candidates += [g for g in generic if g.get("password")]
    for candidate in candidates:
        if crypt.crypt(str(candidate["password"]), hashed) == hashed:
            return str(candidate.get("source", "unknown"))
    return None


def empty_source(user: str, credentials: list[dict[str, Any]]) -> str:
    for candidate in credentials:
        if candidate.get("user") == user and candidate.get("password") == "":
            return str(candidate.get("source", "empty password"))
    return "empty password field in /etc/shadow"


def scan(
    shadow: dict[str, str],
    credentials: list[dict[str, Any]],
    generic: list[dict[str, Any]],
    known: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Test every account; a known finding whose hash is now locked is reused, not re-hashed."""
    findings: list[dict[str, Any]] = []
    for user, field in sorted(shadow.items()):
        if field == "":
            findings.append(
                {
                    "user": user,
                    "finding": EMPTY,
                    "source": empty_source(user, credentials),
                    "locked": False,
                }
            )
            continue
        hashed, locked = strip_lock(field)
        if not is_crypt_hash(hashed):
            continue
        if locked and known.get(user, {}).get("finding") == DEFAULT:
            findings.append({**known[user], "locked": True})
            continue
        source = matching_source(user, hashed, credentials, generic)
        if source is not None:
            findings.append({"user": user, "finding": DEFAULT, "source": source, "locked": locked})
    return findings


def status_of(user: str, shadow: dict[str, str], users: set[str], current: set[str]) -> str:
    if user not in users or user not in shadow:
        return "removed"
    field = shadow[user]
    if field.startswith(("!", "*")):
        return "locked"
    if user in current or field == "":
        return "unlocked"
    return "changed"


def load_previous(path: str | None) -> list[dict[str, Any]]:
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return [f for f in data.get("findings", []) if isinstance(f, dict) and "user" in f]


def merge_report(
    findings: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
    shadow: dict[str, str],
    users: set[str],
) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for entry in earlier:
        merged[entry["user"]] = {k: entry.get(k) for k in ("user", "finding", "source")}
    for entry in findings:
        merged[entry["user"]] = {k: entry[k] for k in ("user", "finding", "source")}
    current_unlocked = {f["user"] for f in findings if not f["locked"]}
    for user, entry in merged.items():
        entry["status"] = status_of(user, shadow, users, current_unlocked)
    return [merged[user] for user in sorted(merged)]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "credentials": {"type": "list", "elements": "dict", "required": True},
            "generic_candidates": {"type": "list", "elements": "dict", "default": []},
            "shadow_path": {"type": "path", "default": "/etc/shadow"},
            "passwd_path": {"type": "path", "default": "/etc/passwd", "no_log": False},
            "known_findings": {"type": "list", "elements": "dict", "default": []},
            "previous_report": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        shadow = read_shadow(params["shadow_path"])
        users = read_users(params["passwd_path"])
        earlier = load_previous(params["previous_report"]) + list(params["known_findings"])
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read account databases: {exc}")
    known = {f["user"]: f for f in params["known_findings"] if "user" in f}
    findings = scan(shadow, params["credentials"], params["generic_candidates"], known)
    report = merge_report(findings, earlier, shadow, users)
    module.exit_json(changed=False, findings=findings, report=report)


if __name__ == "__main__":
    main()
