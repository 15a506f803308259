"""JUnit XML for CI systems: one testsuite per host, one testcase per host × check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any


def to_junit(doc: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="bulwark compliance")
    titles = {c["id"]: c["title"] for c in doc["controls"]}
    for host in doc["hosts"]:
        results = [r for r in doc["results"] if r["host"] == host["name"]]
        suite = ET.SubElement(root, "testsuite", name=host["name"], tests=str(len(results)),
                              failures=str(sum(r["status"] == "FAIL" for r in results)),
                              errors=str(sum(r["status"] == "UNKNOWN" for r in results)),
                              skipped=str(sum(r["status"] in ("NOT_APPLICABLE", "WAIVED")
                                              for r in results)))
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=host["name"],
                                 name=f"{r['control']} {titles.get(r['control'], '')}".strip())
            if r["status"] == "FAIL":
                ET.SubElement(case, "failure", message=r["evidence"][:500]).text = r["evidence"]
            elif r["status"] == "UNKNOWN":
                ET.SubElement(case, "error", message=r["evidence"][:500]).text = r["evidence"]
            elif r["status"] in ("NOT_APPLICABLE", "WAIVED"):
                ET.SubElement(case, "skipped", message=f"{r['status']}: {r['evidence'][:480]}")
            else:
                ET.SubElement(case, "system-out").text = r["evidence"]
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_junit(doc) + "\n", encoding="utf-8")
