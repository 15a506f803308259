#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""Read apt's sources (one-line `.list` and deb822 `.sources`) and say what a Debian host lacks.

Read-only: always changed=False. The role writes the missing suites and comments out the
duplicate lines with builtin modules, so check mode and diff work as everywhere else (D1, A4).
"""

from __future__ import annotations

import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: bulwark_apt_sources
short_description: Report the Debian suites apt is configured for, the missing ones and duplicates
description:
  - Parses C(sources.list), C(sources.list.d/*.list) and C(sources.list.d/*.sources) below
    I(etc_apt), ignoring I(managed_path) (the file the role itself writes).
  - The Debian mirror is the first C(deb) URI serving I(codename); I(pockets) missing from
    every file are returned in C(missing).
  - A one-line C(deb) entry whose URI, suite and components are all listed in a deb822 file
    too is a duplicate (apt warns "configured multiple times" and downloads it once).
options:
  codename:
    description: Release codename of the host (bookworm).
    type: str
    required: true
  pockets:
    description: Suites the host needs besides I(codename), as suffixes (security, updates).
    type: list
    elements: str
    default: [security, updates]
  managed_path:
    description: The deb822 file the role writes; its entries do not count as configured.
    type: path
    required: true
  etc_apt:
    description: apt's configuration directory.
    type: path
    default: /etc/apt
"""

RETURN = r"""
mirror:
  description: The Debian mirror URI the host installs I(codename) from ('' when none).
  type: str
components:
  description: The components the host installs I(codename) from (main when none).
  type: list
configured:
  description: Suites listed by deb entries outside I(managed_path), with their URIs.
  type: dict
missing:
  description: The suites of I(pockets) that no file lists.
  type: list
duplicates:
  description: One-line entries repeated by a deb822 file (file, line, duplicate_of).
  type: list
"""

_ONE_LINE = re.compile(r"^\s*(deb|deb-src)\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)\s*$")


def _norm(uri: str) -> str:
    return uri.rstrip("/")


def one_line_entries(path: str, text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        m = _ONE_LINE.match(line.split("#", 1)[0])
        if m is None:
            continue
        entries.append({"file": path, "line": line, "type": m.group(1), "uris": [m.group(3)],
                        "suites": [m.group(4)], "components": m.group(5).split()})
    return entries


def deb822_entries(path: str, text: str) -> list[dict[str, Any]]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if not fields.get("uris") or fields.get("enabled", "yes").lower() == "no":
            continue
        for kind in fields.get("types", "deb").split():
            entries.append({"file": path, "line": "", "type": kind,
                            "uris": fields["uris"].split(),
                            "suites": fields.get("suites", "").split(),
                            "components": fields.get("components", "").split()})
    return entries


def read_entries(etc_apt: str, managed_path: str) -> list[dict[str, Any]]:
    paths = [os.path.join(etc_apt, "sources.list")]
    parts = os.path.join(etc_apt, "sources.list.d")
    if os.path.isdir(parts):
        paths += sorted(os.path.join(parts, n) for n in os.listdir(parts)
                        if n.endswith((".list", ".sources")))
    entries: list[dict[str, Any]] = []
    for path in paths:
        if os.path.realpath(path) == os.path.realpath(managed_path) or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        parse = deb822_entries if path.endswith(".sources") else one_line_entries
        entries += parse(path, text)
    return entries


def analyse(entries: list[dict[str, Any]], codename: str, pockets: list[str]) -> dict[str, Any]:
    debs = [e for e in entries if e["type"] == "deb"]
    configured: dict[str, list[str]] = {}
    for entry in debs:
        for suite in entry["suites"]:
            configured.setdefault(suite, [])
            configured[suite] += [u for u in entry["uris"] if u not in configured[suite]]
    main_entry = next((e for e in debs if codename in e["suites"]), None)
    mirror = main_entry["uris"][0] if main_entry else ""
    components = main_entry["components"] if main_entry else ["main"]
    missing = [f"{codename}-{p}" for p in pockets if f"{codename}-{p}" not in configured]
    in_deb822 = {(_norm(u), s, c): e["file"] for e in debs if e["file"].endswith(".sources")
                 for u in e["uris"] for s in e["suites"] for c in e["components"]}
    duplicates = []
    for entry in entries:
        if entry["file"].endswith(".sources") or entry["type"] != "deb":
            continue
        keys = [(_norm(entry["uris"][0]), entry["suites"][0], c) for c in entry["components"]]
        if keys and all(k in in_deb822 for k in keys):
            duplicates.append({"file": entry["file"], "line": entry["line"],
                               "duplicate_of": in_deb822[keys[0]]})
    return {"mirror": mirror, "components": components, "configured": configured,
            "missing": missing, "duplicates": duplicates}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "codename": {"type": "str", "required": True},
            "pockets": {"type": "list", "elements": "str", "default": ["security", "updates"]},
            "managed_path": {"type": "path", "required": True},
            "etc_apt": {"type": "path", "default": "/etc/apt"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        entries = read_entries(p["etc_apt"], p["managed_path"])
    except OSError as exc:
        module.fail_json(msg=f"cannot read apt sources below {p['etc_apt']}: {exc}")
    module.exit_json(changed=False, **analyse(entries, p["codename"], p["pockets"]))


if __name__ == "__main__":
    main()
