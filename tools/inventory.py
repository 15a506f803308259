"""Read an Ansible inventory for the Python tools, with ansible's own parser.

Every format the operator's playbooks accept works here too (YAML, INI, directories, scripts,
group_vars/host_vars, `--limit` patterns). Only connection facts are read, so a vault
password is never needed: inline `!vault` values are not decrypted unless asked for, and a
whole-file-encrypted vars file is skipped (its keys are then unknown to us) rather than fatal.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulwark.errors import BulwarkError

DEFAULT_SSH_PORT = 22


class InventoryError(BulwarkError):
    """The inventory cannot be read or the pattern selects nothing."""


@dataclass(frozen=True)
class InventoryHost:
    """One host as a connecting tool needs it."""

    name: str
    address: str
    port: int
    admins: tuple[str, ...] = ()
    groups: tuple[str, ...] = field(default_factory=tuple)


def load_hosts(source: str | Path, limit: str | None = None) -> list[InventoryHost]:
    """Hosts of the inventory at `source`, filtered by an Ansible host pattern."""
    path = Path(source)
    if not path.exists():
        raise InventoryError(f"inventory not found: {path}")
    manager, variables = _open(path)
    pattern = limit or "all"
    try:
        with _quiet():
            selected = manager.get_hosts(pattern)
    except Exception as exc:  # ansible raises AnsibleError subclasses for bad patterns
        raise InventoryError(f"bad host pattern {pattern!r}: {_one_line(exc)}") from exc
    if not selected:
        raise InventoryError(f"no hosts in {path} match {pattern!r}")
    for host in selected:
        # Ansible's INI parser takes the first word of almost any line as a host, so a binary
        # or other non-inventory file "parses"; its names then break DNS, JSON and HTML later.
        if not host.name.isprintable():
            raise InventoryError(f"{path} is not an inventory: host name {host.name[:40]!r} "
                                 "is not printable text")
    return [_to_host(h, variables) for h in selected]


def _open(path: Path) -> tuple[Any, Any]:
    from ansible import constants
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    # An unparsable inventory must be an error here, not a warning and an empty host list.
    constants.INVENTORY_UNPARSED_IS_FAILED = True
    loader = DataLoader()
    try:
        with _quiet():
            manager = InventoryManager(loader=loader, sources=[str(path)])
    except Exception as exc:
        raise InventoryError(
            f"cannot parse inventory {path} (details: ansible-inventory -i {path} --list)"
        ) from exc
    return manager, VariableManager(loader=loader, inventory=manager)


def _host_vars(host: Any, variables: Any) -> Mapping[str, Any]:
    """Inventory + group_vars/host_vars of `host`; inventory-only if a vars file is vaulted."""
    try:
        return variables.get_vars(host=host, include_hostvars=False)
    except Exception:
        merged: dict[str, Any] = {}
        for group in sorted(host.get_groups(), key=lambda g: (g.depth, g.priority, g.name)):
            merged.update(group.get_vars())
        merged.update(host.get_vars())
        return merged


def _to_host(host: Any, variables: Any) -> InventoryHost:
    hv = _host_vars(host, variables)
    address = _plain(hv.get("ansible_host")) or host.name
    if "{{" in address:
        raise InventoryError(f"{host.name}: ansible_host is a template ({address}); set a literal")
    if not address.isprintable():
        raise InventoryError(f"{host.name}: ansible_host is not printable text: {address[:40]!r}")
    raw_port = _plain(hv.get("ansible_port")) or DEFAULT_SSH_PORT
    try:
        port = int(raw_port)
    except (TypeError, ValueError) as exc:
        raise InventoryError(f"{host.name}: ansible_port is not a number: {raw_port!r}") from exc
    if not 0 < port < 65536:
        raise InventoryError(f"{host.name}: ansible_port out of range: {port}")
    admins = _admin_names(host.name, hv.get("bulwark_admins"))
    groups = tuple(sorted(g.name for g in host.get_groups() if g.name != "all"))
    return InventoryHost(name=host.name, address=address, port=port, admins=admins, groups=groups)


def _admin_names(host: str, value: Any) -> tuple[str, ...]:
    """`bulwark_admins` is a list of names or of mappings with a `name` key (accounts role)."""
    if value in (None, ""):
        return ()
    if not isinstance(value, list | tuple):
        raise InventoryError(f"{host}: bulwark_admins must be a list, got {type(value).__name__}")
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(names)


def _plain(value: Any) -> Any:
    """Inventory values are ansible-tagged str/int subclasses; hand back plain Python values."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return value


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Ansible prints parser warnings itself; our caller reports one line instead."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
