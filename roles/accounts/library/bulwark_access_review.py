#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""Write the access review of a host (B32, B32b): who can log in, with what, and what for.

Per account: shell, password state, expiry, authorised keys with SHA256 fingerprints, sudo
rules, declared role, last login; plus flags for what the inventory does not declare.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import grp
import hashlib
import json
import os
import pwd
import re
import struct
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: bulwark_access_review
short_description: Review who can log in and flag what the inventory does not declare
description:
  - Reads passwd, shadow, group, every authorized_keys, the sudoers files and lastlog, and
    writes one JSON document (schema C(bulwark.accounts.access-review/1)) to I(path).
  - No timestamp in the document, so it only changes when access changes (or someone logs in).
  - Supports check mode (nothing is written; the review is still returned).
options:
  admins:
    description: bulwark_admins as {name, role, ssh_keys, totp (bool)}; never the TOTP secret.
    type: list
    elements: dict
    default: []
  departed:
    description: bulwark_accounts_departed.
    type: list
    elements: str
    default: []
  path:
    description: Where the review is written.
    type: path
    required: true
  managed_sudoers:
    description: The Bulwark sudoers drop-in; its rules are declared.
    type: path
    required: true
  declared_sudoers:
    description: Further sudoers files the inventory declares (e.g. a provisioning rule kept on purpose); their rules are declared.
    type: list
    elements: path
    default: []
  sudo_group:
    description: Group whose stock %group rule is declared for sysadmins.
    type: str
    default: sudo
  uid_min:
    description: First uid of human accounts; these are always listed.
    type: int
    default: 1000
  authorized_keys_files:
    description: Key files relative to the home directory.
    type: list
    elements: str
    default: [.ssh/authorized_keys, .ssh/authorized_keys2]
"""

RETURN = r"""
flags:
  description: What the inventory does not declare (undeclared_key, undeclared_sudo_rule, departed_can_log_in).
  returned: always
  type: list
review:
  description: The whole review document, also in check mode (read by bulwark report).
  returned: always
  type: dict
stored_current:
  description: Whether the file at I(path) already holds this review.
  returned: always
  type: bool
"""

SCHEMA = "bulwark.accounts.access-review/1"
LASTLOG = "/var/log/lastlog"
LASTLOG_RECORD = struct.Struct("=i32s256s")  # time_t (32-bit on disk), line, host
NOLOGIN_SHELLS = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "")
KEY_RE = re.compile(
    r"(?:^|\s)((?:sk-)?(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp\d+)(?:@openssh\.com)?"
    r"(?:-cert-v01@openssh\.com)?)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$"
)
ALIAS_RE = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s")


def fingerprint(blob: str) -> str | None:
    """ssh-keygen's SHA256 fingerprint; None for a blob that is not base64 (sshd ignores
    such a line, but the review still lists it: someone put it there)."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except ValueError:  # binascii.Error: bad padding or characters
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def parse_keys(text: str) -> list[dict[str, str]]:
    keys = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = KEY_RE.search(line.strip())
        if match:
            keys.append({"type": match.group(1), "blob": match.group(2),
                         "comment": (match.group(3) or "").strip()})
    return keys


def read_shadow() -> dict[str, list[str]]:
    entries = {}
    with open("/etc/shadow", encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            entries[fields[0]] = fields
    return entries


def password_state(field: str) -> str:
    if field == "":
        return "empty"
    if field.startswith("!"):
        return "locked"
    if field.startswith("$"):
        return "usable"
    return "none"


def last_login(uid: int) -> dict[str, str] | None:
    try:
        with open(LASTLOG, "rb") as handle:
            handle.seek(uid * LASTLOG_RECORD.size)
            record = handle.read(LASTLOG_RECORD.size)
    except OSError:
        return None
    if len(record) < LASTLOG_RECORD.size:
        return None
    stamp, line, host = LASTLOG_RECORD.unpack(record)
    if stamp <= 0:
        return None
    return {
        "time": datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds"),
        "line": line.rstrip(b"\0").decode(errors="replace"),
        "from": host.rstrip(b"\0").decode(errors="replace"),
    }


def sudoers_files() -> list[str]:
    """/etc/sudoers and the drop-ins sudo reads (no names with '.' or ending in '~')."""
    files = ["/etc/sudoers"]
    for path in sorted(glob.glob("/etc/sudoers.d/*")):
        name = os.path.basename(path)
        if "." not in name and not name.endswith("~") and os.path.isfile(path):
            files.append(path)
    return files


def sudo_rules() -> tuple[list[tuple[str, str, list[str]]], dict[str, list[str]]]:
    """(file, rule text, user list) for every user specification, and the User_Aliases."""
    rules: list[tuple[str, str, list[str]]] = []
    aliases: dict[str, list[str]] = {}
    for path in sudoers_files():
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().replace("\\\n", " ")
        except OSError:
            continue
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(("#include",
                                                                              "@include")) else ""
            if not line or line.startswith("Defaults"):
                continue
            alias = ALIAS_RE.match(line)
            if alias:
                if alias.group(1) == "User_Alias":
                    for part in line[len("User_Alias"):].split(":"):
                        name, _, members = part.partition("=")
                        aliases[name.strip()] = [m.strip() for m in members.split(",")]
                continue
            users = line.split(None, 1)[0]
            rules.append((path, " ".join(line.split()), [u.strip() for u in users.split(",")]))
    return rules, aliases


def applies_to(users: list[str], name: str, groups: set[str], aliases: dict[str, list[str]]
               ) -> bool:
    for user in users:
        if user in ("ALL", name) or (user.startswith("%") and user[1:] in groups):
            return True
        if user in aliases and applies_to(aliases[user], name, groups, aliases):
            return True
    return False


def review(params: dict[str, Any]) -> dict[str, Any]:
    admins = {a["name"]: a for a in params["admins"]}
    departed = set(params["departed"])
    shadow = read_shadow()
    today = int(time.time() // 86400)
    rules, aliases = sudo_rules()
    memberships: dict[str, set[str]] = {}
    for group in grp.getgrall():
        for member in group.gr_mem:
            memberships.setdefault(member, set()).add(group.gr_name)

    accounts = []
    flags = []
    for entry in sorted(pwd.getpwall(), key=lambda e: e.pw_uid):
        name = entry.pw_name
        groups = memberships.get(name, set())
        with contextlib.suppress(KeyError):
            groups.add(grp.getgrgid(entry.pw_gid).gr_name)
        fields = shadow.get(name, [name, "*", "", "", "", "", "", "", ""])
        state = password_state(fields[1])
        expires = fields[7] if len(fields) > 7 else ""
        expired = bool(expires) and int(expires) <= today
        keys = []
        declared_blobs = {k["blob"] for k in parse_keys("\n".join(
            admins.get(name, {}).get("ssh_keys") or []))}
        for relative in params["authorized_keys_files"]:
            path = os.path.join(entry.pw_dir, relative)
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            for key in parse_keys(text):
                found = fingerprint(key["blob"])
                keys.append({"file": path, "type": key["type"],
                             "fingerprint": found or "unreadable (not base64)",
                             "usable": found is not None,
                             "comment": key["comment"],
                             "declared": key["blob"] in declared_blobs})
        shell_ok = entry.pw_shell not in NOLOGIN_SHELLS
        usable_keys = any(k["usable"] for k in keys)
        can_log_in = shell_ok and not expired and (state in ("usable", "empty") or usable_keys)
        human = entry.pw_uid == 0 or (entry.pw_uid >= params["uid_min"] and entry.pw_uid != 65534)
        if not (can_log_in or keys or human or name in admins or name in departed):
            continue
        sudo = []
        for path, rule, users in rules:
            if not applies_to(users, name, groups, aliases):
                continue
            declared = (
                path == params["managed_sudoers"]
                or path in params["declared_sudoers"]
                or name == "root"
                or (rule.startswith(f"%{params['sudo_group']} ")
                    and (admins.get(name, {}).get("role") or "sysadmin") == "sysadmin"
                    and name in admins)
            )
            sudo.append({"file": path, "rule": rule, "declared": declared})
        admin = admins.get(name)
        account = {
            "name": name,
            "uid": entry.pw_uid,
            "shell": entry.pw_shell,
            "password": state,
            "expired": expired,
            "can_log_in": can_log_in,
            "groups": sorted(groups),
            "keys": keys,
            "sudo": sudo,
            "role": (admin.get("role") or "sysadmin") if admin else None,
            "second_factor": "totp" if admin and admin.get("totp") else None,
            "departed": name in departed,
            "last_login": last_login(entry.pw_uid),
        }
        accounts.append(account)
        for key in keys:
            if not key["declared"]:
                flags.append({"account": name, "flag": "undeclared_key",
                              "detail": f"{key['type']} {key['fingerprint']} in {key['file']}"})
        for rule in sudo:
            if not rule["declared"]:
                flags.append({"account": name, "flag": "undeclared_sudo_rule",
                              "detail": f"{rule['file']}: {rule['rule']}"})
        if name in departed and (can_log_in or keys):
            flags.append({"account": name, "flag": "departed_can_log_in",
                          "detail": f"shell {entry.pw_shell}, password {state}, "
                                    f"expired {expired}, {len(keys)} key(s)"})
    return {"schema": SCHEMA, "accounts": accounts, "flags": flags}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "admins": {"type": "list", "elements": "dict", "default": []},
            "departed": {"type": "list", "elements": "str", "default": []},
            "path": {"type": "path", "required": True},
            "managed_sudoers": {"type": "path", "required": True},
            "declared_sudoers": {"type": "list", "elements": "path", "default": []},
            "sudo_group": {"type": "str", "default": "sudo"},
            "uid_min": {"type": "int", "default": 1000},
            "authorized_keys_files": {"type": "list", "elements": "str",
                                      "default": [".ssh/authorized_keys",
                                                  ".ssh/authorized_keys2"]},
        },
        supports_check_mode=True,
    )
    try:
        document = review(module.params)
    except (OSError, ValueError, KeyError) as exc:  # one line for the report, not a traceback
        module.fail_json(msg=f"access review failed: {exc.__class__.__name__}: {exc}")
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    path = module.params["path"]
    try:
        with open(path, encoding="utf-8") as handle:
            changed = handle.read() != text
    except FileNotFoundError:
        changed = True
    if changed and not module.check_mode:
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o750, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".access-review.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o640)
        os.rename(temp, path)
    # `review` lets the compliance report run this in check mode and show the live state;
    # `stored_current` says whether the file on disk still matches it.
    module.exit_json(changed=changed, flags=document["flags"], path=path, review=document,
                     stored_current=not changed)


if __name__ == "__main__":
    main()
