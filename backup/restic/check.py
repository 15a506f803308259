"""`restic check`: structure always; pack data fully or one rotating slice (policy F9, G37)."""

from __future__ import annotations

from bulwark.backup.execute import Restic, Target
from bulwark.backup.restic.outcome import Outcome


def check_args(
    *, read_all: bool, slice_n: int | None = None, slices: int | None = None
) -> list[str]:
    """`check --read-data` or `check --read-data-subset=n/N`; structure only without either."""
    if read_all:
        return ["check", "--read-data"]
    if slice_n is not None and slices is not None:
        if not 1 <= slice_n <= slices:
            raise ValueError(f"slice {slice_n} is outside 1..{slices}")
        return ["check", f"--read-data-subset={slice_n}/{slices}"]
    return ["check"]


def check(
    restic: Restic, target: Target, *, read_all: bool, slice_n: int | None = None,
    slices: int | None = None, raise_error: bool = True,
) -> Outcome:
    """Check the repository; a failed check raises the classified error unless `raise_error`
    is off (the drill reports what the check found instead)."""
    args = check_args(read_all=read_all, slice_n=slice_n, slices=slices)
    result = restic.run(target, args, json_output=False, check=raise_error)
    return Outcome.of("check", target, result)
