"""SIGTERM is handled like Ctrl-C (SIGINT) by every `bulwark backup` command.

`timeout`, cron wrappers, `kill` and systemd send SIGTERM. Python's default would end the
process at once: no run record, no status object, the run lock file left claiming a dead pid,
and restic orphaned, still writing to the repository. Raising `Terminated` (a KeyboardInterrupt)
instead makes the same clean-up paths as Ctrl-C run: the runner stops restic (execute.py), the
run is recorded as interrupted, the lock is released, and the CLI prints one line and exits 143.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""

    exit_code = EXIT_TERMINATED
    signal_name = "SIGTERM"


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Only the first one interrupts: a second SIGTERM must not cut the clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def handle_sigterm() -> None:
    """From now on, SIGTERM raises `Terminated` in the main thread."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def interruption(exc: BaseException | None) -> str | None:
    """"interrupted by SIGTERM" / "interrupted (Ctrl-C)" for an interruption, else None."""
    if isinstance(exc, Terminated):
        return "interrupted by SIGTERM"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return None
