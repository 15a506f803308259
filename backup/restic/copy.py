"""`restic copy --from-repo`: copy this host's snapshots that the destination lacks.

restic matches snapshots itself and skips those already copied, so every run simply asks for
all snapshots of the host. restic 0.14 prints no JSON for copy; the text lines are stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bulwark.backup.execute import ResticResult

_SAVED = re.compile(r"^snapshot ([0-9a-f]{8,64}) saved")
_SKIPPED = re.compile(r"^skipping source snapshot ([0-9a-f]{8,64})")


def copy_args(*, host: str) -> list[str]:
    return ["copy", "--host", host]


@dataclass(frozen=True)
class CopySummary:
    copied: list[str]
    skipped: int


def summary(result: ResticResult) -> CopySummary:
    copied = [m.group(1) for line in result.text if (m := _SAVED.match(line))]
    skipped = sum(1 for line in result.text if _SKIPPED.match(line))
    return CopySummary(copied, skipped)
