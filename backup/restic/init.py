"""`restic init`, optionally copying the chunker parameters of another repository.

Copies between repositories that share chunker parameters deduplicate (restic docs, "Copying
snapshots between repositories"), so every secondary repository is created from the primary.
"""

from __future__ import annotations

from bulwark.backup.execute import Restic, Target


def init_args(copy_chunker_params: bool) -> list[str]:
    return ["init", "--copy-chunker-params"] if copy_chunker_params else ["init"]


def init(restic: Restic, target: Target, chunker_source: Target | None = None) -> None:
    """Create the repository; with `chunker_source`, reuse that repository's chunker polynomial."""
    restic.run(
        target,
        init_args(chunker_source is not None),
        source=chunker_source,
        json_output=False,
        retry_lock=False,
    )
