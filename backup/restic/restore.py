"""`restic restore`: a snapshot, whole or a list of exact files, into a directory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from bulwark.backup.execute import Restic, Target
from bulwark.backup.restic.outcome import Outcome

# restic matches --include patterns component-wise with Go's filepath.Match, where a backslash
# escapes the next character. Exact file names must therefore escape the glob metacharacters.
_GLOB_SPECIAL = "\\*?["

# Keep each argv far below ARG_MAX and restic 0.14's per-node pattern matching cheap.
INCLUDE_BATCH = 400


def exact_pattern(path: str) -> str:
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in path)


def restore_args(
    snapshot: str,
    target: str,
    *,
    includes: Sequence[str] = (),
    exact: bool = True,
    verify: bool = False,
) -> list[str]:
    """`restore <snapshot> --target DIR [--include P]… [--verify]`."""
    args = ["restore", snapshot, "--target", target]
    for path in includes:
        args += ["--include", exact_pattern(path) if exact else path]
    if verify:
        args.append("--verify")
    return args


def restore(
    restic: Restic,
    target: Target,
    snapshot: str,
    into: Path,
    *,
    includes: Sequence[str] = (),
    verify: bool = False,
) -> Outcome:
    """Restore `snapshot` (or only the exact files `includes`) below `into`; the caller judges
    the outcome, because a restore that failed for some files still restored the others."""
    args = restore_args(snapshot, str(into), includes=includes, verify=verify)
    return Outcome.of("restore", target, restic.run(target, args, json_output=False, check=False))


def batches(paths: Sequence[str], size: int = INCLUDE_BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(paths), size):
        yield paths[start : start + size]
