"""The fleet view as a table for people and as JSON for machines.

Every table cell goes through `sanitise.clean`: host names come from object keys and results,
commits and errors from object content, and anyone who can write an object chooses them. JSON
output escapes control characters by itself (`json.dumps`, ASCII only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bulwark.fleet.assess import HostRow, Limits
from bulwark.fleet.sanitise import clean

HEADER = ("HOST", "HARDENED", "RESULT", "COMMIT", "CHANGED", "COMPLIANCE",
          "LAST GOOD BACKUP", "LAST RUN", "LAST PASSING DRILL", "FLAGS")


def summary(rows: Sequence[HostRow]) -> str:
    flagged = sum(1 for row in rows if row.flagged)
    return f"{len(rows)} host{'' if len(rows) == 1 else 's'}, {flagged} flagged"


def table(rows: Sequence[HostRow], now: datetime) -> str:
    """Aligned columns, then the summary line."""
    lines = [HEADER] + [tuple(clean(cell, 200) for cell in _cells(row, now)) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) - 1)]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
        + "  " + line[-1]
        for line in lines
    ]
    return "\n".join([*text, summary(rows)])


def _cells(row: HostRow, now: datetime) -> tuple[str, ...]:
    hardening = row.hardening
    if hardening is None:
        hardened = ("-", "-", "-", "-", "-")
    else:
        compliance = hardening.compliance
        hardened = (
            age(now, hardening.written_at),
            hardening.result,
            (hardening.commit or "-")[:12],
            str(hardening.changed),
            f"{compliance.passed}/{compliance.passed + compliance.failed}" if compliance else "-",
        )
    return (
        row.host,
        *hardened,
        age(now, row.last_good_backup),
        row.last_backup_result or "-",
        age(now, row.last_passing_drill),
        _flags(row),
    )


def as_json(
    rows: Sequence[HostRow], now: datetime, limits: Limits, stores: Sequence[str]
) -> str:
    """One JSON document; each host on one line (json's C encoder: `indent` would make 10,000
    hosts take seconds in the pure-Python one)."""
    flagged = sum(1 for row in rows if row.flagged)
    head = json.dumps(
        {
            "generated_at": now.isoformat(timespec="seconds"),
            "limits": {
                "max_backup_age_hours": limits.max_backup_age_hours,
                "max_drill_age_days": limits.max_drill_age_days,
                "max_hardening_age_hours": limits.max_hardening_age_hours,
                "require_hardening": limits.require_hardening,
            },
            "stores": list(stores),
            "summary": {"hosts": len(rows), "flagged": flagged},
        },
        indent=2,
    )
    hosts = ",\n".join("    " + json.dumps(row.as_dict(now)) for row in rows)
    return f'{head[:-2]},\n  "hosts": [\n{hosts}\n  ]\n}}' if rows else \
        f'{head[:-2]},\n  "hosts": []\n}}'


def age(now: datetime, moment: datetime | None) -> str:
    """"3h ago", "12d ago", "never" (minutes below an hour, hours below two days)."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def _flags(row: HostRow) -> str:
    if not row.flags:
        return "-"
    text = ", ".join(row.flags)
    return f"{text} ({row.error})" if row.error else text
