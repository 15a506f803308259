"""The firewall role on a container host: Docker's chains survive, published ports obey the
inventory, container networks keep forwarding (issue: firewall that coexists with engines).

The host is a lab container with a "container network" of its own: a network namespace behind
a veth pair (172.30.0.2, and a second one at 172.30.1.2), a web server in the first, and the
tables, chains and NAT rules dockerd creates for a bridge network with two published ports,
made with iptables-nft exactly as Docker does. Ports 8081 and 8082 of the host are published
on 127.0.0.1:2351/2352; the inventory allows 8081 only.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulwark.lab import podman as pm
from bulwark.lab.hosts import remove_host, wait_booted
from bulwark.lab.image import BASE_IMAGE
from bulwark.report.gather import REPO_ROOT, ansible_playbook

pytestmark = [pytest.mark.integration, pytest.mark.lab]

HOST = "f-docker-host"
ALLOWED_PORT, DENIED_PORT = 2351, 2352

# What dockerd (iptables-nft backend) creates for one bridge network and two published ports;
# "veth0" plays docker0. Ports 8081 and 8082 are DNAT'ed to the container's port 80.
DOCKER_CHAINS = r"""set -e
iptables -N DOCKER
iptables -N DOCKER-ISOLATION-STAGE-1
iptables -N DOCKER-ISOLATION-STAGE-2
iptables -N DOCKER-USER
iptables -A FORWARD -j DOCKER-USER
iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
iptables -A FORWARD -o veth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -o veth0 -j DOCKER
iptables -A FORWARD -i veth0 ! -o veth0 -j ACCEPT
iptables -A FORWARD -i veth0 -o veth0 -j ACCEPT
iptables -A DOCKER-ISOLATION-STAGE-1 -i veth0 ! -o veth0 -j DOCKER-ISOLATION-STAGE-2
iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
iptables -A DOCKER-ISOLATION-STAGE-2 -o veth0 -j DROP
iptables -A DOCKER-ISOLATION-STAGE-2 -j RETURN
iptables -A DOCKER-USER -j RETURN
iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 172.30.0.0/24 ! -o veth0 -j MASQUERADE
iptables -t nat -A DOCKER -i veth0 -j RETURN
for port in 8081 8082; do
  iptables -A DOCKER -d 172.30.0.2/32 ! -i veth0 -o veth0 -p tcp --dport 80 -j ACCEPT
  iptables -t nat -A DOCKER ! -i veth0 -p tcp --dport $port -j DNAT --to-destination 172.30.0.2:80
done
"""

# Two "containers": ctr (172.30.0.2, serves HTTP on 80) and ctr2 (172.30.1.2, a client).
NETWORKS = r"""set -e
for n in 0 1; do
  ns=ctr$n; ip netns add $ns
  ip link add veth$n type veth peer name peer$n
  ip link set peer$n netns $ns
  ip addr add 172.30.$n.1/24 dev veth$n; ip link set veth$n up
  ip netns exec $ns ip addr add 172.30.$n.2/24 dev peer$n
  ip netns exec $ns ip link set peer$n up
  ip netns exec $ns ip link set lo up
  ip netns exec $ns ip route add default via 172.30.$n.1
done
mkdir -p /srv/www && echo hello-from-container > /srv/www/index.html
systemd-run --unit ctr-web ip netns exec ctr0 python3 -m http.server 80 -d /srv/www
"""


def _exec(script: str, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return pm.podman("exec", "-i", HOST, "bash", "-s", input=script.encode(), check=check)


def _out(script: str) -> str:
    return _exec(script).stdout.decode()


def _docker_rules() -> str:
    """Docker's tables as nft lists them, without the packet counters that traffic moves."""
    listing = _out("nft list table ip filter; nft list table ip nat")
    return re.sub(r"counter packets \d+ bytes \d+", "counter", listing)


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    pm.require_podman()
    pm.ensure_engine_config()
    remove_host(HOST)
    # SYS_ADMIN for `ip netns`; forwarding is a per-network-namespace sysctl of the container.
    pm.podman("run", "--detach", "--name", HOST, "--hostname", HOST, "--systemd", "always",
              "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW", "--cap-add", "SYS_ADMIN",
              "--sysctl", "net.ipv4.ip_forward=1",
              "--publish", f"127.0.0.1:{ALLOWED_PORT}:8081",
              "--publish", f"127.0.0.1:{DENIED_PORT}:8082",
              "--label", "bulwark.test=f", BASE_IMAGE, "/sbin/init")
    try:
        wait_booted(HOST)
        _exec("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
              "--no-install-recommends iptables nftables >/dev/null")
        _exec(NETWORKS)
        _exec(DOCKER_CHAINS)
        yield HOST
    finally:
        remove_host(HOST)


def _fetch(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            return resp.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def _converge(tmp_path: Path, networks: list[str]) -> str:
    playbook = tmp_path / "firewall.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  roles: [firewall]\n")
    proc = subprocess.run(
        [ansible_playbook(), "-i", f"{HOST},", "-c", "containers.podman.podman", str(playbook),
         "-e", json.dumps({"bulwark_firewall_allowed_tcp": [22, 8081],
                           "bulwark_firewall_container_networks": networks})],
        capture_output=True, text=True, timeout=600,
        env={"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin",
             "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc.stdout


def _changed(stdout: str) -> int:
    recap = re.search(rf"{HOST}\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", stdout)
    assert recap, stdout[-1500:]
    return int(recap.group(1))


def test_published_ports_obey_the_inventory_and_docker_chains_survive(
    docker_host: str, tmp_path: Path
) -> None:
    docker_tables = _docker_rules()
    # Before Bulwark, Docker publishes both ports: this is what the role has to close.
    assert _fetch(ALLOWED_PORT) == "hello-from-container"
    assert _fetch(DENIED_PORT) == "hello-from-container"

    # Without declared container networks the forward policy drop cuts the engine off; the
    # knob is what makes a container host work.
    _converge(tmp_path, [])
    assert _fetch(ALLOWED_PORT) is None

    first = _converge(tmp_path, ["172.30.0.0/24", "172.30.1.0/24"])
    assert _changed(first) > 0
    second = _converge(tmp_path, ["172.30.0.0/24", "172.30.1.0/24"])
    assert _changed(second) == 0, second[-3000:]

    assert _fetch(ALLOWED_PORT) == "hello-from-container"
    assert _fetch(DENIED_PORT) is None
    forward = _out("nft list chain inet bulwark forward")
    assert re.search(r'counter packets [1-9]\d* bytes \d+ drop comment "published port not '
                     r'allowed"', forward), forward

    # Container to container across the two networks: forwarded.
    reached = _exec("ip netns exec ctr1 python3 -c \"import urllib.request;print(urllib.request"
                    ".urlopen('http://172.30.0.2/',timeout=5).read().decode())\"", check=False)
    assert reached.returncode == 0 and b"hello-from-container" in reached.stdout, reached.stderr

    # Docker's tables, chains and rules are exactly as Docker left them.
    assert _docker_rules() == docker_tables
