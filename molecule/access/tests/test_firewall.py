"""The firewall role's real outcome: default-deny nftables that keeps SSH and others' tables."""

from __future__ import annotations

import contextlib
import socket

from conftest import SSH_PORT, STRAY_HTTP_PORT

RULESET_FILE = "/etc/nftables.d/bulwark.nft"


def _chain_header(ruleset: str, chain: str) -> str:
    marker = f"chain {chain} {{"
    start = ruleset.index(marker)
    return ruleset[start : ruleset.index(";", ruleset.index("policy", start)) + 1]


def test_inet_input_and_forward_policies_are_drop(host) -> None:
    ruleset = host.check_output("nft list table inet bulwark")
    assert "hook input priority filter; policy drop;" in _chain_header(ruleset, "input")
    assert "hook forward priority filter; policy drop;" in _chain_header(ruleset, "forward")
    assert "ct state established,related accept" in ruleset
    assert 'log prefix "bulwark-drop: "' in ruleset


def _statements(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_ruleset_is_persistent_without_flushing_others(host) -> None:
    conf = _statements(host.file("/etc/nftables.conf").content_string)
    assert "flush" not in conf
    assert 'include "/etc/nftables.d/*.nft"' in conf
    assert "flush" not in _statements(host.file(RULESET_FILE).content_string)
    assert host.service("nftables").is_enabled
    host.run_expect([0], f"nft -c -f {RULESET_FILE}")


def test_stray_service_is_unreachable_while_ssh_works(host) -> None:
    # The service really listens: from inside the host it answers.
    local = host.run(
        "python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8080/').status)\""
    )
    assert local.stdout.strip() == "200", local.stderr
    with socket.create_connection(("127.0.0.1", SSH_PORT), timeout=20) as sock:
        assert sock.recv(64).startswith(b"SSH-2.0-")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        outcome = sock.connect_ex(("127.0.0.1", STRAY_HTTP_PORT))
        reply = b""
        if outcome == 0:  # the port proxy may accept locally; the backend must stay silent
            sock.settimeout(5)
            with contextlib.suppress(OSError):
                sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = sock.recv(64)
    assert not reply.startswith(b"HTTP/"), "port 8080 answered through the firewall"


def test_reapplying_keeps_other_tools_tables(host) -> None:
    host.run_expect([0], "nft add table inet access_foreign")
    host.run_expect([0], "nft add chain inet access_foreign probe")
    try:
        host.run_expect([0], f"nft -f {RULESET_FILE}")
        host.run_expect([0], "systemctl reload nftables")
        tables = host.check_output("nft list tables")
        assert "table inet access_foreign" in tables
        assert "table inet bulwark" in tables
    finally:
        host.run("nft delete table inet access_foreign")


def test_ssh_concurrent_connection_cap_per_source() -> None:
    """The 11th concurrent connection from one source is reset by nftables (ct count over 10)."""
    sockets: list[socket.socket] = []
    refused_at = None
    try:
        for attempt in range(1, 14):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(10)
            try:
                sock.connect(("127.0.0.1", SSH_PORT))
                sock.recv(64)  # the SSH identification proves sshd, not a proxy, answered
            except OSError:
                refused_at = attempt
                sock.close()
                break
            sockets.append(sock)
    finally:
        for sock in sockets:
            sock.close()
    assert refused_at is not None, "13 concurrent SSH connections were all accepted"
    assert refused_at >= 6, f"refused too early, at connection {refused_at}"
