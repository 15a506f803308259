"""One check, used everywhere (issue 13): the compliance report's own checks of the roles this
scenario converged (accounts, ssh, firewall), run by `bulwark report` against this instance.

This scenario switches some of the accounts role's features off on purpose (molecule.yml:
the neglected image's vendor accounts and ageing stay, so the access tests see a realistic
host); their checks show as WAIVED with that reason. prepare.yml also plants what the access
review must report (test_access_review.py): those checks must FAIL, and nothing else may."""

from __future__ import annotations

from tests.fixtures.report_checks import assert_roles_pass

OFF = "switched off in this scenario's molecule.yml ({}); the system and neglected " \
      "scenarios converge and check it"
WAIVERS = {
    **dict.fromkeys(["B1", "B19", "B23", "B23-vendor-accounts"],
                    OFF.format("bulwark_accounts_weak_passwords_enabled, _vendor_enabled")),
    **dict.fromkeys(["B4", "B5", "B6", "B7"], OFF.format("bulwark_accounts_pwquality_enabled")),
    "B10": OFF.format("bulwark_accounts_pwhistory_enabled"),
    **dict.fromkeys(["B34", "B34-faillock-conf"], OFF.format("bulwark_accounts_faillock_enabled")),
    **dict.fromkeys(["B9", "B11", "B14", "B20"], OFF.format("bulwark_accounts_ageing_enabled")),
}
PLANTED = {
    "B32": "the ops key in root's authorized_keys",
    "C13-keys": "the ops key in root's authorized_keys",
    "B32b": "/etc/sudoers.d/ops: ops ALL=(ALL:ALL) NOPASSWD: ALL",
}


def test_the_reports_checks_of_accounts_ssh_and_firewall_pass() -> None:
    doc = assert_roles_pass({"accounts", "ssh", "firewall"}, waivers=WAIVERS, planted=PLANTED)
    # The checks of the features this scenario is about ran and passed (MFA, admin roles,
    # key-only SSH with the exempt admin's Match block, the firewall).
    status = {r["control"]: r["status"] for r in doc["results"]}
    assert {status[c] for c in ("B35", "C12", "C12-root", "C3", "B27")} == {"PASS"}, status
