"""Which slice of the repository `restic check --read-data-subset` reads today (policy F9).

Slice n of N advances by one per passing check, so the whole repository is read every N
drills: N = `drill.check_slices` (13 by default: one sampled drill a week reads all data once a
quarter, drill/settings.py). A failing slice is not advanced past: the next drill reads it
again until the repository is repaired.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bulwark.errors import BulwarkError

STATE_FILE = "check-slices.json"


class RotationStateError(BulwarkError):
    """The check-slice counter file cannot be read or written."""


def _load(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RotationStateError(f"cannot read check-slice state {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RotationStateError(f"check-slice state {path} is not a JSON object")
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def current_slice(state_dir: Path, repository: str, total: int) -> int:
    """The 1-based slice number to read for `repository` (wraps around at `total`)."""
    counter = _load(state_dir / STATE_FILE).get(repository, 0)
    return counter % total + 1


def advance(state_dir: Path, repository: str) -> None:
    """Move `repository` to its next slice; written atomically."""
    path = state_dir / STATE_FILE
    state = _load(path)
    state[repository] = state.get(repository, 0) + 1
    state_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".check-slices.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RotationStateError(f"cannot write check-slice state {path}: {exc}") from exc
