"""Filters for the ssh role: which authorised keys survive hardening, and moduli pruning."""

from __future__ import annotations

import base64
import binascii
import re
import struct

_KEY_RE = re.compile(
    r"(?:^|\s)((?:sk-)?(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp\d+)(?:@openssh\.com)?"
    r"(?:-cert-v01@openssh\.com)?)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)"
)
# Public key types an admin may log in with after hardening (DSA is gone since OpenSSH 9.8
# and never accepted here).
_USABLE_TYPES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def _parse(line: str) -> tuple[str, str] | None:
    """Return (type, base64 blob) of an authorized_keys or .pub line, or None."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    match = _KEY_RE.search(line)
    return (match.group(1), match.group(2)) if match else None


def _rsa_bits(blob: str) -> int:
    """Modulus size of an ssh-rsa public key blob (RFC 4253: string type, mpint e, mpint n)."""
    try:
        data = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return 0
    fields: list[bytes] = []
    offset = 0
    while offset + 4 <= len(data) and len(fields) < 3:
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        fields.append(data[offset + 4 : offset + 4 + length])
        offset += 4 + length
    if len(fields) < 3:
        return 0
    return int.from_bytes(fields[2], "big").bit_length()


def usable_keys(authorized: str, declared: list[str], min_rsa_bits: int = 3072) -> list[str]:
    """Keys present in `authorized` AND in `declared` that sshd will still accept.

    `authorized` is the text of the user's authorized_keys, `declared` the user's
    bulwark_admins ssh_keys. Returns the matching key types with a fingerprint-free label.
    """
    wanted = {parsed for parsed in map(_parse, declared) if parsed}
    usable: list[str] = []
    for line in authorized.splitlines():
        parsed = _parse(line)
        if parsed is None or parsed not in wanted:
            continue
        key_type, blob = parsed
        if key_type not in _USABLE_TYPES:
            continue
        if key_type == "ssh-rsa" and _rsa_bits(blob) < min_rsa_bits:
            continue
        usable.append(f"{key_type} {blob[-12:]}")
    return usable


def prune_moduli(text: str, min_bits: int) -> str:
    """Drop /etc/ssh/moduli groups whose size (5th column) is below `min_bits`."""
    kept: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        is_group = not line.startswith("#") and len(fields) >= 7 and fields[4].isdigit()
        if not is_group or int(fields[4]) >= min_bits:
            kept.append(line)
    return "\n".join(kept) + "\n"


def moduli_groups(text: str) -> int:
    """Number of Diffie-Hellman groups (non-comment lines) in a moduli file."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))


class FilterModule:
    """Ansible filter registration."""

    def filters(self) -> dict[str, object]:
        return {
            "bulwark_ssh_usable_keys": usable_keys,
            "bulwark_ssh_prune_moduli": prune_moduli,
            "bulwark_ssh_moduli_groups": moduli_groups,
        }
