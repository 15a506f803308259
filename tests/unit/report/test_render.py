from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bulwark.report import render
from bulwark.report.controls import Context, Status
from bulwark.report.evaluate import HostReport, evaluate
from tests.unit.report.conftest import CAPTURED_AT, load


def _doc(ctx: Context) -> dict:
    evidence = load("neglected")
    evidence["probe"] = evidence["probe"].replace(
        "### passwd-status\n", "### passwd-status\n<script>evil</script> NP 2026-11-23 0 9 7 -1\n")
    hosts = [evaluate(HostReport("e-neglected", "127.0.0.1", 2341, evidence), ctx),
             evaluate(HostReport("e-hardened", "127.0.0.1", 2345, load("hardened")), ctx),
             evaluate(HostReport("e-down", "127.0.0.1", 2343, None, "host unreachable"), ctx)]
    return render.to_json(hosts, CAPTURED_AT, "inventories/lab")


def test_json_contract_counts_add_up(ctx: Context) -> None:
    doc = _doc(ctx)
    assert doc["schema_version"] == 2
    counts = [doc["summary"][str(s)] for s in Status]
    per_host = len(doc["controls"])  # every check plus every unassessed control
    assert sum(counts) == len(doc["results"]) == 3 * per_host
    assert doc["summary"]["controls"] >= 120
    assert {r["status"] for r in doc["results"]} <= {str(s) for s in Status}
    assert all(set(r) == {"host", "control", "status", "evidence"} for r in doc["results"])
    unassessed = [c for c in doc["controls"] if not c["assessed"]]
    assert unassessed and all(c["reason"] for c in unassessed)
    assert doc["hosts"][0]["backup_age_hours"] is None


def test_junit_has_one_testcase_per_host_and_control(ctx: Context, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from bulwark.report import junit

    doc = _doc(ctx)
    junit.write(tmp_path / "j.xml", doc)
    root = ET.parse(tmp_path / "j.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(doc["results"])
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == doc["summary"]["FAIL"]
    assert len(root.findall("./testsuite/testcase/error")) == doc["summary"]["UNKNOWN"]


def test_history_changes_trend_and_a_corrupt_file(ctx: Context, tmp_path: Path) -> None:
    from bulwark.report import history

    first = _doc(ctx)
    history.save(tmp_path, first)
    (tmp_path / "history" / "report-0000-broken.json").write_text("{not json")
    evidence = load("hardened")
    evidence["probe"] = evidence["probe"].replace("### sshd ops\n",
                                                  "### sshd ops\npasswordauthentication yes\n")
    hosts = [evaluate(HostReport("e-hardened", "127.0.0.1", 2345, evidence), ctx),
             evaluate(HostReport("e-new", "127.0.0.1", 2346, load("hardened")), ctx)]
    second = render.to_json(hosts, CAPTURED_AT + 60, "inventories/lab")
    runs, problems = history.load(tmp_path)
    assert len(runs) == 1 and len(problems) == 1 and "report-0000-broken.json" in problems[0]
    changes = history.changes(runs[-1][1], second)
    assert {"host": "e-hardened", "control": "C12", "was": "PASS"} in changes["newly_failing"]
    assert changes["new_hosts"] == ["e-new"]
    second["changes"], second["trend"] = changes, history.trend(runs, second)
    assert len(second["trend"]) == 2
    html = render.to_html(second)
    assert 'id="chart-trend"' in html and "e-hardened C12: PASS → FAIL" in html


def test_html_matrix_comes_first_with_filters(ctx: Context) -> None:
    html = render.to_html(_doc(ctx))
    assert html.index('id="matrix"') < html.index('id="chart-results"')
    assert 'id="filter-status"' in html and 'id="filter-family"' in html
    assert 'id="not-assessed"' in html


def test_html_is_self_contained_escaped_and_shows_counts(ctx: Context, tmp_path: Path) -> None:
    doc = _doc(ctx)
    json_path, html_path = render.write(tmp_path, doc)
    html = html_path.read_text(encoding="utf-8")
    assert json.loads(json_path.read_text()) == doc
    assert "<script>evil" not in html and "&lt;script&gt;evil&lt;/script&gt;" in html
    assert html.count("<script") == 1  # the matrix filters, inline
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for status in Status:
        assert f'id="count-{status}" data-count="{doc["summary"][str(status)]}"' in html
    assert 'id="chart-results"' in html and "no backup recorded" in html


def test_container_flag_agrees_with_the_audit_control(ctx: Context) -> None:
    # Ansible templating can turn the boolean into the string "true": the host summary must
    # call the host a container exactly when control E3 treats it as one.
    evidence = load("neglected")
    evidence["container"] = "true"
    # The audit role's share in a container: auditd installed (it cannot run there).
    evidence["probe"] = evidence["probe"].replace("### packages\n", "### packages\nauditd\n")
    host = evaluate(HostReport("c", "127.0.0.1", 22, evidence), ctx)
    doc = render.to_json([host], CAPTURED_AT, "inventories/lab")
    assert host.findings["E3"].status is Status.NOT_APPLICABLE, host.findings["E3"]
    assert doc["hosts"][0]["container"] is True


def test_unwritable_out_fails_before_any_evidence_is_gathered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bulwark.report import cli

    def gather(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("evidence gathered although the report cannot be written")

    monkeypatch.setattr(cli, "gather", gather)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("lab:\n  hosts:\n    h1: {ansible_host: 127.0.0.1}\n")
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "sub"
    result = CliRunner().invoke(cli.report, ["-i", str(inventory), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"bulwark: error: cannot write the report to {out}: Not a directory")


def test_failed_write_keeps_the_old_report_and_leaves_no_temp_file(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _doc(ctx)
    render.write(tmp_path, doc)
    before = sorted(p.name for p in tmp_path.iterdir())
    old = (tmp_path / "report.json").read_text()

    def replace(_src: str, _dst: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render.os, "replace", replace)
    with pytest.raises(render.OutputError, match="No space left on device"):
        render.write(tmp_path, doc)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "report.json").read_text() == old
