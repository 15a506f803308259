"""The one place the lab runs podman: configuration of the engine and thin command helpers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bulwark.errors import LabError

CONTAINERS_CONF = Path("/etc/containers/containers.conf")
_MARKER = "# Managed by bulwark lab"
# These settings are what makes rootful podman work on hybrid-cgroup CI machines: crun fails
# there, and raising rlimits above the host's is denied.
_CONF = f"""{_MARKER}: runc runtime and ulimits that rootful podman needs on hybrid cgroups.
[engine]
runtime = "runc"

[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
"""


def require_podman() -> str:
    exe = shutil.which("podman")
    if exe is None:
        raise LabError("podman is not installed: run `make deps` (apt-get install podman runc)")
    if shutil.which("runc") is None:
        raise LabError("runc is not installed: run `make deps` (apt-get install runc)")
    return exe


def ensure_engine_config(path: Path = CONTAINERS_CONF) -> bool:
    """Write containers.conf unless it already carries our settings. Returns True if written."""
    if path.exists():
        text = path.read_text()
        if 'runtime = "runc"' in text and "default_ulimits" in text:
            return False
        if _MARKER not in text and text.strip():
            raise LabError(
                f"{path} exists and does not set runtime=runc and default_ulimits; "
                "add them (see README, 'The lab') or move the file aside"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_CONF)
    return True


def podman(*args: str, check: bool = True, input: bytes | None = None,
           capture: bool = True) -> subprocess.CompletedProcess[bytes]:
    exe = require_podman()
    proc = subprocess.run([exe, *args], input=input, capture_output=capture)
    if check and proc.returncode != 0:
        err = (proc.stderr or b"").decode(errors="replace").strip().splitlines()
        reason = err[-1] if err else f"exit {proc.returncode}"
        raise LabError(f"podman {args[0]} failed: {reason}")
    return proc


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def image_label(name: str, key: str) -> str:
    """One label of a local image ('' when the image or the label is missing)."""
    proc = podman("image", "inspect", "--format", "json", name, check=False)
    if proc.returncode != 0:
        return ""
    info = json.loads(proc.stdout or b"[]")
    labels = (info[0].get("Config") or {}).get("Labels") or {} if info else {}
    return str(labels.get(key, ""))


def containers(label: str) -> list[dict]:
    out = podman("ps", "-a", "--filter", f"label={label}", "--format", "json").stdout
    return json.loads(out or b"[]")
