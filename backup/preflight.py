"""What `run` checks before it touches any repository; `check-config` checks exactly the same.

Sources exist, restic can be started, the password file is readable, non-empty and private,
every env_file parses and is private. Each problem is one InputError line (exit 2); a secret
file that its group can read is a warning (the backup_agent role writes them 0600, so this only
concerns hand-written configs), one that every user can read is refused, as ssh refuses a
private key (the same rule as a database password_file, hooks/postgresql.py).
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from bulwark.backup.config import BackupConfig, check_sources, load_env_file
from bulwark.backup.errors import InputError


def secret_file_warning(path: Path, what: str) -> str | None:
    """Refuse a secret file readable by every user; a warning if its group can read it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # the reader says what is wrong with it (no such file, permission denied)
    if mode & stat.S_IROTH:
        raise InputError(f"{what} {path}: is readable by every user (mode "
                         f"{stat.S_IMODE(mode):04o}); chmod 600 it")
    if mode & stat.S_IRGRP:
        return (f"{what} {path} is readable by its group (mode {stat.S_IMODE(mode):04o}); "
                "chmod 600 it unless that is intended")
    return None


def check_restic_binary(binary: str) -> None:
    if shutil.which(binary) is None:
        where = "not an executable file" if Path(binary).exists() else "not found"
        raise InputError(f"restic_binary {binary}: {where} (install restic: apt-get install "
                         "restic, or fix restic_binary)")


def check_secrets(config: BackupConfig) -> list[str]:
    """Password file and env_files: readable, parseable, private. Returns the warnings."""
    warnings: list[str] = []
    if config.password_file is not None:
        config.check_password()
        warnings.append(secret_file_warning(config.password_file, "password_file") or "")
    for name, repo in config.repositories.items():
        if repo.env_file is not None:
            load_env_file(repo.env_file)
            warnings.append(secret_file_warning(
                repo.env_file, f"repository {name}: env_file") or "")
    return [warning for warning in warnings if warning]


def preflight(config: BackupConfig, *, files: bool = True) -> list[str]:
    """Every check of `run` that needs no repository; returns the warnings to show."""
    if files:
        check_sources(config)
    warnings = check_secrets(config)
    check_restic_binary(config.restic_binary)
    return warnings
