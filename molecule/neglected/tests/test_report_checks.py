"""One check, used everywhere (issue 13): the compliance report's own checks of the roles this
scenario converged (accounts, services), run by `bulwark report` against this instance. Any
FAIL fails the scenario, so the check the tests trust is the check the auditor sees."""

from __future__ import annotations

from tests.fixtures.report_checks import assert_roles_pass


def test_the_reports_checks_of_accounts_and_services_pass() -> None:
    assert_roles_pass({"accounts", "services"})
