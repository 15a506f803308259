"""Typed errors of the backup layer; each carries the exit code `bulwark backup` returns for it.

All subclass `bulwark.errors.BulwarkError`, so the CLI prints the message as one line and exits
with `exit_code`. `EXIT_CODES` below is the one table of what each code means: the CLI help is
generated from it, and tests/unit/backup/test_exit_codes.py checks that every error class uses
a code in it and that backup/README.md says the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bulwark.errors import BulwarkError

#: Every exit code of `bulwark backup` and what it means (README table and CLI help).
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "a step failed (backup, dump, retention, copy, drill, restore verification; a copy "
       "refused by classification; `immutable`: a bucket that does not enforce "
       "`immutable_days`); the message names step and repository, storage that refuses "
       "(read-only, full, permission denied) "
       "included; or the run succeeded but its status object could not be uploaded",
    2: "usage or configuration error, bad input (config key, duplicate key, retention that keeps "
       "nothing, source path, password file or env_file missing or readable by every user, "
       "restic_binary not found)",
    3: "finished, but a snapshot is incomplete (restic exit 3: the unreadable source files are "
       "named)",
    4: "busy: another run on the same repositories holds the run lock, or a repository stayed "
       "locked by another process for lock_wait seconds",
    130: "interrupted (Ctrl-C)",
    143: "terminated (SIGTERM): restic stopped, the run recorded as interrupted, the run lock "
         "released",
}


class BackupError(BulwarkError):
    """Base of every backup-layer error."""

    exit_code = 1


class ConfigError(BackupError):
    """The config file is missing, unreadable, not YAML, or does not match the schema."""

    exit_code = 2


class InputError(BackupError):
    """Something the config points at is wrong: a source path, the password file, an env_file."""

    exit_code = 2


class BusyError(BackupError):
    """Another run of the same config is in progress."""

    exit_code = 4


class ResticError(BackupError):
    """restic failed. `repository` names the repository (config key) it ran against."""

    exit_code = 1
    reason = "restic failed"

    def __init__(
        self,
        message: str,
        *,
        repository: str | None = None,
        returncode: int = 1,
        result: Any = None,
    ):
        super().__init__(message)
        self.repository = repository
        self.returncode = returncode
        self.result = result  # execute.ResticResult when raised by the runner


class SnapshotIncomplete(ResticError):
    """restic exit 3: a snapshot was written but some source files could not be read."""

    exit_code = 3
    reason = "snapshot incomplete (some source files could not be read)"


class RepositoryNotFound(ResticError):
    """restic exit 10 (or 0.14's "unable to open config file"): no repository at that URL."""

    reason = "no repository at this location (run `bulwark backup init`)"


class RepositoryLocked(ResticError):
    """restic exit 11 (or "unable to create lock"): a live process holds the repository lock."""

    exit_code = 4
    reason = "repository is locked by another process"


class WrongPassword(ResticError):
    """restic exit 12 (or "wrong password or no key found")."""

    reason = "wrong password or no key found"


class CredentialsRejected(WrongPassword):
    """The storage (S3) refused the repository's credentials: its env_file, not the password."""

    reason = "the storage refused the credentials (check the repository's env_file)"


class PasswordUnavailable(ResticError):
    """restic could not obtain the password (password_command failed)."""

    exit_code = 2
    reason = "could not get the repository password (password_command failed)"


class RepositoryUnreachable(ResticError):
    """The repository's endpoint cannot be reached (DNS, connection refused, timeout)."""

    reason = "repository unreachable"


class StorageProblem(ResticError):
    """The repository's storage refuses writes or reads for a reason no wait will fix."""


class RepositoryReadOnly(StorageProblem):
    """restic: "read-only file system" (it would retry its lock for most of a minute)."""

    reason = "the repository's storage is read-only (read-only file system)"


class RepositoryFull(StorageProblem):
    """restic: "no space left on device" (the repository's storage, or restic's cache)."""

    reason = "no space left on the repository's storage or restic's cache (no space left on device)"


class RepositoryPermissionDenied(StorageProblem):
    """restic could not open, read or lock the repository: permission denied."""

    reason = "permission denied on the repository's files (check their owner and mode)"


class DumpFailed(BackupError):
    """A database dump command exited non-zero; its partial snapshot has been forgotten."""

    exit_code = 1


def read_file(path: Path, what: str, *, error: type[BulwarkError] = InputError) -> bytes:
    """The bytes of a file the config points at; a problem is one `error` line naming it:
    "WHAT PATH: no such file" (is a directory, permission denied, cannot read (…))."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "is a directory"
    except PermissionError:
        problem = "permission denied"
    except OSError as exc:
        problem = f"cannot read ({exc.strerror or exc.__class__.__name__})"
    raise error(f"{what} {path}: {problem}")


def read_text_file(path: Path, what: str, *, error: type[BulwarkError] = InputError) -> str:
    """`read_file` for UTF-8 text (config, env_file, a database password): "… not UTF-8 text"."""
    data = read_file(path, what, error=error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {path}: not UTF-8 text") from None
