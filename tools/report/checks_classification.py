"""Classification labels of backups in the report (G21, G22, F12).

The level of a host's data is its backup config's `classification` (default `internal`);
a repository may declare `max_classification`, the highest level it may hold; every snapshot
carries `class:<level>`. The tags are read from the newest restore drill of each repository
(the drill report records the tags of the snapshot it restored), so no restic call and no
repository secret is needed to gather them.
"""

from __future__ import annotations

from typing import Any

from bulwark.report.checks_backup import configured, drills
from bulwark.report.controls import Context, Finding, control, unknown, verdict

# G21's four levels, lowest first (bulwark.backup.classification.LEVELS).
LEVELS = ("internal", "secret", "confidential", "top-secret")
TAG_PREFIX = "class:"


def level_of(doc: dict[str, Any]) -> str:
    return str(doc.get("classification") or "internal")


def _repos(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n): (r if isinstance(r, dict) else {}) for n, r in doc["repositories"].items()}


@control("G21", "Backups carry a G21 level and no repository is below the data's level",
         by="bulwark backup (classification, max_classification)")
@configured
def check_levels(found: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: Context) -> Finding:
    problems, shown = [], []
    for path, doc in found.items():
        level = level_of(doc)
        if level not in LEVELS:
            problems.append(f"{path}: classification {level!r} is not one of {', '.join(LEVELS)}")
            continue
        caps = []
        for name, repo in _repos(doc).items():
            cap = repo.get("max_classification")
            caps.append(f"{name} ≤ {cap or 'any'}")
            if cap is None:
                continue
            if cap not in LEVELS:
                problems.append(f"{path}: {name} max_classification {cap!r} is not a G21 level")
            elif LEVELS.index(cap) < LEVELS.index(level):
                problems.append(f"{path}: the data is {level}, repository {name} may hold at "
                                f"most {cap}")
        shown.append(f"{path}: classification {level} ({', '.join(caps)})")
    return verdict(problems, "; ".join(shown))


@control("F12", "Every repository's newest drilled snapshot is labelled class:<level>",
         by="bulwark backup (class:<level> tags), bulwark backup drill")
@configured
def check_labels(found: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: Context) -> Finding:
    newest, unreadable = drills(ev)
    problems, shown, untold = list(unreadable), [], []
    for path, doc in found.items():
        want = TAG_PREFIX + level_of(doc)
        for name in _repos(doc):
            report = newest.get(name)
            if report is None:
                problems.append(f"{name}: never drilled, its snapshots' labels are unknown")
                continue
            snapshot = report.get("snapshot") or {}
            tags = snapshot.get("tags") if isinstance(snapshot, dict) else None
            if not isinstance(tags, list):
                untold.append(name)
                continue
            short = str(snapshot.get("id") or "?")[:8]
            if want not in tags:
                labels = [t for t in tags if str(t).startswith(TAG_PREFIX)]
                problems.append(f"{name}: snapshot {short} is labelled "
                                f"{', '.join(labels) or 'with no class tag'}, {path} says {want}")
            else:
                shown.append(f"{name}: snapshot {short} {want}")
    if untold and not problems:
        return unknown(f"the newest drill report of {', '.join(untold)} does not record the "
                       "snapshot's tags (drilled by an older Bulwark: run a drill)")
    return verdict(problems + [f"{n}: drill report without tags" for n in untold],
                   "; ".join(shown))
