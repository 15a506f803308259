"""Start and remove single lab hosts: systemd containers with SSH on a 127.0.0.1 port.

Used by `bulwark lab` and by test fixtures that need a real host with a real sshd.
"""

from __future__ import annotations

import shlex
import socket
import time
from collections.abc import Iterable, Mapping

from bulwark.errors import LabError
from bulwark.lab import podman as pm

CAPABILITIES = ("NET_ADMIN", "NET_RAW", "AUDIT_WRITE")
BOOT_TIMEOUT = 120.0
SSH_TIMEOUT = 60.0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_ssh(port: int, host: str = "127.0.0.1", timeout: float = SSH_TIMEOUT) -> None:
    """Wait until an SSH server answers with its banner on host:port."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=3) as sock:
                sock.settimeout(5)
                banner = sock.recv(64)
                if banner.startswith(b"SSH-"):
                    return
                last = f"unexpected banner {banner[:20]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise LabError(f"SSH on {host}:{port} did not come up within {int(timeout)}s ({last})")


def wait_booted(name: str, timeout: float = BOOT_TIMEOUT) -> str:
    """Wait for systemd in the container to finish booting; return its state."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        proc = pm.podman("exec", name, "systemctl", "is-system-running", check=False)
        state = proc.stdout.decode(errors="replace").strip() or "unknown"
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise LabError(f"host {name} did not finish booting within {int(timeout)}s (systemd: {state})")

# The rule that lets the lab admin run the first site.yml (before the accounts role's own
# drop-in exists). The lab inventory declares it (bulwark_accounts_sudoers_declared), as a
# user declares a provisioning rule they keep; the access review flags every other rule (B32b).
BOOTSTRAP_SUDOERS = "/etc/sudoers.d/90-bulwark-lab"


def _admin_script(admin: str, pubkey: str) -> str:
    user = shlex.quote(admin)
    key = shlex.quote(pubkey.strip())
    return f"""set -e
id {user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups sudo {user}
usermod --password '*' {user}
install -d -m 0700 -o {user} -g {user} /home/{admin}/.ssh
printf '%s\\n' {key} > /home/{admin}/.ssh/authorized_keys
chown {user}:{user} /home/{admin}/.ssh/authorized_keys
chmod 0600 /home/{admin}/.ssh/authorized_keys
printf '%s ALL=(ALL) NOPASSWD: ALL\\n' {user} > {BOOTSTRAP_SUDOERS}
chmod 0440 {BOOTSTRAP_SUDOERS}
visudo -cqf {BOOTSTRAP_SUDOERS}
# Keep the admin's systemd user manager running: in a container on cgroup v1 systemd never sees
# its cgroup empty, so every stop waits out TimeoutStopSec (120 s) and blocks the next login.
loginctl enable-linger {user} 2>/dev/null \\
  || {{ install -d /var/lib/systemd/linger; touch /var/lib/systemd/linger/{admin}; }}
"""


def run_host(
    name: str,
    *,
    image: str,
    ssh_port: int,
    pubkey: str,
    admin: str = "ops",
    labels: Mapping[str, str] | None = None,
    extra_publish: Iterable[str] = (),
    hostname: str | None = None,
) -> None:
    """Start a systemd host from ``image`` with SSH on 127.0.0.1:``ssh_port``, create ``admin``
    with ``pubkey`` (key-only, passwordless sudo) and wait until SSH answers."""
    pm.require_podman()
    pm.ensure_engine_config()
    if not pm.image_exists(image):
        raise LabError(f"image {image} is missing: run `bulwark lab up` or `make lab-image`")
    if pm.podman("container", "exists", name, check=False).returncode == 0:
        raise LabError(f"a container named {name} already exists")
    if not port_is_free(ssh_port):
        raise LabError(f"port {ssh_port} on 127.0.0.1 is already in use")
    argv = ["run", "--detach", "--name", name, "--hostname", hostname or name,
            "--systemd", "always", "--publish", f"127.0.0.1:{ssh_port}:22"]
    for cap in CAPABILITIES:
        argv += ["--cap-add", cap]
    for spec in extra_publish:
        argv += ["--publish", spec]
    for key, value in (labels or {}).items():
        argv += ["--label", f"{key}={value}"]
    argv += [image, "/sbin/init"]
    pm.podman(*argv)
    try:
        wait_booted(name)
        pm.podman("exec", "-i", name, "bash", "-s", input=_admin_script(admin, pubkey).encode())
        wait_ssh(ssh_port)
    except BaseException:
        remove_host(name)
        raise


def host_public_keys(name: str) -> list[str]:
    """The host's SSH public keys, read through podman (a trusted channel)."""
    out = pm.podman("exec", name, "sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub").stdout
    return [line.strip() for line in out.decode().splitlines() if line.strip()]


def remove_host(name: str) -> None:
    pm.podman("rm", "--force", "--time", "2", name, check=False)
