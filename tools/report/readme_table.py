"""The README's "Where the policy controls are implemented" table, generated from the same
check registry and catalogue the report uses (`python -m bulwark.report.readme_table README.md`
rewrites it; tests/unit/report/test_readme_table.py fails when it is stale)."""

from __future__ import annotations

import sys
from pathlib import Path

from bulwark.report import catalogue
from bulwark.report.controls import REGISTRY
from bulwark.report.evaluate import covered_policies

BEGIN, END = "<!-- controls-table -->", "<!-- controls-table end -->"
TOPICS = {
    # What the checks really see (issue 13): F6 is the weekly database timer where a database
    # is configured (the lab has none: NOT_APPLICABLE); F5 is the quarterly full restore drill's
    # timer, not a separate full backup (every restic snapshot is complete).
    1: "Daily backups with daily/monthly/yearly retention; weekly database timer where a "
       "database is configured; quarterly full restore drill timer",
    2: "Encryption at rest",
    3: "Offsite copies", 4: "Restore drills with verification", 5: "Backup before restore",
    6: "Integrity and labels", 7: "Vendor defaults removed", 8: "Password strength",
    9: "Password ageing", 10: "Account hygiene, least privilege",
    11: "Host firewall, remote access", 12: "Insecure services off", 13: "Patch management",
    14: "Malware protection", 15: "Audit logging",
}


def table() -> str:
    covered = covered_policies()
    lines = ["| Top 15 rank | Checked on every host by `bulwark report` (check ids) | "
             "Implemented by | Policy ids of the rank not assessed on a host (why) |",
             "|---|---|---|---|"]
    for rank, topic in TOPICS.items():
        checks = [c for c in REGISTRY if c.top15 == rank]
        ids = ", ".join(c.id for c in checks) or "—"
        by = "; ".join(dict.fromkeys(c.by for c in checks)) or "—"
        rest = [f"{cid}: {catalogue.reason(cid)}" for cid, e in catalogue.controls().items()
                if e.get("top15") == rank and cid not in covered]
        lines.append(f"| {rank}. {topic} | {ids} | {by} | {'; '.join(rest) or '—'} |")
    others = sorted({c.policy for c in REGISTRY if not c.top15})
    lines.append(f"| other automatable | {len([c for c in REGISTRY if not c.top15])} checks of "
                 f"{', '.join(others)} | see `bulwark report` catalogue | — |")
    return "\n".join(lines)


def rewrite(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
