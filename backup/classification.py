"""Classification labels (policy F12, G21, G22): the level of the data, and where it may go.

G21's four levels, lowest first: internal (内部公开), secret (秘密), confidential (机密),
top-secret (绝密). The config's `classification` (default internal) is the level of this
host's data; every snapshot a run makes carries `class:<level>`. A repository may declare
`max_classification`, the highest level it may hold:

- the primary receives every snapshot, so a primary below the data's level is a config error;
- a copy to a repository below the data's level is refused before restic starts (one line
  naming both; the run's copy step fails, exit 1) — the data never moves;
- a copy to a repository with `max_classification` only takes snapshots labelled with a level
  it may hold (`restic copy --tag class:…`), so older snapshots labelled higher, or not
  labelled at all, never reach it either.
"""

from __future__ import annotations

from typing import Literal

from bulwark.backup.errors import BackupError

Level = Literal["internal", "secret", "confidential", "top-secret"]
LEVELS: tuple[Level, ...] = ("internal", "secret", "confidential", "top-secret")
TAG_PREFIX = "class:"


class CopyRefused(BackupError):
    """A copy would put data into a repository below its classification (exit 1, nothing moved)."""


def tag(level: Level) -> str:
    return f"{TAG_PREFIX}{level}"


def below(repository_max: Level | None, level: Level) -> bool:
    """True if a repository that may hold at most `repository_max` may not hold `level`."""
    return repository_max is not None and LEVELS.index(repository_max) < LEVELS.index(level)


def copy_filter(level: Level, source: str, target: str, target_max: Level | None) -> list[str]:
    """`restic copy` snapshot filter args for `target`; raises CopyRefused if it is too low."""
    if target_max is None:
        return []
    if below(target_max, level):
        raise CopyRefused(
            f"copy {source} -> {target} refused: the data is classified {level}, "
            f"{target} may hold at most {target_max} (max_classification)"
        )
    allowed = LEVELS[: LEVELS.index(target_max) + 1]
    return [arg for allowed_level in allowed for arg in ("--tag", tag(allowed_level))]
