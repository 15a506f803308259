"""`restic copy --from-repo`: copy this host's snapshots that the destination lacks.

restic matches snapshots itself and skips those already copied, so every run simply asks for
all snapshots of the host. restic 0.14 prints no JSON for copy; the text lines are stable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bulwark.backup.execute import Restic, ResticResult, Target

_SAVED = re.compile(r"^snapshot ([0-9a-f]{8,64}) saved")
_SKIPPED = re.compile(r"^skipping source snapshot ([0-9a-f]{8,64})")


def copy_args(*, host: str) -> list[str]:
    return ["copy", "--host", host]


class CopySummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    copied: list[str]
    skipped: int


def summary(result: ResticResult) -> CopySummary:
    copied = [m.group(1) for line in result.text if (m := _SAVED.match(line))]
    skipped = sum(1 for line in result.text if _SKIPPED.match(line))
    return CopySummary(copied=copied, skipped=skipped)


def copy(
    restic: Restic, target: Target, source: Target, *, host: str, only: Sequence[str] = ()
) -> CopySummary:
    """Copy `host`'s snapshots from `source` into `target`; `only`: extra snapshot filters."""
    result = restic.run(target, [*copy_args(host=host), *only], source=source, json_output=False)
    return summary(result)
