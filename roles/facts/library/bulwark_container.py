#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""Decide once whether the host is a container, the way systemd-detect-virt --container does.

Read-only: always changed=False. Every role reads the one fact this sets, so a host gets one
verdict for the whole run.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: bulwark_container
short_description: Set the fact bulwark_facts_in_container (and the container manager)
description:
  - Looks, below I(root), at what container managers leave behind, in systemd-detect-virt's
    order: C(/run/systemd/container), C(container=) in PID 1's environment,
    C(/run/host/container-manager), C(/run/.containerenv) (podman), C(/.dockerenv) (docker),
    C(/proc/vz) without C(/proc/bc) (OpenVZ).
options:
  root:
    description: Root of the file system to inspect (a chroot or mounted image when not /).
    type: path
    default: /
"""

RETURN = r"""
ansible_facts:
  description: bulwark_facts_in_container (bool), bulwark_facts_container_type (manager or "").
  type: dict
"""


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def detect(root: str) -> str:
    """The container manager's name, or '' when the host is not a container."""

    def at(path: str) -> str:
        return os.path.join(root, path.lstrip("/"))

    manager = _read(at("/run/systemd/container")).strip()
    if manager:
        return manager
    for var in _read(at("/proc/1/environ")).split("\0"):
        if var.startswith("container=") and var != "container=":
            return var.partition("=")[2]
    manager = _read(at("/run/host/container-manager")).strip()
    if manager:
        return manager
    if os.path.exists(at("/run/.containerenv")):
        return "podman"
    if os.path.exists(at("/.dockerenv")):
        return "docker"
    if os.path.isdir(at("/proc/vz")) and not os.path.isdir(at("/proc/bc")):
        return "openvz"
    return ""


def main() -> None:
    module = AnsibleModule(argument_spec={"root": {"type": "path", "default": "/"}},
                           supports_check_mode=True)
    manager = detect(module.params["root"])
    module.exit_json(changed=False, ansible_facts={"bulwark_facts_in_container": bool(manager),
                                                   "bulwark_facts_container_type": manager})


if __name__ == "__main__":
    main()
