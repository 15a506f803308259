"""Run history next to the report: each run's JSON kept in `history/`, the changes since the
previous run and the pass-rate trend (the monthly inspection record, A13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HISTORY_DIR = "history"
TREND_RUNS = 24  # runs shown in the trend chart


def _key(r: dict[str, Any]) -> tuple[str, str]:
    return str(r.get("host")), str(r.get("control"))


def load(out_dir: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """Earlier runs, oldest first, and one line per history file that cannot be read."""
    runs, problems = [], []
    directory = out_dir / HISTORY_DIR
    for path in sorted(directory.glob("report-*.json")) if directory.is_dir() else []:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
                raise ValueError("not a report")
        except (OSError, ValueError) as exc:
            problems.append(f"history file {path} skipped: {str(exc).splitlines()[0][:120]}")
            continue
        runs.append((path, doc))
    return runs, problems


def pass_rate(doc: dict[str, Any]) -> float | None:
    counted = [r for r in doc.get("results") or [] if isinstance(r, dict)
               and r.get("status") in ("PASS", "FAIL", "UNKNOWN", "WAIVED")]
    if not counted:
        return None
    return round(100 * sum(r.get("status") == "PASS" for r in counted) / len(counted), 1)


def changes(previous: dict[str, Any] | None, doc: dict[str, Any]) -> dict[str, Any]:
    if previous is None:
        return {"previous": None, "newly_failing": [], "newly_passing": [], "new_hosts": []}
    before = {_key(r): r.get("status") for r in previous.get("results") or []
              if isinstance(r, dict)}
    old_hosts = {h for h, _ in before}
    failing, passing = [], []
    for r in doc["results"]:
        was = before.get(_key(r))
        if r["status"] == "FAIL" and was not in (None, "FAIL"):
            failing.append({"host": r["host"], "control": r["control"], "was": was})
        elif r["status"] == "PASS" and was not in (None, "PASS"):
            passing.append({"host": r["host"], "control": r["control"], "was": was})
    new_hosts = sorted({h["name"] for h in doc["hosts"]} - old_hosts)
    return {"previous": previous.get("generated_at"), "newly_failing": failing,
            "newly_passing": passing, "new_hosts": new_hosts}


def trend(runs: list[tuple[Path, dict[str, Any]]], doc: dict[str, Any]) -> list[dict[str, Any]]:
    points = [{"at": d.get("generated_at"), "pass_rate": pass_rate(d)} for _, d in runs]
    points.append({"at": doc.get("generated_at"), "pass_rate": pass_rate(doc)})
    return [p for p in points if p["pass_rate"] is not None][-TREND_RUNS:]


def save(out_dir: Path, doc: dict[str, Any]) -> Path:
    directory = out_dir / HISTORY_DIR
    directory.mkdir(parents=True, exist_ok=True)
    stamp = str(doc["generated_at"]).replace(":", "").replace("+0000", "Z")
    path = directory / f"report-{stamp}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
