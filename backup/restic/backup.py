"""`restic backup`: files or a stdin stream, and the summary restic prints at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypedDict, Unpack

from pydantic import BaseModel, ConfigDict

from bulwark.backup.execute import Producer, Restic, ResticResult, Target

TAG = "bulwark"


class FileOptions(TypedDict, total=False):
    """What a backup of files may leave out (the config's exclude, one_file_system)."""

    excludes: Sequence[str]
    exclude_file: Path | None
    one_file_system: bool


def backup_args(
    paths: Sequence[Path], *, host: str, tags: Sequence[str], **options: Unpack[FileOptions]
) -> list[str]:
    args = ["backup", "--host", host]
    for tag in _tags(tags):
        args += ["--tag", tag]
    for pattern in options.get("excludes", ()):
        args += ["--exclude", pattern]
    exclude_file = options.get("exclude_file")
    if exclude_file is not None:
        args += ["--exclude-file", str(exclude_file)]
    if options.get("one_file_system"):
        args.append("--one-file-system")
    args += ["--", *(str(path) for path in paths)]
    return args


def split_excludes(patterns: Sequence[str]) -> tuple[list[str], list[str]]:
    """(lines for --exclude-file, patterns that must stay --exclude arguments).

    A config may hold more patterns than fit in argv, so they go through a file. restic reads
    that file its own way (lines trimmed, `#` lines and empty lines skipped, `$VAR` expanded,
    `$$` for a literal `$`): `$` is doubled, and a pattern the file cannot carry unchanged
    (leading or trailing blank, leading `#`, a line break) stays an argument.
    """
    lines: list[str] = []
    inline: list[str] = []
    for pattern in patterns:
        if (pattern != pattern.strip() or pattern.startswith("#") or not pattern
                or "\n" in pattern or "\r" in pattern):
            inline.append(pattern)
        else:
            lines.append(pattern.replace("$", "$$"))
    return lines, inline


@contextmanager
def exclude_file(lines: Sequence[str], directory: Path) -> Iterator[Path | None]:
    """A private file holding `lines` for `--exclude-file` (None if there are none)."""
    if not lines:
        yield None
        return
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, prefix=".exclude-", suffix=".txt"
    ) as handle:
        handle.write("\n".join(lines) + "\n")
        handle.flush()
        yield Path(handle.name)


def stdin_args(stdin_filename: str, *, host: str, tags: Sequence[str]) -> list[str]:
    """`backup --stdin`: the stream is stored as `/<stdin_filename>` in the snapshot."""
    args = ["backup", "--stdin", "--stdin-filename", stdin_filename, "--host", host]
    for tag in _tags(tags):
        args += ["--tag", tag]
    return args


def _tags(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([TAG, *tags]))


class BackupSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    snapshot_id: str | None
    data_added: int
    files_new: int
    files_changed: int
    total_files: int
    total_bytes: int


def summary(result: ResticResult) -> BackupSummary:
    """The `summary` message (same fields from restic 0.14 to 0.18)."""
    message = result.last("summary") or {}
    return BackupSummary(
        snapshot_id=message.get("snapshot_id"),
        data_added=int(message.get("data_added", 0)),
        files_new=int(message.get("files_new", 0)),
        files_changed=int(message.get("files_changed", 0)),
        total_files=int(message.get("total_files_processed", 0)),
        total_bytes=int(message.get("total_bytes_processed", 0)),
    )


class StdinBackup(BaseModel):
    """`backup --stdin` fed by a producer: restic's summary and how the producer ended."""

    model_config = ConfigDict(frozen=True)

    summary: BackupSummary
    producer_returncode: int | None
    producer_stderr: str

    @property
    def producer_failed(self) -> bool:
        return self.producer_returncode != 0


def backup(
    restic: Restic, target: Target, paths: Sequence[Path], *, host: str, tags: Sequence[str],
    **options: Unpack[FileOptions],
) -> BackupSummary:
    """Back up `paths`; an incomplete snapshot raises SnapshotIncomplete carrying the result."""
    return summary(restic.run(target, backup_args(paths, host=host, tags=tags, **options)))


def backup_stdin(
    restic: Restic,
    target: Target,
    producer: Producer,
    stdin_filename: str,
    *,
    host: str,
    tags: Sequence[str],
) -> StdinBackup:
    """Back up what `producer` prints. If the producer failed, restic's own verdict is not
    raised: the snapshot it may have saved is partial, and the caller forgets it."""
    result = restic.run(target, stdin_args(stdin_filename, host=host, tags=tags),
                        producer=producer, check=False)
    if result.producer_returncode == 0:
        restic.check(target, result)
    return StdinBackup(summary=summary(result), producer_returncode=result.producer_returncode,
                       producer_stderr=result.producer_stderr)
