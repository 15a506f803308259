"""`restic check`: structure always; pack data fully or one rotating slice (policy F9, G37)."""

from __future__ import annotations


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
