"""Filters for the accounts role: validation of bulwark_admins (B22, B30)."""

from __future__ import annotations

import re
from collections import defaultdict

_KEY_RE = re.compile(
    r"(?:^|\s)((?:sk-)?(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp\d+)(?:@openssh\.com)?"
    r"(?:-cert-v01@openssh\.com)?)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)"
)


def admin_problems(admins: list[dict], roles: list[str]) -> list[str]:
    """One sentence per problem in bulwark_admins; an empty list means valid.

    A name listed twice is one person with two roles (B30), a key under two names is one
    person with two accounts or a shared account (B22).
    """
    problems: list[str] = []
    roles_of: dict[str, list[str]] = defaultdict(list)
    owners: dict[str, list[str]] = defaultdict(list)
    for admin in admins:
        name = str(admin.get("name", ""))
        role = admin_role(admin)
        if role not in roles:
            problems.append(f"{name}: role '{role}' is not one of {', '.join(roles)}")
        roles_of[name].append(role)
        for line in admin.get("ssh_keys") or []:
            match = _KEY_RE.search(str(line))
            if match and name not in owners[match.group(2)]:
                owners[match.group(2)].append(name)
    for name, listed in roles_of.items():
        if len(listed) > 1:
            problems.append(
                f"{name} is listed {len(listed)} times ({', '.join(listed)}): one person, "
                "one entry and one role (B22, B30)"
            )
    for blob, names in owners.items():
        if len(names) > 1:
            problems.append(
                f"one SSH key (...{blob[-16:]}) is declared for {', '.join(names)}: "
                "one key per person (B22)"
            )
    return problems


def admin_role(admin: dict) -> str:
    """The admin's role; `sysadmin` when none is given."""
    return str(admin.get("role") or "sysadmin")


class FilterModule:
    """Ansible filter registration."""

    def filters(self) -> dict[str, object]:
        return {
            "bulwark_accounts_admin_problems": admin_problems,
            "bulwark_accounts_role": admin_role,
        }
