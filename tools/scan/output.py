"""Render scan results: a fixed-width table for people, JSON for machines.

Passwords are never printed, not even public vendor defaults: a credential is shown as
`user:source` (where the default comes from), and `--extra` entries only as `user:--extra`.
The JSON says whether the password tried was empty, because B1 (no empty passwords) needs it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bulwark.scan.credentials import VENDOR, Credential
from bulwark.scan.scanner import HostResult

SCHEMA_VERSION = 1
_HEADERS = ("HOST", "PORT", "RESULT", "ACCEPTED CREDENTIALS", "DETAIL")


def table(results: Sequence[HostResult]) -> str:
    rows = [
        (r.host.name, str(r.host.port), str(r.status),
         "; ".join(c.label for c in r.accepted) or "-", r.detail)
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(_HEADERS)]
    lines = [_row(_HEADERS, widths)] + [_row(row, widths) for row in rows]
    return "\n".join(lines)


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _credential(cred: Credential) -> dict[str, Any]:
    doc: dict[str, Any] = {"user": cred.user, "origin": cred.origin,
                           "empty_password": cred.password == ""}
    if cred.origin == VENDOR:
        doc["source"] = cred.source
    return doc


def to_json(results: Sequence[HostResult], exit_code: int) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "bulwark.scan-creds",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "exit_code": exit_code,
        "hosts": [
            {
                "host": r.host.name,
                "address": r.host.address,
                "port": r.host.port,
                "result": str(r.status),
                "detail": r.detail,
                "seconds": r.seconds,
                "accepted": [_credential(c) for c in r.accepted],
                "attempts": [
                    {**_credential(a.credential), "outcome": str(a.attempt.outcome),
                     "detail": a.attempt.detail}
                    for a in r.attempts
                ],
                "planned_attempts": r.planned,
            }
            for r in results
        ],
    }


def dumps(results: Sequence[HostResult], exit_code: int) -> str:
    return json.dumps(to_json(results, exit_code), indent=2)
