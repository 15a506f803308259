import json
import os
import stat
from datetime import UTC, datetime

from bulwark.backup.drill.compare import FileResult, Verdict
from bulwark.backup.drill.offsite import OffsiteVerification
from bulwark.backup.drill.report import (
    CheckResult,
    RepositoryDrill,
    RestoreMeasure,
    latest_report,
    summary,
    to_json,
    write_report,
)
from bulwark.backup.drill.workspace import private_workspace

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
T1 = datetime(2026, 5, 1, 3, 5, tzinfo=UTC)


def drill(**kw) -> RepositoryDrill:
    d = RepositoryDrill(repository="primary", mode="sample", seed=5, snapshot_id="ab" * 32)
    d.snapshot_time = T0
    d.restore = RestoreMeasure(files=10, bytes=50_000_000, seconds=2.0)
    d.check = CheckResult("subset", "3/90", True, 1.0)
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def test_clean_drill_is_ok_and_measures_throughput() -> None:
    rep = to_json(drill(), host="h", config="/c.yml", started=T0, ended=T1)
    assert rep["ok"] is True
    assert rep["restore"]["mb_per_s"] == 25.0
    assert rep["check"]["subset"] == "3/90"
    assert "PASSED" in summary(rep)


def test_each_kind_of_problem_fails_the_drill_and_is_named() -> None:
    bad_file = FileResult("/srv/x", Verdict.CONTENT_MISMATCH, "sha…")
    cases = {
        "failures": [bad_file],
        "errors": ["restic restore failed"],
        "check": CheckResult("full", None, False, 1.0, "pack abc damaged"),
        "offsite": [OffsiteVerification("offsite", expected=1, missing=["cd" * 32])],
    }
    for field, value in cases.items():
        rep = to_json(drill(**{field: value}), host="h", config="c", started=T0, ended=T1)
        assert rep["ok"] is False, field
        text = summary(rep)
        assert "FAILED" in text
    rep = to_json(drill(failures=[bad_file]), host="h", config="c", started=T0, ended=T1)
    assert "/srv/x" in summary(rep)


def test_changed_since_backup_does_not_fail() -> None:
    changed = [FileResult("/srv/y", Verdict.CHANGED_SINCE_BACKUP)]
    rep = to_json(drill(changed_since_backup=changed), host="h", config="c", started=T0, ended=T1)
    assert rep["ok"] is True
    assert rep["changed_since_backup"][0]["path"] == "/srv/y"


def test_reports_keep_history_and_latest_is_newest(tmp_path) -> None:
    rep = to_json(drill(), host="h", config="c", started=T0, ended=T1)
    first = write_report(tmp_path, rep, T0)
    second = write_report(tmp_path, rep, T0)
    third = write_report(tmp_path, rep, T1)
    assert len({first, second, third}) == 3
    assert latest_report(tmp_path) == third
    assert json.loads(third.read_text())["schema_version"] == 1


def test_latest_report_of_one_repository_counts_same_second_drills(tmp_path) -> None:
    primary = to_json(drill(), host="h", config="c", started=T0, ended=T1)
    offsite = to_json(drill(repository="offsite"), host="h", config="c", started=T0, ended=T1)
    first = write_report(tmp_path, primary, T0)
    second = write_report(tmp_path, primary, T0)  # the same second: <stem>.2.json
    other = write_report(tmp_path, offsite, T0)
    assert second.name.endswith("Z-primary.2.json") and first != second
    assert latest_report(tmp_path, "primary") == second
    assert latest_report(tmp_path, "offsite") == other
    assert latest_report(tmp_path, "archive") is None
    assert latest_report(tmp_path / "nowhere") is None


def test_workspace_is_private_and_removed_even_with_readonly_dirs(tmp_path) -> None:
    with private_workspace(tmp_path) as ws:
        assert stat.S_IMODE(os.stat(ws).st_mode) == 0o700
        (ws / "ro").mkdir()
        (ws / "ro" / "f").write_text("customer data")
        os.chmod(ws / "ro", 0o500)
    assert not ws.exists()


def test_workspace_removed_on_keyboard_interrupt(tmp_path) -> None:
    try:
        with private_workspace(tmp_path) as ws:
            (ws / "f").write_text("x")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert not ws.exists()


def test_unwritable_state_dir_is_one_clear_error(tmp_path) -> None:
    import pytest

    from bulwark.backup.drill.report import ReportError
    from bulwark.backup.drill.workspace import WorkspaceError

    blocker = tmp_path / "state"
    blocker.write_text("a file where a directory should be")
    rep = to_json(drill(), host="h", config="c", started=T0, ended=T1)
    with pytest.raises(ReportError, match="cannot write the drill report"):
        write_report(blocker, rep, T0)
    with pytest.raises(WorkspaceError, match="cannot create a private directory"), \
            private_workspace(blocker / "tmp"):
        pass


def test_summary_does_not_call_a_missing_file_verified() -> None:
    """Issue 14 item 11: "restored and verified 51 files" when one of them was missing."""
    missing = FileResult("/srv/gone", Verdict.MISSING_FROM_RESTORE)
    rep = to_json(drill(failures=[missing]), host="h", config="c", started=T0, ended=T1)
    text = summary(rep)
    assert "restored and verified 10 files" not in text
    assert "9 of 10 files restored and verified, 1 FAILED" in text
    assert "restored and verified 10 files" in summary(
        to_json(drill(), host="h", config="c", started=T0, ended=T1))
