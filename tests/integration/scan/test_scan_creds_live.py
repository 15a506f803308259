"""scan-creds against real sshd in lab containers (ports 2341-2344 on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulwark.scan.cli import scan_creds
from tests.fixtures.labhosts import CLOSED_PORT, SILENT_PORT, LabHost, write_inventory
from tests.fixtures.silent_tcp import silent_tcp_server

pytestmark = [pytest.mark.integration, pytest.mark.lab]

# Enough users to find every planted default without walking the whole list (each wrong
# password costs ~3 s of sshd's failure delay).
NEGLECTED_USERS = ["--user", "root", "--user", "admin", "--user", "pi", "--user", "guest"]


def _run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(scan_creds, [*args, "--json", "--delay", "0.1"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def _established(port: int) -> list[str]:
    """Connections to ``port`` still held by THIS process (the scanner runs in-process).

    Other processes' connections (e.g. an OpenSSH ControlPersist master left by the report
    tests' Ansible run against the same container) are not the scanner's and are ignored.
    """
    out = subprocess.run(["ss", "-Htnp", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    mine = f"pid={os.getpid()},"
    return [line for line in out.splitlines() if line.strip() and mine in line]


def _sshd_sessions(host: LabHost, users: set[str]) -> list[str]:
    """sshd processes serving one of ``users`` (``sshd: USER [priv]``, ``sshd: USER@notty``...).

    sshd tears a session down a moment after the client closes, so look for a few seconds.
    """
    deadline = time.monotonic() + 10
    while True:
        procs = host.exec("ps", "-eo", "args=").splitlines()
        left = [p for p in procs if p.startswith("sshd: ")
                and p.split()[1].split("@")[0] in users]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def test_neglected_host_accepts_vendor_defaults(neglected_host: LabHost, tmp_path: Path) -> None:
    inv = write_inventory(tmp_path / "hosts.yml", [neglected_host])
    code, doc = _run("-i", str(inv), *NEGLECTED_USERS)
    assert code == 1
    (host,) = doc["hosts"]
    assert host["result"] == "ACCEPTED"
    accepted = {c["user"] for c in host["accepted"]}
    assert accepted == {"root", "admin", "pi"}
    outcomes = {(a["user"], a["empty_password"]): a["outcome"] for a in host["attempts"]}
    # Debian's sshd refuses an empty password (PermitEmptyPasswords no) even for an account
    # that has none: recorded as a rejection, not an error.
    assert outcomes[("guest", True)] == "rejected"
    assert "password" not in json.dumps(host["accepted"]).replace("empty_password", "")
    # No session survives the scan: nothing established towards the host, no login inside.
    assert _established(neglected_host.port) == []
    # Inside the host: no sshd session left for any user the scan tried. (Other sessions, e.g.
    # the report tests' Ansible ControlPersist master as the admin, are not the scanner's.)
    assert _sshd_sessions(neglected_host, {"root", "admin", "pi", "guest"}) == []
    assert neglected_host.exec("who").strip() == ""


def test_admins_are_not_tried_unless_asked(neglected_host: LabHost, tmp_path: Path) -> None:
    inv = write_inventory(tmp_path / "hosts.yml", [neglected_host], admins=["admin", "ops"])
    code, doc = _run("-i", str(inv), "--user", "admin", "--user", "pi")
    assert code == 1
    tried = {a["user"] for a in doc["hosts"][0]["attempts"]}
    assert tried == {"pi"}
    code, doc = _run("-i", str(inv), "--user", "admin", "--include-admins")
    assert code == 1
    assert {c["user"] for c in doc["hosts"][0]["accepted"]} == {"admin"}


def test_password_auth_disabled_is_a_pass_after_one_attempt(
    hardened_host: LabHost, tmp_path: Path
) -> None:
    inv = write_inventory(tmp_path / "hosts.yml", [hardened_host])
    code, doc = _run("-i", str(inv))
    assert code == 0
    (host,) = doc["hosts"]
    assert host["result"] == "password auth disabled"
    assert len(host["attempts"]) == 1
    assert "publickey" in host["detail"]
    assert _established(hardened_host.port) == []


def test_table_output_never_shows_passwords(neglected_host: LabHost, tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("pi:S3cret-not-shown\n")
    inv = write_inventory(tmp_path / "hosts.yml", [neglected_host])
    result = CliRunner().invoke(scan_creds, ["-i", str(inv), "--user", "pi", "--extra",
                                             str(extra), "--delay", "0"])
    assert result.exit_code == 1
    assert "ACCEPTED" in result.output and "pi:Raspberry Pi OS" in result.output
    assert "raspberry" not in result.output and "S3cret" not in result.output


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections on 127.0.0.1 and never says a word (a hung or tarpit sshd)."""
    with silent_tcp_server(SILENT_PORT) as port:
        yield port


def test_unreachable_and_silent_hosts_are_reported_without_hanging(
    hardened_host: LabHost, silent_port: int, tmp_path: Path
) -> None:
    inv = write_inventory(tmp_path / "hosts.yml", [hardened_host],
                          extra={"e-closed": CLOSED_PORT, "e-silent": silent_port})
    start = time.monotonic()
    code, doc = _run("-i", str(inv), "--timeout", "1.5")
    assert time.monotonic() - start < 20
    assert code == 3
    by_host = {h["host"]: h for h in doc["hosts"]}
    assert by_host["e-closed"]["result"] == "unreachable"
    assert by_host["e-silent"]["result"] == "timeout"
    assert by_host["e-hardened"]["result"] == "password auth disabled"
    assert _established(silent_port) == []


def test_bad_inventory_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("lab: [unclosed\n")
    for inv in (str(bad), str(tmp_path / "missing.yml")):
        proc = subprocess.run(
            [sys.executable, "-c", "from bulwark.scan.cli import scan_creds; scan_creds()",
             "-i", inv], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert inv in proc.stderr
