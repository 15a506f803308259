"""The check registry: every host check the report runs, keyed by a check id.

A check id is a policy id (``C12``) or a policy id with a suffix (``C12-root``) when one
control needs several checks. Titles, quotes and sources come from the policy catalogue
(``catalogue.py``, generated from ../shared/policy/policy-controls.md). A check reads one
host's evidence and returns PASS / FAIL / NOT_APPLICABLE / UNKNOWN with the evidence that
decided it. The checks themselves live in ``checks_*.py``; importing this module loads them.
Policy controls that no check covers are listed by ``catalogue.unassessed()`` with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulwark.report import catalogue


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    UNKNOWN = "UNKNOWN"
    WAIVED = "WAIVED"


@dataclass(frozen=True)
class Finding:
    status: Status
    evidence: str


@dataclass(frozen=True)
class Thresholds:
    """Numbers the policy gives (strictest where it conflicts) or the project chose."""

    max_backup_age_hours: float = 26.0  # F2 daily backups, plus a scheduling margin
    max_drill_age_days: float = 92.0  # F28 gives no number; quarterly is a project choice
    max_password_days: int = 30  # B11: at most one month
    max_admin_password_days: int = 15  # B12: admins every fifteen days
    max_password_days_ceiling: int = 180  # B14: at most half a year
    admin_password_minlen: int = 9  # B6: longer than 8 characters
    max_signature_age_hours: float = 26.0  # D7: daily signature updates
    max_idle_seconds: int = 900  # A11 gives no number; the baseline role's default


@dataclass(frozen=True)
class Context:
    now: float
    vendor_accounts: frozenset[str]
    thresholds: Thresholds = field(default_factory=Thresholds)


Check = Callable[[dict[str, Any], Context], "Finding"]


@dataclass(frozen=True)
class Control:
    id: str  # check id, unique
    policy: str  # policy control id
    top15: int | None  # rank in the policy's Top 15, None for "other automatable"
    title: str
    quote: str
    source: str  # file and line of the quote
    family: str
    by: str  # what implements it (role, tool)
    check: Check


    @property
    def roles(self) -> frozenset[str]:
        """The Ansible roles (or `backup_agent` for the backup tool) whose work this checks."""
        found = {r for r in ROLES if re.search(rf"\b{r}\b", self.by)}
        if "bulwark backup" in self.by:
            found.add("backup_agent")
        return frozenset(found)


# Role names as in roles/: a Molecule scenario asks for the checks of the roles it converged.
ROLES = ("accounts", "audit", "backup_agent", "baseline", "firewall", "intrusion", "kernel",
         "logging", "patching", "services", "ssh", "timesync")

REGISTRY: list[Control] = []


def for_roles(roles: set[str]) -> list[Control]:
    """The checks whose implementing roles all are among `roles` (a check that needs the work
    of a role outside them, e.g. C20's listeners of the services role against the firewall
    role's allowed ports, is left out: a scenario that did not converge that role cannot pass
    it). Unknown role names: ValueError naming them."""
    unknown_roles = sorted(roles - set(ROLES))
    if unknown_roles:
        raise ValueError(f"unknown role(s): {', '.join(unknown_roles)} (roles: {', '.join(ROLES)})")
    return [c for c in REGISTRY if c.roles and c.roles <= roles]


def control(id: str, title: str, *, by: str) -> Callable[[Check], Check]:
    """Register a check. `id` is POLICY or POLICY-suffix; `by` names what implements it."""
    policy = id.split("-", 1)[0]
    entry = catalogue.entry(policy)  # KeyError for an id the policy does not have

    def register(fn: Check) -> Check:
        if any(c.id == id for c in REGISTRY):
            raise ValueError(f"check id {id} registered twice")
        REGISTRY.append(Control(id, policy, entry.get("top15"), title, entry["quote"],
                                entry["source"], entry["family"], by, fn))
        return fn
    return register


def ok(evidence: str) -> Finding:
    return Finding(Status.PASS, evidence)


def fail(evidence: str) -> Finding:
    return Finding(Status.FAIL, evidence)


def unknown(evidence: str) -> Finding:
    return Finding(Status.UNKNOWN, evidence)


def na(evidence: str) -> Finding:
    return Finding(Status.NOT_APPLICABLE, evidence)


def verdict(problems: list[str], passed: str) -> Finding:
    """FAIL naming every problem, or PASS with `passed` when there is none."""
    return fail("; ".join(problems)) if problems else ok(passed)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def by_id() -> dict[str, Control]:
    return {c.id: c for c in REGISTRY}


# Importing the check modules registers their checks (order = report order).
from bulwark.report import checks_access as _checks_access  # noqa: E402,F401
from bulwark.report import checks_backup as _checks_backup  # noqa: E402,F401
from bulwark.report import checks_classification as _checks_classification  # noqa: E402,F401
from bulwark.report import checks_network as _checks_network  # noqa: E402,F401
from bulwark.report import checks_review as _checks_review  # noqa: E402,F401
from bulwark.report import checks_system as _checks_system  # noqa: E402,F401
