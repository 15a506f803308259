"""C8 from the probe's `snmp` section: the host counts default and weak communities, so the
community strings never reach the controller (the evidence play has no slurp of snmpd.conf)."""

from __future__ import annotations

from typing import Any

import pytest

from bulwark.report import probe
from bulwark.report.controls import Context, Status
from tests.unit.report.test_controls import _findings, _replace_section

_OLD_KEYS = ("snmp_configured", "snmp_default_community", "snmp_weak_community")


def _with_snmp(text: str) -> dict[str, Any]:
    ev = _replace_section({}, "snmp", text)
    for key in _OLD_KEYS:  # captured before the probe counted communities itself
        ev.pop(key, None)
    return ev


@pytest.mark.parametrize(("text", "status", "needle"), [
    ("configured default=1 weak=1", Status.FAIL, "default community"),
    ("configured default=0 weak=2", Status.FAIL, "2 community"),
    ("configured default=0 weak=0", Status.PASS, "every community"),
    ("", Status.NOT_APPLICABLE, "no /etc/snmp/snmpd.conf"),
])
def test_c8_reads_the_probes_community_counts(ctx: Context, text: str, status: Status,
                                              needle: str) -> None:
    found = _findings(_with_snmp(text), ctx)["C8"]
    assert found.status == status and needle in found.evidence, found


def test_probe_section_never_carries_a_community_string() -> None:
    ev = probe.expand(_with_snmp("configured default=1 weak=1"))
    assert ev["snmp_configured"] is True and ev["snmp_weak_community"] == 1
    assert "public" not in probe.section(ev, "snmp")
