"""Waivers: an approved, dated exception that turns a FAIL into WAIVED for matching hosts.

File format (YAML list)::

    - control: D9            # a check id (D9, C12-root) or a policy id (waives all its checks)
      hosts: lab             # Ansible host pattern, resolved against the report's inventory
      reason: the lab has no internet, so signatures cannot update
      approved_by: security-officer
      expires: 2027-06-30    # the waiver stops applying after this day (UTC)

A waiver past `expires` no longer applies and is listed as expired. Any malformed entry is
one error naming the file and the entry; nothing is half-applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bulwark.errors import BulwarkError
from bulwark.inventory import InventoryError, load_hosts

_FIELDS = ("control", "hosts", "reason", "approved_by", "expires")


class WaiverError(BulwarkError):
    """The waiver file is unreadable or one of its entries is malformed."""


@dataclass(frozen=True)
class Waiver:
    control: str
    hosts: str
    reason: str
    approved_by: str
    expires: dt.date
    matched: frozenset[str] = field(default_factory=frozenset)

    def expired(self, now: float) -> bool:
        return dt.datetime.fromtimestamp(now, dt.UTC).date() > self.expires

    def applies(self, check_id: str, policy: str, host: str, now: float) -> bool:
        return (self.control in (check_id, policy) and host in self.matched
                and not self.expired(now))

    def as_dict(self) -> dict[str, Any]:
        return {"control": self.control, "hosts": self.hosts, "reason": self.reason,
                "approved_by": self.approved_by, "expires": self.expires.isoformat(),
                "matched_hosts": sorted(self.matched)}


def load(path: Path, known_ids: set[str], inventory: Path) -> list[Waiver]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WaiverError(f"waivers {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise WaiverError(f"waivers {path}: not YAML ({str(exc).splitlines()[0]})") from exc
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise WaiverError(f"waivers {path}: expected a list of waivers")
    return [_entry(path, i + 1, raw, known_ids, inventory) for i, raw in enumerate(doc)]


def _entry(path: Path, n: int, raw: Any, known_ids: set[str], inventory: Path) -> Waiver:
    where = f"waivers {path}, entry {n}"
    if not isinstance(raw, dict):
        raise WaiverError(f"{where}: expected a mapping with {', '.join(_FIELDS)}")
    where += f" (control {raw.get('control')!s})"
    missing = [k for k in _FIELDS if raw.get(k) in (None, "")]
    if missing:
        raise WaiverError(f"{where}: missing {', '.join(missing)}")
    unknown_keys = sorted(set(raw) - set(_FIELDS))
    if unknown_keys:
        raise WaiverError(f"{where}: unknown key(s) {', '.join(map(str, unknown_keys))}")
    control = str(raw["control"])
    if control not in known_ids:
        raise WaiverError(f"{where}: unknown control id {control!r}")
    expires = raw["expires"]
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if not isinstance(expires, dt.date):
        try:
            expires = dt.date.fromisoformat(str(expires))
        except ValueError:
            raise WaiverError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") \
                from None
    try:
        matched = frozenset(h.name for h in load_hosts(inventory, str(raw["hosts"])))
    except InventoryError as exc:
        if "no hosts" in str(exc):
            matched = frozenset()
        else:
            raise WaiverError(f"{where}: {exc}") from exc
    return Waiver(control, str(raw["hosts"]), str(raw["reason"]), str(raw["approved_by"]),
                  expires, matched)
