"""The tags every snapshot of a run carries, and the ones that put a snapshot out of retention.

`bulwark` is always there (restic/backup.py), plus the config's `tags`; `run --keep --reason R`
adds `keep` and `reason:R` (F19, F20, F35: a backup before a risky change, kept for good).
restic copies tags with the snapshot, and retention keeps every snapshot tagged `keep`
(restic/forget.py KEEP_TAGS), so a kept snapshot stays in every repository.
"""

from __future__ import annotations

import re

from bulwark.backup.errors import InputError

KEEP = "keep"
REASON_PREFIX = "reason:"
_REASON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:=@+-]{0,63}$")


def keep_tags(reason: str | None) -> list[str]:
    """`keep` and `reason:<reason>`, or nothing; a reason restic cannot take as a tag is refused."""
    if reason is None:
        return []
    if not _REASON.match(reason):
        raise InputError(
            f"--reason {reason!r}: use 1-64 letters, digits and _ . : = @ + - "
            "(it becomes the snapshot tag reason:…), e.g. pre-patch"
        )
    return [KEEP, f"{REASON_PREFIX}{reason}"]
