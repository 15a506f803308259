"""One run at a time per set of repositories: an flock on `state_dir/locks/<config-id>.lock`
(`BackupConfig.config_id` hashes the repositories, not the config's path).

The kernel drops an flock when its holder dies, so a run killed mid-way (SIGKILL, OOM, reboot)
never blocks the next one. The restic side of that problem — lock files a dead restic left in
the repository — is handled by the runner (`execute.Restic.run`: `restic unlock` removes only
stale locks, live ones are waited for).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from bulwark.backup.errors import BusyError, InputError


def lock_path(state_dir: Path, config_id: str) -> Path:
    return state_dir / "locks" / f"{config_id}.lock"


@contextlib.contextmanager
def run_lock(state_dir: Path, config_id: str, *, what: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the config's run lock; BusyError names the holder if it stays taken for `wait` s."""
    path = lock_path(state_dir, config_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    except OSError as exc:
        raise InputError(f"state_dir {state_dir}: cannot create lock ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid, _, holder = os.pread(fd, 4096, 0).decode(errors="replace").strip(
                    ).partition(" ")
                    raise BusyError(
                        f"another bulwark backup run on the same repositories is in progress "
                        f"(pid {pid or '?'}{f', {holder}' if holder else ''}); lock {path}"
                    ) from None
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {' '.join(what.split())}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
