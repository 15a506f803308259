"""Evaluate every registered check on every host's evidence: the report's data model.

Besides the checks, every policy control no check covers gets a NOT_APPLICABLE row with the
reason (catalogue.unassessed), so the report never drops a control silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bulwark.report import catalogue, facts, probe
from bulwark.report.controls import REGISTRY, Context, Control, Finding, Status
from bulwark.report.waivers import Waiver


@dataclass
class HostReport:
    name: str
    address: str
    port: int
    evidence: dict[str, Any] | None  # None: nothing could be gathered
    problem: str = ""  # why there is no evidence
    findings: dict[str, Finding] = field(default_factory=dict)
    waivers: dict[str, Waiver] = field(default_factory=dict)  # check id -> waiver applied

    @property
    def counts(self) -> Counter[str]:
        return Counter(str(f.status) for f in self.findings.values())

    def backup_age_hours(self, now: float) -> float | None:
        if self.evidence is None:
            return None
        # The stalest repository decides, as in check F2.
        _, per_repo = facts.last_backup_success(self.evidence)
        return round((now - min(per_repo.values())) / 3600, 1) if per_repo else None


def covered_policies(controls: list[Control] | None = None) -> set[str]:
    return {c.policy for c in controls or REGISTRY}


def run_check(ctl: Control, evidence: dict[str, Any], ctx: Context) -> Finding:
    try:
        return ctl.check(evidence, ctx)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # Evidence in a shape no check expected is reported, never a crash of the report.
        return Finding(Status.UNKNOWN, f"evidence not understood: {type(exc).__name__}: {exc}")


def evaluate(host: HostReport, ctx: Context, controls: list[Control] | None = None,
             waivers: list[Waiver] | None = None, with_catalogue: bool = True) -> HostReport:
    if host.evidence is not None:
        probe.expand(host.evidence)
    for ctl in controls or REGISTRY:
        if host.evidence is None:
            host.findings[ctl.id] = Finding(Status.UNKNOWN, f"no evidence: {host.problem}")
        else:
            host.findings[ctl.id] = run_check(ctl, host.evidence, ctx)
        if host.findings[ctl.id].status == Status.FAIL:
            waiver = next((w for w in waivers or [] if w.applies(ctl.id, ctl.policy, host.name,
                                                                 ctx.now)), None)
            if waiver is not None:
                host.waivers[ctl.id] = waiver
                host.findings[ctl.id] = Finding(
                    Status.WAIVED, f"waived by {waiver.approved_by} until {waiver.expires}: "
                                   f"{waiver.reason} | was: {host.findings[ctl.id].evidence}")
    if with_catalogue:
        for cid, reason in catalogue.unassessed(covered_policies(controls)):
            host.findings[cid] = Finding(Status.NOT_APPLICABLE, f"not assessed: {reason}")
    return host


def totals(hosts: list[HostReport]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for host in hosts:
        counts.update(host.counts)
    return {str(s): counts.get(str(s), 0) for s in Status}
