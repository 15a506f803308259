"""A private scratch directory for restored data, always removed (policy G16)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bulwark.errors import BulwarkError


def _writable_then_retry(func: object, path: str, _exc: object) -> None:
    # restic restores read-only directories as they were; make them writable to delete them.
    parent = os.path.dirname(path)
    os.chmod(parent, stat.S_IRWXU)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(path)
    else:
        os.unlink(path)


class WorkspaceError(BulwarkError):
    """No private scratch directory can be made for restored data."""


def remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path, onerror=_writable_then_retry)


@contextmanager
def private_workspace(parent: Path | None, prefix: str = "bulwark-drill-") -> Iterator[Path]:
    """mkdtemp (mode 0700) under `parent` or TMPDIR; removed on exit, Ctrl-C included."""
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        where = parent or Path(tempfile.gettempdir())
        raise WorkspaceError(
            f"cannot create a private directory for restored data under {where}: {exc.strerror}"
        ) from None
    try:
        os.chmod(path, 0o700)
        yield path
    finally:
        remove_tree(path)
