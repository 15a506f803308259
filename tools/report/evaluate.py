"""Evaluate every registered control on every host's evidence: the report's data model."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bulwark.report import facts
from bulwark.report.controls import REGISTRY, Context, Control, Finding, Status


@dataclass
class HostReport:
    name: str
    address: str
    port: int
    evidence: dict[str, Any] | None  # None: nothing could be gathered
    problem: str = ""  # why there is no evidence
    findings: dict[str, Finding] = field(default_factory=dict)

    @property
    def counts(self) -> Counter[str]:
        return Counter(str(f.status) for f in self.findings.values())

    def backup_age_hours(self, now: float) -> float | None:
        if self.evidence is None:
            return None
        # The stalest repository decides, as in check F2: one fresh repository does not
        # make up for another that stopped backing up.
        _, per_repo = facts.last_backup_success(self.evidence)
        return round((now - min(per_repo.values())) / 3600, 1) if per_repo else None


def evaluate(host: HostReport, ctx: Context, controls: list[Control] | None = None) -> HostReport:
    for ctl in controls or REGISTRY:
        if host.evidence is None:
            host.findings[ctl.id] = Finding(Status.UNKNOWN, f"no evidence: {host.problem}")
            continue
        try:
            host.findings[ctl.id] = ctl.check(host.evidence, ctx)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Evidence in a shape no check expected is reported, never a crash of the report.
            host.findings[ctl.id] = Finding(Status.UNKNOWN,
                                            f"evidence not understood: {type(exc).__name__}")
    return host


def totals(hosts: list[HostReport]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for host in hosts:
        counts.update(host.counts)
    return {str(s): counts.get(str(s), 0) for s in Status}
