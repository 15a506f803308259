"""Secret files that systemd hands to a service: `$CREDENTIALS_DIRECTORY/<name>`.

With `LoadCredentialEncrypted=NAME:/etc/bulwark/credentials/NAME.cred` (systemd >= 250) a unit
gets its secrets decrypted into a private directory that only exists while it runs, and names
that directory in `$CREDENTIALS_DIRECTORY`; nothing readable is left on disk (B17/G3). The
config therefore accepts a secret path that starts with the variable:

    password_file: ${CREDENTIALS_DIRECTORY}/restic.pass      # or $CREDENTIALS_DIRECTORY/…
    repositories: {offsite: {env_file: $CREDENTIALS_DIRECTORY/offsite.env, …}}

It is expanded when the config is loaded, i.e. in the process that runs; outside such a unit
(an admin's shell, cron) the variable is unset and the config is refused with one line that
says how to run the command instead. No other variable is expanded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VARIABLE = "CREDENTIALS_DIRECTORY"
_REFERENCE = re.compile(r"^\$(?:\{CREDENTIALS_DIRECTORY\}|CREDENTIALS_DIRECTORY)(?=/|$)")


def is_reference(value: object) -> bool:
    """True for a path written as `$CREDENTIALS_DIRECTORY/…` or `${CREDENTIALS_DIRECTORY}/…`."""
    return isinstance(value, str) and _REFERENCE.match(value) is not None


def expand(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """`value` with a leading credentials-directory reference replaced; other values unchanged.

    Raises ValueError (one line, for the config's file:line message) when the variable is unset
    or not an absolute path.
    """
    if not is_reference(value):
        return value
    directory = (os.environ if environ is None else environ).get(VARIABLE, "")
    if not directory:
        raise ValueError(
            f"{value} names a systemd credential but ${VARIABLE} is not set: run this command "
            "in a unit that loads the credentials (e.g. systemctl start bulwark-backup.service)"
        )
    if not directory.startswith("/"):
        raise ValueError(f"${VARIABLE} {directory!r} is not an absolute path")
    return _REFERENCE.sub(lambda _: directory.rstrip("/"), value, count=1)


def holds(path: Path, environ: Mapping[str, str] | None = None) -> bool:
    """True when `path` is inside the running unit's credentials directory (read-only)."""
    directory = (os.environ if environ is None else environ).get(VARIABLE, "")
    return bool(directory) and path.is_relative_to(directory)
