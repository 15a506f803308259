"""SHA-256 of files in large chunks on a thread pool (hashlib releases the GIL)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

CHUNK = 1024 * 1024
NOT_REGULAR = "not a regular file"

# One read buffer per hashing thread, reused for every file: a fresh zero-filled buffer per
# file cost more than the hashing itself on a tree of many small files.
_buffers = threading.local()


def _buffer() -> bytearray:
    buf: bytearray | None = getattr(_buffers, "buf", None)
    if buf is None:
        buf = _buffers.buf = bytearray(CHUNK)
    return buf


@dataclass(frozen=True)
class FileDigest:
    """A file's SHA-256 with the size and mtime seen while reading it (None if absent)."""

    sha256: str | None
    size: int = 0
    mtime: datetime | None = None
    error: str | None = None

    @property
    def present(self) -> bool:
        return self.sha256 is not None


def sha256_file(path: str) -> FileDigest:
    """Hash one file; a missing or unreadable file is reported, not raised."""
    try:
        # O_NONBLOCK: a FIFO where a file used to be must not hang the drill.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return FileDigest(None, error="missing")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return FileDigest(None, error=NOT_REGULAR)
        return FileDigest(None, error=exc.strerror or str(exc))
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return FileDigest(None, error=NOT_REGULAR)
        digest = hashlib.sha256()
        buf = _buffer()
        view = memoryview(buf)
        while n := os.readv(fd, [buf]):
            digest.update(view[:n])
        after = os.fstat(fd)
    except OSError as exc:
        return FileDigest(None, error=exc.strerror or str(exc))
    finally:
        os.close(fd)
    # A file written while we read it is reported with the later mtime: "changed".
    mtime = datetime.fromtimestamp(max(before.st_mtime, after.st_mtime), tz=UTC)
    return FileDigest(digest.hexdigest(), size=after.st_size, mtime=mtime)


def sha256_then_delete(path: str) -> FileDigest:
    """Hash a restored file, then delete it: restored customer data lives no longer than its
    check needs (G16), and the deletions spread over the hashing threads instead of one long
    `rm -r` at the end."""
    digest = sha256_file(path)
    with contextlib.suppress(OSError):  # absent, or a directory: remove_tree sweeps the rest
        os.unlink(path)
    return digest


class Hasher:
    """A shared pool so that live-side and restore-side hashing overlap each other and restic."""

    def __init__(self, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers or min(8, (os.cpu_count() or 2) * 2),
            thread_name_prefix="bulwark-hash",
        )

    def submit_all(
        self, paths: Iterable[str], *, delete_after: bool = False
    ) -> dict[str, Future[FileDigest]]:
        """Hash every path on the pool; with delete_after (restored copies only, never the live
        side) each file is deleted once hashed."""
        task = sha256_then_delete if delete_after else sha256_file
        return {p: self._pool.submit(task, p) for p in paths}

    def close(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)
