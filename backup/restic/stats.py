"""`restic stats --mode raw-data`: stored size, for backends whose files cannot be listed."""

from __future__ import annotations

from bulwark.backup.execute import Restic, Target


def raw_size(restic: Restic, target: Target) -> int:
    result = restic.run(target, ["stats", "--mode", "raw-data", "--no-lock"])
    document = result.document()
    return int(document.get("total_size", 0)) if isinstance(document, dict) else 0
