"""Build (once) the lab's Debian 12 base image and its "neglected server" variant.

No registry is reachable, so the base image is made with debootstrap from the Debian mirror
that apt on this machine already uses, then `podman import`-ed. Both images are cached in
podman's store; building again is a no-op unless forced.

The base image gets this machine's apt sources (security suite included). The neglected image
is left with the sources plain `debootstrap --variant=minbase` writes (`<suite> main` only: no
security suite, no `-updates`) and month-old package lists, the way many minimal, appliance and
old cloud images are found, so the patching role has to repair apt before it can patch (D1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bulwark.errors import LabError
from bulwark.lab import podman as pm

BASE_IMAGE = "localhost/bulwark-debian12:latest"
NEGLECTED_IMAGE = "localhost/bulwark-debian12-neglected:latest"
# Bumped whenever the neglected build changes, so a cached image from an older build is rebuilt
# (2: debootstrap's own apt sources and stale lists).
NEGLECTED_REVISION = "2"
_REVISION_LABEL = "org.bulwark.neglected-revision"
SUITE = "bookworm"
# What a freshly installed minimal Debian server has, plus what Ansible needs (python3-apt).
BASE_PACKAGES = [
    "openssh-server", "python3", "python3-apt", "systemd", "systemd-sysv", "sudo", "iproute2",
    "procps", "cron", "ca-certificates", "logrotate", "less",
]
# A neglected server: telnet via inetd, FTP, TFTP and SNMP with community 'public'.
NEGLECTED_PACKAGES = ["openbsd-inetd", "inetutils-telnetd", "vsftpd", "tftpd-hpa", "snmpd"]
# Vendor defaults (B23/B1 in the policy): the credentials the hardening must get rid of.
NEGLECTED_ACCOUNTS = {"root": "root", "admin": "admin", "pi": "raspberry"}
NEGLECTED_EMPTY_PASSWORD_ACCOUNT = "guest"

_HOSTKEY_UNIT = """[Unit]
Description=Generate SSH host keys on first boot (lab image ships none)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""

_NEGLECT_SCRIPT = r"""
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq {packages} >/dev/null
{passwords}
id {empty} >/dev/null 2>&1 || useradd -m -s /bin/bash {empty}
passwd -d {empty} >/dev/null
# inetutils-telnetd registers itself with update-inetd only when inetd was configured first.
grep -q '^telnet' /etc/inetd.conf || \
  echo 'telnet stream tcp nowait root /usr/sbin/telnetd telnetd' >> /etc/inetd.conf
cat > /etc/snmp/snmpd.conf <<'CONF'
agentAddress udp:161,udp6:[::]:161
rocommunity public default
rocommunity6 public default
sysLocation lab
CONF
cat > /etc/ssh/sshd_config.d/50-cloud-init.conf <<'CONF'
PasswordAuthentication yes
PermitRootLogin yes
CONF
systemctl enable inetd vsftpd tftpd-hpa snmpd >/dev/null 2>&1 || true
apt-get clean
# What debootstrap itself writes: the one suite it installed from, nothing else.
rm -f /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list
echo 'deb {mirror} {suite} main' > /etc/apt/sources.list
apt-get update -qq
# Lists nobody refreshed for a month.
rm -f /var/lib/apt/periodic/update-success-stamp
find /var/lib/apt/lists -exec touch -d '-30 days' {{}} +
"""


def apt_sources() -> tuple[str, Path | None]:
    """The mirror URI apt uses for Debian, and the deb822 sources file to copy into the image."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    candidates = [deb822, Path("/etc/apt/sources.list")]
    for path in candidates:
        if not path.exists():
            continue
        text = path.read_text()
        m = re.search(r"^URIs:\s*(\S+)", text, re.M) or re.search(
            r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M
        )
        if m:
            return m.group(1), (path if path == deb822 else None)
    raise LabError("cannot find the Debian mirror apt uses (no /etc/apt/sources.list[.d])")


def build_base(force: bool = False) -> bool:
    """Build the base image if missing. Returns True if it was built."""
    pm.require_podman()
    pm.ensure_engine_config()
    if pm.image_exists(BASE_IMAGE) and not force:
        return False
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is not installed: run `make deps`")
    mirror, sources = apt_sources()
    with tempfile.TemporaryDirectory(prefix="bulwark-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
               SUITE, str(rootfs), mirror]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            raise LabError(f"debootstrap failed: {' | '.join(tail)}")
        _customise(rootfs, sources)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["podman", "import", "--change", "CMD=/sbin/init", "-", BASE_IMAGE],
                             stdin=tar.stdout, capture_output=True)
        tar.wait()
        if imp.returncode != 0 or tar.returncode != 0:
            raise LabError(f"podman import failed: {imp.stderr.decode(errors='replace').strip()}")
    return True


def _customise(rootfs: Path, sources: Path | None) -> None:
    # Every container must get its own machine-id and SSH host keys, not the image's.
    (rootfs / "etc/machine-id").write_text("")
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    unit = rootfs / "etc/systemd/system/bulwark-hostkeys.service"
    unit.write_text(_HOSTKEY_UNIT)
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "bulwark-hostkeys.service"
    if not link.exists():
        link.symlink_to("/etc/systemd/system/bulwark-hostkeys.service")
    if sources is not None:
        (rootfs / "etc/apt/sources.list.d").mkdir(parents=True, exist_ok=True)
        shutil.copy(sources, rootfs / "etc/apt/sources.list.d/debian.sources")
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    # Units that cannot work in a container and only add noise to boot.
    for masked in ("systemd-networkd-wait-online.service", "getty@tty1.service"):
        target = rootfs / "etc/systemd/system" / masked
        if not target.exists():
            target.symlink_to("/dev/null")
    os.chmod(rootfs / "etc/machine-id", 0o444)


def build_neglected(force: bool = False) -> bool:
    """Build the neglected-server image on top of the base image. Returns True if built."""
    build_base()
    if pm.image_label(NEGLECTED_IMAGE, _REVISION_LABEL) == NEGLECTED_REVISION and not force:
        return False
    passwords = "\n".join(
        f"id {u} >/dev/null 2>&1 || useradd -m -s /bin/bash {u}\necho '{u}:{p}' | chpasswd"
        for u, p in NEGLECTED_ACCOUNTS.items()
    )
    mirror, _sources = apt_sources()
    script = _NEGLECT_SCRIPT.format(packages=" ".join(NEGLECTED_PACKAGES), passwords=passwords,
                                    empty=NEGLECTED_EMPTY_PASSWORD_ACCOUNT, mirror=mirror,
                                    suite=SUITE)
    name = "bulwark-build-neglected"
    pm.podman("rm", "-f", name, check=False)
    try:
        pm.podman("run", "--name", name, BASE_IMAGE, "bash", "-c", script)
        pm.podman("commit", "--change", "CMD=/sbin/init", "--change",
                  f"LABEL {_REVISION_LABEL}={NEGLECTED_REVISION}", name, NEGLECTED_IMAGE)
    finally:
        pm.podman("rm", "-f", name, check=False)
    return True
