"""Filter for the ssh role's lockout guard: is an address inside one of some networks."""

from __future__ import annotations

import ipaddress


def address_in(address: str, networks: list[str]) -> bool:
    """True when `address` lies in any CIDR of `networks` (IPv4-mapped IPv6 is unwrapped)."""
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(str(net), strict=False) for net in networks)


class FilterModule:
    """Ansible filter registration."""

    def filters(self) -> dict[str, object]:
        return {"bulwark_ssh_address_in": address_in}
