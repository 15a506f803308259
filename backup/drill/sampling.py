"""Stratified random sample of a snapshot's files (policy F28: restore tests that mean something).

Strata are (top-level source, size class) so that a drill touches every source and small,
medium and large files alike, instead of a thousand tiny files from the biggest directory.
The sample is deterministic for a given seed; the seed goes into the drill report.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bulwark.backup.restic.ls import SnapshotFile

SMALL_MAX = 64 * 1024
MEDIUM_MAX = 8 * 1024 * 1024


@dataclass(frozen=True)
class SampleLimits:
    """Upper bounds for one sampled drill."""

    max_files: int = 500
    max_bytes: int = 512 * 1024 * 1024


def size_class(size: int) -> str:
    if size <= SMALL_MAX:
        return "small"
    if size <= MEDIUM_MAX:
        return "medium"
    return "large"


def source_of(path: str, sources: Sequence[str]) -> str:
    """The longest configured source that contains `path` (or its top directory)."""
    best = ""
    for source in sources:
        root = source.rstrip("/") or "/"
        inside = root == "/" or path == root or path.startswith(root + "/")
        if inside and len(root) > len(best):
            best = root
    if best:
        return best
    parts = path.strip("/").split("/", 1)
    return "/" + parts[0]


def stratify(
    files: Iterable[SnapshotFile], sources: Sequence[str]
) -> dict[tuple[str, str], list[SnapshotFile]]:
    strata: dict[tuple[str, str], list[SnapshotFile]] = {}
    for f in files:
        strata.setdefault((source_of(f.path, sources), size_class(f.size)), []).append(f)
    return strata


def stratified_sample(
    files: Iterable[SnapshotFile],
    sources: Sequence[str],
    limits: SampleLimits,
    seed: int,
) -> list[SnapshotFile]:
    """Pick files round-robin across shuffled strata until a count or byte limit is reached.

    A file that would exceed the byte budget is passed over (a smaller one from the same
    stratum may still fit), so one huge file cannot starve the other strata.
    """
    rng = random.Random(seed)
    queues: list[list[SnapshotFile]] = []
    for key in sorted(strata := stratify(files, sources)):
        members = sorted(strata[key], key=lambda f: f.path)
        rng.shuffle(members)
        queues.append(members)

    chosen: list[SnapshotFile] = []
    total = 0
    while queues and len(chosen) < limits.max_files:
        still_open: list[list[SnapshotFile]] = []
        for queue in queues:
            if len(chosen) >= limits.max_files:
                break
            while queue:
                candidate = queue.pop()
                if total + candidate.size <= limits.max_bytes:
                    chosen.append(candidate)
                    total += candidate.size
                    break
            if queue:
                still_open.append(queue)
        queues = still_open
    return sorted(chosen, key=lambda f: f.path)
