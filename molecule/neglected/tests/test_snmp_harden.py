"""SNMP harden mode for real (runs last: it brings snmpd back, on 127.0.0.1 only)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]
COMMUNITY = "Bw7snmpRo2024x"


def test_harden_mode_serves_only_the_strong_community(host):
    env = dict(os.environ, ANSIBLE_ROLES_PATH=str(SCENARIO.parents[1] / "roles"))
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(SCENARIO / "snmp_harden_apply.yml"),
            "-e",
            json.dumps({"community_under_test": COMMUNITY}),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert COMMUNITY not in result.stdout + result.stderr, "the community must not be logged"

    udp = host.check_output("ss -H -ulnp")
    snmp = [line for line in udp.splitlines() if ":161 " in line]
    assert snmp, udp
    # Only the address: inside the container root lacks CAP_SYS_PTRACE, so ss cannot name
    # the owner of a socket held by the Debian-snmp user.
    assert all("127.0.0.1:161" in line for line in snmp), snmp
    assert host.service("snmpd").is_running

    conf = host.file("/etc/snmp/snmpd.conf")
    assert conf.mode == 0o600
    assert f"rocommunity {COMMUNITY} 127.0.0.1 -V bulwarkview" in conf.content_string
    communities = [
        line.split()[1]
        for line in conf.content_string.splitlines()
        if line.split()[:1] in (["rocommunity"], ["rwcommunity"], ["rocommunity6"])
    ]
    assert communities == [COMMUNITY]
