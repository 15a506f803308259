"""One check, used everywhere (issue 13): the compliance report's own checks of the backup
agent this scenario converged, run by `bulwark report` against this instance. Any FAIL fails
the scenario, so the check the tests trust is the check the auditor sees."""

from __future__ import annotations

from tests.fixtures.report_checks import assert_roles_pass


def test_the_reports_checks_of_the_backup_agent_pass() -> None:
    assert_roles_pass({"backup_agent"})
