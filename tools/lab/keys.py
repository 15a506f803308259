"""SSH key material for the lab: an ed25519 admin key pair made with `cryptography`."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def ensure_keypair(private_path: Path, comment: str = "bulwark-lab") -> str:
    """Create an ed25519 key pair at ``private_path`` (+ ``.pub``) unless present; return the
    public key line. The private key is written with mode 0600 inside a 0700 directory."""
    pub_path = private_path.with_name(private_path.name + ".pub")
    if private_path.exists() and pub_path.exists():
        return pub_path.read_text().strip()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(private_path.parent, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    line = f"{public} {comment}"
    pub_path.write_text(line + "\n")
    return line
