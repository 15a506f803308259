"""Progress of long restic runs on a terminal, from restic's JSON `status` lines.

Under systemd (INVOCATION_ID / JOURNAL_STREAM set) or when stderr is not a terminal there is no
progress display at all: restic then runs with --quiet and the journal gets one line per step.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from bulwark.backup.execute import ProgressCallback


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def status_line(status: dict[str, Any]) -> str:
    """`  42.0%  1200/5000 files  120.0 MiB/1.2 GiB  ETA 0:31` from a restic status message."""
    percent = float(status.get("percent_done", 0.0)) * 100
    parts = [f"{percent:5.1f}%"]
    if "total_files" in status:
        parts.append(f"{status.get('files_done', 0)}/{status['total_files']} files")
    if "total_bytes" in status:
        done = human_bytes(status.get("bytes_done", 0))
        parts.append(f"{done}/{human_bytes(status['total_bytes'])}")
    remaining = status.get("seconds_remaining")
    if remaining:
        minutes, seconds = divmod(int(remaining), 60)
        parts.append(f"ETA {minutes}:{seconds:02d}")
    return "  ".join(parts)


class TerminalProgress:
    """Rewrites one status line on the terminal; `clear()` before printing anything else."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.width = 0

    def __call__(self, status: dict[str, Any]) -> None:
        line = status_line(status)
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def under_systemd() -> bool:
    return bool(os.environ.get("INVOCATION_ID") or os.environ.get("JOURNAL_STREAM"))


def for_terminal(stream: IO[str] | None = None) -> TerminalProgress | None:
    """A progress display if a person is watching, else None (quiet)."""
    stream = stream or sys.stderr
    if under_systemd() or not stream.isatty():
        return None
    return TerminalProgress(stream)


__all__ = ["ProgressCallback", "TerminalProgress", "for_terminal", "status_line"]
