"""The neglected host after services: no telnet/ftp/tftp/snmp listener, nothing unexpected."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sshprobe import tcp_refused

SCENARIO = Path(__file__).resolve().parents[1]
REMOVED = ["inetutils-telnetd", "openbsd-inetd", "vsftpd", "tftpd-hpa", "snmpd"]
CLOSED = {("tcp", 21), ("tcp", 23), ("udp", 69), ("udp", 161)}


def listening(host) -> set[tuple[str, int]]:
    sockets = set()
    for line in host.check_output("ss -H -tuln").splitlines():
        fields = line.split()
        sockets.add((fields[0], int(fields[4].rsplit(":", 1)[1])))
    return sockets


@pytest.mark.parametrize("package", REMOVED)
def test_insecure_packages_purged(host, package):
    assert not host.package(package).is_installed


def test_no_insecure_listener_inside(host):
    sockets = listening(host)
    assert ("tcp", 22) in sockets, "ss sees nothing: the check would prove nothing"
    assert sockets & CLOSED == set()


@pytest.mark.parametrize("port", [2312, 2313])
def test_telnet_and_ftp_closed_from_outside(port):
    assert tcp_refused(port)


def test_inetd_and_services_gone(host):
    for unit in ("inetd", "vsftpd", "tftpd-hpa", "snmpd"):
        assert not host.service(unit).is_running


def test_listener_report(host):
    report = json.loads(host.file("/var/lib/bulwark/services/listeners.json").content_string)
    assert report["schema"] == "bulwark.services.listeners/1"
    assert {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"} in (
        report["listeners"]
    )
    assert report["unexpected"] == []


@pytest.mark.parametrize(
    "community",
    ["public", "private", "Secret12", "lettersonlyhere", "1234567890", "has space 123"],
)
def test_weak_snmp_community_is_refused(community):
    """Harden mode with a weak community fails before touching the host (policy C8)."""
    env = dict(os.environ, ANSIBLE_ROLES_PATH=str(SCENARIO.parents[1] / "roles"))
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(SCENARIO / "snmp_harden.yml"),
            "-e",
            json.dumps({"community_under_test": community}),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "policy C8 requires more than 8 characters" in output, output[-2000:]
    if community not in ("public", "private"):  # those two are named in the message itself
        assert community not in output, "the community must not be logged"
