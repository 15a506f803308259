"""The credential list `scan-creds` tries: vendor defaults from package data, plus --extra.

Vendor defaults come from bulwark/data/default_credentials.yml, the same file the accounts
role uses on the host (one source of truth, policy B23). Declared admins (`bulwark_admins`)
are never tried unless asked: a wrong guess must not count towards an admin's faillock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bulwark.errors import BulwarkError

VENDOR = "vendor"
EXTRA = "extra"
SHARED_LIST = "bulwark/data/default_credentials.yml"  # as named in messages


class CredentialListError(BulwarkError):
    """The credential list cannot be read."""


@dataclass(frozen=True)
class Credential:
    user: str
    password: str
    source: str
    origin: str = VENDOR  # VENDOR (public defaults) or EXTRA (operator-supplied, never shown)

    @property
    def label(self) -> str:
        """What may be shown: `user:source`. Never the password."""
        return f"{self.user}:{self.source}" if self.origin == VENDOR else f"{self.user}:--extra"


def _shared_list() -> Any:
    """The vendor-defaults document shipped as package data (the roles read the same file)."""
    ref = resources.files("bulwark") / "data" / "default_credentials.yml"
    try:
        return yaml.safe_load(ref.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialListError(f"cannot read the vendor credential list: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CredentialListError(f"{SHARED_LIST} is not valid YAML") from exc


def load_default_credentials() -> list[Credential]:
    """Vendor default pairs shipped as package data."""
    return parse_credentials(_shared_list(), where=SHARED_LIST)


def parse_credentials(doc: Any, *, where: str) -> list[Credential]:
    """Entries of a schema-1 credential document (`credentials: [{user, password, source}]`)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("credentials"), list):
        raise CredentialListError(f"{where}: expected a mapping with a 'credentials' list")
    creds = []
    for n, entry in enumerate(doc["credentials"], start=1):
        if not isinstance(entry, dict):
            raise CredentialListError(f"{where}: credentials entry {n} is not a mapping")
        user, password = entry.get("user"), entry.get("password")
        if not isinstance(user, str) or not user:
            raise CredentialListError(f"{where}: credentials entry {n} has no user")
        if not isinstance(password, str):
            # YAML turns `password: 1234` into an int and `password:` into None; the file
            # must quote numbers and spell the empty password as "" so nothing is guessed.
            raise CredentialListError(
                f"{where}: credentials entry {n} ({user}): password must be a quoted string"
            )
        creds.append(Credential(user, password, str(entry.get("source") or "unknown")))
    return creds


def load_extra(path: Path) -> list[Credential]:
    """Operator-supplied pairs, one `user:password` a line (`#` comments, blank lines ok).

    The password is everything after the first colon, so it may itself contain colons; an
    empty password is `user:`. These entries are never printed, only counted.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CredentialListError(f"cannot read --extra file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CredentialListError(f"--extra file {path} is not UTF-8 text") from exc
    creds = []
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip():
            # Do not echo the line: it may hold a real password.
            raise CredentialListError(f"--extra file {path}, line {n}: expected user:password")
        creds.append(Credential(user.strip(), password, f"{path.name}:{n}", origin=EXTRA))
    return creds


def select(
    creds: Iterable[Credential],
    *,
    admins: Iterable[str] = (),
    include_admins: bool = False,
    users: Iterable[str] = (),
) -> list[Credential]:
    """The attempts for one host, in order, without duplicates.

    Admin names are dropped unless `include_admins`; `users`, when given, keeps only those.
    """
    admin_set = set() if include_admins else set(admins)
    only = set(users)
    seen: set[tuple[str, str]] = set()
    chosen = []
    for cred in creds:
        if cred.user in admin_set or (only and cred.user not in only):
            continue
        key = (cred.user, cred.password)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(cred)
    return chosen


def load_vendor_accounts() -> list[str]:
    """Login names vendors ship (`vendor_accounts` in the same data file)."""
    doc = _shared_list()
    names = doc.get("vendor_accounts") if isinstance(doc, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CredentialListError(f"{SHARED_LIST}: 'vendor_accounts' must be a list")
    return names
