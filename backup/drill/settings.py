"""The `drill:` section of the backup config: how much one sampled drill restores and reads.

    drill: {max_files: 500, max_bytes: 536870912, check_slices: 13}

The cadence these defaults are made for is the backup_agent role's: one sampled drill a week
(`bulwark-drill.timer`, Wednesday 04:00) and a full drill a quarter. `restic check
--read-data-subset=n/13` then reads all pack data every 13 weekly drills: the 13th reads the
last slice 84 days after the first, inside any quarter (F9, F28). A sampled drill restores a
stratified sample of at most `max_files` files and `max_bytes` bytes (sampling.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bulwark.backup.drill.sampling import SampleLimits

#: Slices of the pack data: one per weekly drill, so all of it is read once a quarter.
DEFAULT_CHECK_SLICES = 13
#: Days between two sampled drills on the role's schedule, and the period all data is read in.
DRILL_INTERVAL_DAYS = 7
QUARTER_DAYS = 90  # the shortest quarter (January–March of a common year)


class DrillSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_files: Annotated[int, Field(ge=1)] = SampleLimits.max_files
    max_bytes: Annotated[int, Field(ge=1)] = SampleLimits.max_bytes
    check_slices: Annotated[int, Field(ge=1, le=10_000)] = DEFAULT_CHECK_SLICES

    def limits(self) -> SampleLimits:
        return SampleLimits(max_files=self.max_files, max_bytes=self.max_bytes)
