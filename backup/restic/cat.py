"""`restic cat config`: whether a repository exists, and its chunker polynomial."""

from __future__ import annotations

import json
from typing import Any

from bulwark.backup.errors import BackupError, RepositoryNotFound
from bulwark.backup.execute import Restic, Target


def repository_config(restic: Restic, target: Target) -> dict[str, Any] | None:
    """The repository's config document, or None if there is no repository at the URL.

    A wrong password, a lock problem or an unreachable endpoint still raise: only "no repository
    here" means "create it".
    """
    try:
        result = restic.run(target, ["cat", "config", "--no-lock"], json_output=False)
    except RepositoryNotFound:
        return None
    try:
        document = json.loads("\n".join(result.text))
    except json.JSONDecodeError:
        raise BackupError(f"repository {target.name}: `restic cat config` is not JSON") from None
    return document if isinstance(document, dict) else None
