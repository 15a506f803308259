"""Write report.json and a self-contained report.html (inline CSS and SVG, no scripts)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bulwark.errors import BulwarkError
from bulwark.report import catalogue, facts
from bulwark.report.controls import REGISTRY, Control, Status, Thresholds
from bulwark.report.evaluate import HostReport, covered_policies, totals
from bulwark.report.waivers import Waiver

SCHEMA_VERSION = 2
_BAR_WIDTH = 360  # px of the widest bar in the charts


class OutputError(BulwarkError):
    """The report directory cannot be created or written."""


def catalogue_doc(selected: list[Control] | None = None) -> list[dict[str, Any]]:
    """Every check (assessed: true) and every policy control no check covers, with the reason."""
    checks = [{"id": c.id, "policy": c.policy, "top15": c.top15, "title": c.title,
               "quote": c.quote, "source": c.source, "family": c.family, "implemented_by": c.by,
               "roles": sorted(c.roles), "assessed": True} for c in selected or REGISTRY]
    if selected is not None:
        return checks
    rest = []
    for cid, reason in catalogue.unassessed(covered_policies()):
        e = catalogue.entry(cid)
        rest.append({"id": cid, "policy": cid, "top15": e.get("top15"), "title": e["control"],
                     "quote": e["quote"], "source": e["source"], "family": e["family"],
                     "implemented_by": None, "assessed": False, "reason": reason})
    return checks + rest


def to_json(hosts: list[HostReport], now: float, inventory: str,
            waivers: list[Waiver] | None = None,
            selected: list[Control] | None = None) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "bulwark.compliance-report",
        "generated_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "inventory": inventory,
        "controls": catalogue_doc(selected),
        "hosts": [
            {"name": h.name, "address": h.address, "port": h.port,
             "gathered": h.evidence is not None, "problem": h.problem or None,
             "container": h.evidence is not None and facts.flag(h.evidence, "container"),
             "backup_age_hours": h.backup_age_hours(now),
             "counts": {str(s): h.counts.get(str(s), 0) for s in Status}}
            for h in hosts
        ],
        "results": [
            {"host": h.name, "control": cid, "status": str(f.status), "evidence": f.evidence}
            for h in hosts for cid, f in h.findings.items()
        ],
        "waivers": {
            "applied": [{"host": h.name, "control": cid, **w.as_dict()}
                        for h in hosts for cid, w in h.waivers.items()],
            "expired": [w.as_dict() for w in waivers or [] if w.expired(now)],
        },
        "summary": {"hosts": len(hosts), "controls": len(selected or REGISTRY),
                    "policy_controls_assessed": len(covered_policies()),
                    "policy_controls_not_assessed": len(catalogue.unassessed(
                        covered_policies())),
                    **totals(hosts)},
    }


def _charts(doc: dict[str, Any]) -> dict[str, Any]:
    """Pre-computed SVG geometry, so the template only places rectangles."""
    hosts = doc["hosts"]
    per_host = max((sum(h["counts"].values()) for h in hosts), default=1) or 1
    bars = []
    for h in hosts:
        x, segments = 0.0, []
        for status in Status:
            width = _BAR_WIDTH * h["counts"][str(status)] / per_host
            if width:
                segments.append({"status": str(status), "x": round(x, 1), "w": round(width, 1),
                                 "n": h["counts"][str(status)]})
            x += width
        bars.append({"name": h["name"], "segments": segments})
    ages = [h["backup_age_hours"] for h in hosts if h["backup_age_hours"] is not None]
    limit = Thresholds().max_backup_age_hours  # F2's limit, drawn as the dashed line
    longest = max(ages + [limit])
    age_bars = [{"name": h["name"], "age": h["backup_age_hours"],
                 "w": None if h["backup_age_hours"] is None
                 else round(_BAR_WIDTH * h["backup_age_hours"] / longest, 1)}
                for h in hosts]
    return {"bars": bars, "age_bars": age_bars, "width": _BAR_WIDTH, "limit_hours": limit,
            "limit_x": round(_BAR_WIDTH * limit / longest, 1)}


def to_html(doc: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("bulwark.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    controls = {c["id"]: c for c in doc["controls"]}
    results: dict[str, list[dict[str, Any]]] = {}
    matrix: dict[str, dict[str, dict[str, Any]]] = {h["name"]: {} for h in doc["hosts"]}
    for r in doc["results"]:
        results.setdefault(r["host"], []).append({**r, "control_doc": controls[r["control"]]})
        matrix.setdefault(r["host"], {})[r["control"]] = r
    families = sorted({c["family"] for c in doc["controls"]})
    doc = {"changes": None, "trend": [], **doc}
    return env.get_template("report.html.j2").render(
        doc=doc, results=results, charts=_charts(doc), statuses=[str(s) for s in Status],
        matrix=matrix, families=families, trend=_trend(doc.get("trend") or []))


def _trend(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Polyline geometry of the pass rate per run (x: run order, y: 0–100 %)."""
    width, step = 480, 480 / max(len(points) - 1, 1)
    dots = [{"x": round(40 + i * step, 1), "y": round(110 - p["pass_rate"], 1),
             "at": p["at"], "rate": p["pass_rate"]} for i, p in enumerate(points)]
    return {"width": width, "dots": dots,
            "points": " ".join(f"{d['x']},{d['y']}" for d in dots)}


def prepare(out_dir: Path) -> None:
    """Create `out_dir` and prove a file can be written in it: checked before the evidence run,
    so that a bad --out costs a second, not the whole gathering."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write the report to {out_dir}: {exc.strerror or exc}") from exc


def write(out_dir: Path, doc: dict[str, Any]) -> tuple[Path, Path]:
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _atomic(json_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        _atomic(html_path, to_html(doc))
    except OSError as exc:
        raise OutputError(f"cannot write the report to {out_dir}: {exc.strerror or exc}") from exc
    return json_path, html_path


def _atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` all at once; on any failure the old file stays, no temp left."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
