#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""List listening TCP/UDP sockets from /proc and flag the ones no allowlist explains.

Read-only: always changed=False (policy C20, A14).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: bulwark_listeners
short_description: Report listening sockets and the processes that own them
description:
  - Reads /proc/net/{tcp,tcp6,udp,udp6} (TCP in LISTEN state, UDP bound without a peer) and
    maps each socket inode to the process that holds it through /proc/PID/fd.
  - A socket is expected when its process name is in I(allowed_processes) or "proto/port" is
    in I(allowed_ports).
options:
  allowed_processes:
    description: Process names (as in /proc/PID/comm) allowed to listen.
    type: list
    elements: str
    default: []
  allowed_ports:
    description: Allowed sockets written as tcp/PORT or udp/PORT.
    type: list
    elements: str
    default: []
  proc_root:
    description: Mount point of procfs.
    type: path
    default: /proc
"""

RETURN = r"""
listeners:
  description: Listening sockets sorted by protocol and port.
  type: list
  elements: dict
  sample: [{proto: tcp, address: "0.0.0.0", port: 22, process: sshd}]
unexpected:
  description: The listeners that no allowlist entry explains.
  type: list
  elements: dict
"""

TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"


def decode_address(hex_addr: str) -> str:
    """Turn the little-endian hex of /proc/net into a printable address."""
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def read_sockets(proc_root: str) -> list[dict[str, Any]]:
    sockets: list[dict[str, Any]] = []
    for table, proto, wanted in (
        ("tcp", "tcp", TCP_LISTEN),
        ("tcp6", "tcp", TCP_LISTEN),
        ("udp", "udp", UDP_UNCONNECTED),
        ("udp6", "udp", UDP_UNCONNECTED),
    ):
        path = os.path.join(proc_root, "net", table)
        if not os.path.exists(path):
            continue
        with open(path, encoding="ascii") as handle:
            next(handle, None)
            for line in handle:
                fields = line.split()
                if len(fields) < 10 or fields[3] != wanted:
                    continue
                local_addr, local_port = fields[1].split(":")
                sockets.append(
                    {
                        "proto": proto,
                        "address": decode_address(local_addr),
                        "port": int(local_port, 16),
                        "inode": fields[9],
                    }
                )
    return sockets


def socket_owners(proc_root: str) -> dict[str, str]:
    owners: dict[str, str] = {}
    for pid in filter(str.isdigit, os.listdir(proc_root)):
        fd_dir = os.path.join(proc_root, pid, "fd")
        try:
            with open(os.path.join(proc_root, pid, "comm"), encoding="utf-8") as handle:
                name = handle.read().strip()
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(target[8:-1], name)
    return owners


def listeners(proc_root: str) -> list[dict[str, Any]]:
    owners = socket_owners(proc_root)
    seen: set[tuple[str, str, int, str]] = set()
    result: list[dict[str, Any]] = []
    for sock in read_sockets(proc_root):
        entry = (sock["proto"], sock["address"], sock["port"], owners.get(sock["inode"], ""))
        if entry in seen:
            continue
        seen.add(entry)
        result.append(dict(zip(("proto", "address", "port", "process"), entry, strict=True)))
    return sorted(result, key=lambda s: (s["proto"], s["port"], s["address"], s["process"]))


def is_expected(sock: dict[str, Any], processes: set[str], ports: set[str]) -> bool:
    return sock["process"] in processes or f"{sock['proto']}/{sock['port']}" in ports


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "allowed_processes": {"type": "list", "elements": "str", "default": []},
            "allowed_ports": {"type": "list", "elements": "str", "default": []},
            "proc_root": {"type": "path", "default": "/proc"},
        },
        supports_check_mode=True,
    )
    processes = set(module.params["allowed_processes"])
    ports = {p.strip().lower() for p in module.params["allowed_ports"]}
    try:
        found = listeners(module.params["proc_root"])
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read sockets from {module.params['proc_root']}: {exc}")
    unexpected = [s for s in found if not is_expected(s, processes, ports)]
    module.exit_json(changed=False, listeners=found, unexpected=unexpected)


if __name__ == "__main__":
    main()
