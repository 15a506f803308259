"""`bulwark lab` end to end with real podman, systemd, sshd and Ansible.

Uses its own lab name and ports so that it never touches a lab the developer has running.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
import yaml

pytestmark = pytest.mark.lab

LAB = "t-lab"
FIRST_PORT = 2251
BULWARK = [sys.executable, "-m", "bulwark"]


def bulwark(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BULWARK, "lab", "--name", LAB, *args], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    inv = tmp_path_factory.mktemp("inventory")
    proc = bulwark("up", "--hosts", "2", "--neglected", "lab2",
                   "--first-port", str(FIRST_PORT), "--inventory-dir", str(inv))
    try:
        assert proc.returncode == 0, proc.stderr
        yield inv
    finally:
        bulwark("down", "--inventory-dir", str(inv))


def _password_login(port: int, user: str, password: str) -> bool:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect("127.0.0.1", port=port, username=user, password=password,
                       look_for_keys=False, allow_agent=False, timeout=10, auth_timeout=10)
        return True
    except paramiko.AuthenticationException:
        return False
    finally:
        client.close()


def test_inventory_lists_hosts_with_admin_and_pinned_host_keys(lab: Path) -> None:
    hosts = yaml.safe_load((lab / "hosts.yml").read_text())["all"]["children"]["lab"]["hosts"]
    assert hosts == {
        "lab1": {"ansible_host": "127.0.0.1", "ansible_port": FIRST_PORT,
                 "bulwark_lab_neglected": False},
        "lab2": {"ansible_host": "127.0.0.1", "ansible_port": FIRST_PORT + 1,
                 "bulwark_lab_neglected": True},
    }
    gv = yaml.safe_load((lab / "group_vars" / "all.yml").read_text())
    assert gv["ansible_user"] == "ops"
    assert gv["bulwark_admins"][0]["name"] == "ops"
    known = (lab / ".ssh" / "known_hosts").read_text()
    assert f"[127.0.0.1]:{FIRST_PORT} ssh-ed25519 " in known


def test_ansible_reaches_every_host_as_admin_with_sudo(lab: Path) -> None:
    ansible = shutil.which("ansible", path=os.path.dirname(sys.executable))
    assert ansible, "ansible is installed next to the interpreter"
    proc = subprocess.run(
        [ansible, "all", "-i", str(lab), "-b", "-m", "ansible.builtin.command",
         "-a", "id -un", "-o"],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("rc=0") == 2
    assert proc.stdout.count("(stdout) root") == 2


def test_neglected_host_has_default_credentials_and_insecure_services(lab: Path) -> None:
    neglected, clean = FIRST_PORT + 1, FIRST_PORT
    assert _password_login(neglected, "root", "root")
    assert _password_login(neglected, "pi", "raspberry")
    assert not _password_login(clean, "root", "root")
    out = subprocess.run(["podman", "exec", f"{LAB}-lab2", "ss", "-Hlntu"],
                         capture_output=True, text=True, check=True).stdout
    ports = {line.split()[4].rsplit(":", 1)[1] for line in out.splitlines()}
    assert {"21", "23", "69", "161"} <= ports
    shadow = subprocess.run(["podman", "exec", f"{LAB}-lab2", "getent", "shadow", "guest"],
                            capture_output=True, text=True, check=True).stdout
    assert shadow.split(":")[1] == ""


def test_up_again_changes_nothing_and_status_reports_hosts(lab: Path) -> None:
    before = (lab / "hosts.yml").read_text()
    proc = bulwark("up", "--hosts", "2", "--neglected", "lab2",
                   "--first-port", str(FIRST_PORT), "--inventory-dir", str(lab))
    assert proc.returncode == 0, proc.stderr
    assert "started" not in proc.stdout
    assert (lab / "hosts.yml").read_text() == before
    rows = json.loads(bulwark("status", "--json").stdout)
    assert [(r["name"], r["kind"], r["ssh_up"]) for r in rows] == [
        ("lab1", "clean", True), ("lab2", "neglected", True)]


def test_changing_a_hosts_kind_is_refused(lab: Path) -> None:
    proc = bulwark("up", "--hosts", "2", "--first-port", str(FIRST_PORT),
                   "--inventory-dir", str(lab))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "bulwark: error: lab2 already runs as a neglected host: run `bulwark lab down` first")


def test_port_taken_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run([*BULWARK, "lab", "--name", "t-port", "up", "--hosts", "1",
                               "--first-port", str(port), "--inventory-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"bulwark: error: port {port} on 127.0.0.1 is already in use"
    listed = subprocess.run(["podman", "ps", "-a", "--filter", "label=bulwark.lab=t-port",
                             "--format", "{{.Names}}"], capture_output=True, text=True).stdout
    assert listed.strip() == ""


def test_podman_missing_is_one_clear_line(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))
    proc = bulwark("up", "--hosts", "1", "--inventory-dir", str(tmp_path), env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("bulwark: error: podman is not installed")


def test_down_removes_hosts_and_generated_inventory(tmp_path: Path) -> None:
    env = dict(os.environ, BULWARK_LAB="t-down")  # the lab name can come from the environment
    inv = tmp_path / "inv"
    proc = subprocess.run([*BULWARK, "lab", "up", "--hosts", "1", "--first-port",
                           str(FIRST_PORT + 6), "--inventory-dir", str(inv)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (inv / "hosts.yml").exists()
    proc = subprocess.run([*BULWARK, "lab", "down", "--inventory-dir", str(inv)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0
    assert "1 host(s) removed" in proc.stdout
    assert not (inv / "hosts.yml").exists()
    listed = subprocess.run(["podman", "ps", "-a", "--filter", "label=bulwark.lab=t-down",
                             "--format", "{{.Names}}"], capture_output=True, text=True).stdout
    assert listed.strip() == ""
