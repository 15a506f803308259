"""The policy catalogue (data/policy_controls.json, generated from policy-controls.md) and the
reasons for the controls no host check covers: the report lists them, never drops them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# Controls the roles or tools implement but whose effect cannot be read on the host, or that
# Bulwark does not implement although a row of the README once suggested it.
_REASONS: dict[str, str] = {
    "A5": "organisational: licensing and approval of software are not visible on a host",
    "A7": "host name and IP drift needs the previous inventory: see molecule tests",
    "A7b": "host name and IP drift needs the previous inventory: see molecule tests",
    "A8": "not implemented by Bulwark (mkfs/fdisk are root-only on Debian already)",
    "A10": "no console screen lock on headless servers; see A11 for idle sessions",
    "A13": "this report is the monthly inspection record; its schedule is on the management "
           "host (role compliance_report), not on the inspected host",
    "A15": "organisational: maintenance is a process; A13's monthly report is its record",
    "B2": "organisational (desktop password use)",
    "B8": "not implemented: database password rules are not enforced by Bulwark",
    "B13": "covered by the stricter B11/B12 checks (30 and 15 days)",
    "B17": "organisational: rotation when an admin leaves is an event, not a host state",
    "B24": "organisational: break-glass custody (root's password is reported by B23)",
    "B31": "database roles are not managed by Bulwark; backups run as root only",
    "C1": "network design outside a host", "C2": "network design outside a host",
    "E24": "the policy states no log retention period (journald keeps 180 days, see E1)",
    "F10": "offline copies are a media process; Bulwark keeps offsite copies (F11)",
    "F14": "separation from primary data is checked as F13",
    "F20": "pre-restore snapshots are kept by the retention code (--keep-tag pre-restore)",
    "G1": "application data encryption is outside Bulwark; backups: see F7",
    "G2": "application data encryption is outside Bulwark; backups: see F7",
    "G4": "application data encryption is outside Bulwark; backups: see F7",
    "G16": "the drill deletes its restore copy itself (tests/integration/drill)",
    "G37": "disk health (SMART) is not visible from a container; not implemented",
}
_DEFAULT_REASON = "organisational or physical control: not observable on a host"


@cache
def controls() -> dict[str, dict[str, Any]]:
    text = resources.files("bulwark.report").joinpath("data/policy_controls.json").read_text(
        encoding="utf-8")
    data: dict[str, dict[str, Any]] = json.loads(text)
    return data


def entry(policy_id: str) -> dict[str, Any]:
    return controls()[policy_id]


def reason(policy_id: str) -> str:
    return _REASONS.get(policy_id, _DEFAULT_REASON)


def unassessed(covered: set[str]) -> list[tuple[str, str]]:
    """(policy id, reason) for every policy control no check covers, in policy order."""
    return [(cid, reason(cid)) for cid in controls() if cid not in covered]
