"""The lab fleet: N hosts named lab1..labN, some of them "neglected", and their inventory.

State lives in podman (containers carry the ``bulwark.lab`` label) and in the generated
inventory under ``inventories/lab/`` (git-ignored), so `up` can be re-run safely.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bulwark.errors import LabError
from bulwark.lab import hosts, image, keys
from bulwark.lab import podman as pm

LABEL = "bulwark.lab"
ADMIN = "ops"
FIRST_PORT = 2201
MAX_HOSTS = 20
DEFAULT_LAB = "bulwark"
# A lab name prefixes container names (`<lab>-lab1`), so it follows podman's naming rule.
LAB_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
DEFAULT_INVENTORY = Path("inventories/lab")
# `bulwark report --waivers inventories/lab/waivers.yml` (make demo): the lab's one real
# exception. The lab has no internet, so ClamAV cannot fetch signatures (policy D9/D7).
LAB_WAIVERS = [{
    "control": "D9",
    "hosts": "lab",
    "reason": "the lab has no internet access: ClamAV cannot download signature updates",
    "approved_by": "bulwark maintainers (lab only)",
    "expires": "2027-12-31",
}]


@dataclass(frozen=True)
class LabHost:
    name: str
    container: str
    port: int
    neglected: bool
    state: str = "unknown"


def host_names(count: int) -> list[str]:
    return [f"lab{i}" for i in range(1, count + 1)]


def _existing(lab: str = DEFAULT_LAB) -> dict[str, LabHost]:
    found: dict[str, LabHost] = {}
    for item in pm.containers(f"{LABEL}={lab}"):
        labels = item.get("Labels") or {}
        name = labels.get(f"{LABEL}.host")
        if not name:
            continue
        found[name] = LabHost(
            name=name,
            container=(item.get("Names") or [f"{lab}-{name}"])[0],
            port=int(labels.get(f"{LABEL}.port", 0)),
            neglected=labels.get(f"{LABEL}.neglected") == "true",
            state=item.get("State", "unknown"),
        )
    return found


def up(count: int = 3, neglected: tuple[str, ...] = (), *, first_port: int = FIRST_PORT,
       inventory_dir: Path = DEFAULT_INVENTORY, lab: str = DEFAULT_LAB,
       log: Callable[[str], object] = print) -> list[LabHost]:
    """Bring the lab to ``count`` running hosts; names in ``neglected`` get the neglected image."""
    if not 1 <= count <= MAX_HOSTS:
        raise LabError(f"--hosts must be between 1 and {MAX_HOSTS}, got {count}")
    names = host_names(count)
    unknown = [n for n in neglected if n not in names]
    if unknown:
        raise LabError(f"unknown host name {unknown[0]!r}: the lab hosts are {', '.join(names)}")
    pm.require_podman()
    pm.ensure_engine_config()
    if image.build_base():
        log(f"built image {image.BASE_IMAGE}")
    if neglected and image.build_neglected():
        log(f"built image {image.NEGLECTED_IMAGE}")

    existing = _existing(lab)
    for name, host in existing.items():
        if name in names and host.neglected != (name in neglected):
            kind = "neglected" if host.neglected else "clean"
            raise LabError(f"{name} already runs as a {kind} host: run `bulwark lab down` first")
    pubkey = keys.ensure_keypair(inventory_dir / ".ssh" / "id_ed25519")
    for offset, name in enumerate(names):
        port = first_port + offset
        current = existing.get(name)
        if current is not None:
            if current.state != "running":
                pm.podman("start", current.container)
                hosts.wait_booted(current.container)
                hosts.wait_ssh(current.port)
            continue
        is_neglected = name in neglected
        hosts.run_host(
            f"{lab}-{name}",
            image=image.NEGLECTED_IMAGE if is_neglected else image.BASE_IMAGE,
            ssh_port=port,
            pubkey=pubkey,
            admin=ADMIN,
            hostname=name,
            labels={LABEL: lab, f"{LABEL}.host": name, f"{LABEL}.port": str(port),
                    f"{LABEL}.neglected": "true" if is_neglected else "false"},
        )
        log(f"started {name} ({'neglected' if is_neglected else 'clean'}) on 127.0.0.1:{port}")
    fleet = sorted(_existing(lab).values(), key=lambda h: int(h.name[3:]))
    write_inventory(fleet, inventory_dir)
    return fleet


def write_inventory(fleet: list[LabHost], inventory_dir: Path) -> Path:
    """Write hosts.yml, group_vars/all.yml and a known_hosts file for the running lab."""
    inventory_dir.mkdir(parents=True, exist_ok=True)
    ssh_dir = (inventory_dir / ".ssh").resolve()
    key = ssh_dir / "id_ed25519"
    known_hosts = ssh_dir / "known_hosts"
    lines = []
    for host in fleet:
        for pub in hosts.host_public_keys(host.container):
            kind, blob = pub.split()[:2]
            lines.append(f"[127.0.0.1]:{host.port} {kind} {blob}")
    known_hosts.write_text("\n".join(lines) + "\n")
    inventory = {
        "all": {
            "children": {
                "lab": {
                    "hosts": {
                        h.name: {"ansible_host": "127.0.0.1", "ansible_port": h.port,
                                 "bulwark_lab_neglected": h.neglected}
                        for h in fleet
                    }
                }
            }
        }
    }
    header = "# Generated by `bulwark lab up` — do not edit; `bulwark lab down` removes it.\n"
    (inventory_dir / "hosts.yml").write_text(header + yaml.safe_dump(inventory, sort_keys=False))
    group_vars = {
        "ansible_user": ADMIN,
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={known_hosts} "
                                   "-o StrictHostKeyChecking=yes",
        "ansible_python_interpreter": "/usr/bin/python3",
        # Backups on the lab: the offsite repository is the lab's own S3 endpoint
        # (playbooks/lab-s3.yml). The repository password is generated once per lab.
        "bulwark_backup_agent_restic_password": _lab_secret(ssh_dir / "restic.pass"),
        "bulwark_backup_agent_sources": ["/etc", "/home"],
        "bulwark_backup_agent_repositories": {
            "primary": {"url": "/var/backups/bulwark"},
            "offsite": {
                "url": "s3:http://127.0.0.1:9000/bulwark-offsite/{{ inventory_hostname }}",
                "env": {"AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab-not-secret",
                        "AWS_DEFAULT_REGION": "us-east-1"},
            },
        },
        "bulwark_admins": [
            {"name": ADMIN, "ssh_keys": [key.with_name(key.name + ".pub").read_text().strip()]}
        ],
        "bulwark_accounts_sudoers_declared": [hosts.BOOTSTRAP_SUDOERS],
    }
    (inventory_dir / "group_vars").mkdir(exist_ok=True)
    (inventory_dir / "group_vars" / "all.yml").write_text(
        header + yaml.safe_dump(group_vars, sort_keys=False))
    (inventory_dir / "waivers.yml").write_text(header + yaml.safe_dump(LAB_WAIVERS,
                                                                        sort_keys=False))
    return inventory_dir / "hosts.yml"


def _lab_secret(path: Path) -> str:
    """A random secret kept next to the lab's key (so re-running `up` keeps it)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def status(lab: str = DEFAULT_LAB) -> list[dict[str, object]]:
    rows = []
    for host in sorted(_existing(lab).values(), key=lambda h: int(h.name[3:])):
        reachable = False
        if host.state == "running":
            try:
                hosts.wait_ssh(host.port, timeout=3)
                reachable = True
            except LabError:
                reachable = False
        rows.append({"name": host.name, "container": host.container, "state": host.state,
                     "ssh": f"127.0.0.1:{host.port}", "ssh_up": reachable,
                     "kind": "neglected" if host.neglected else "clean"})
    return rows


def down(inventory_dir: Path = DEFAULT_INVENTORY, lab: str = DEFAULT_LAB,
         log: Callable[[str], object] = print) -> int:
    existing = _existing(lab)
    if not existing:
        # Every lab writes the same default inventory dir: with a mistyped --name, removing it
        # would take the running lab's inventory and pinned host keys away.
        others = sorted({(c.get("Labels") or {}).get(LABEL, "?") for c in pm.containers(LABEL)})
        if others:
            raise LabError(f"lab {lab!r} has no hosts (labs with hosts: {', '.join(others)}; "
                           "pass --name): nothing removed")
    removed = 0
    for host in existing.values():
        hosts.remove_host(host.container)
        log(f"removed {host.name}")
        removed += 1
    for generated in ("hosts.yml", "group_vars/all.yml", ".ssh/known_hosts", "waivers.yml"):
        (inventory_dir / generated).unlink(missing_ok=True)
    return removed


def as_json(rows: list[dict[str, object]]) -> str:
    return json.dumps(rows, indent=2)
