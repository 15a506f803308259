"""`restic key add | list | remove`: the repository keys that a password opens (B17, B18).

The password that authenticates always comes from the Target (RESTIC_PASSWORD_FILE); the new
one for `key add` is a file path in argv (`--new-password-file`), never the password itself.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bulwark.backup.errors import BackupError
from bulwark.backup.execute import Restic, Target


class Key(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    current: bool  # the key the password opened the repository with


def list_keys(restic: Restic, target: Target) -> list[Key]:
    """Every key of the repository; opening it proves the target's password works."""
    result = restic.run(target, ["key", "list", "--no-lock"])
    document = result.document()
    if not isinstance(document, list):
        raise BackupError(f"repository {target.name}: `restic key list` printed no key list")
    return [Key(id=str(item["id"]), current=bool(item.get("current"))) for item in document]


def current_key(restic: Restic, target: Target) -> str:
    found = [key.id for key in list_keys(restic, target) if key.current]
    if not found:
        raise BackupError(f"repository {target.name}: restic names no current key")
    return found[0]


def add_key(restic: Restic, target: Target, new_password_file: Path) -> None:
    restic.run(target, ["key", "add", "--new-password-file", str(new_password_file)],
               json_output=False)


def remove_key(restic: Restic, target: Target, key_id: str) -> None:
    restic.run(target, ["key", "remove", key_id], json_output=False)
