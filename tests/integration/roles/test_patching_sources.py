"""patching role on the neglected lab image (apt lists only `bookworm main`): a security suite
that cannot be downloaded stops the role with one message naming the URI it tried (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "localhost/bulwark-debian12-neglected:latest"
CONTAINER = "n-patching-sources"
# Nothing listens on the discard port: apt's download fails at once.
BAD_URI = "http://127.0.0.1:9/debian-security"
PLAY = """
- name: Repair apt sources and require the security lists
  hosts: all
  gather_subset: [min]
  tasks:
    - name: Add the missing suites
      ansible.builtin.include_role:
        name: patching
        tasks_from: sources
    - name: Require the security lists
      ansible.builtin.include_role:
        name: patching
        tasks_from: security_lists
"""


@pytest.fixture(scope="module")
def neglected_host() -> Iterator[str]:
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        pytest.fail(f"{IMAGE} is not built: run `make lab-image`")
    subprocess.run(["podman", "rm", "-f", CONTAINER], capture_output=True)
    subprocess.run(["podman", "run", "-d", "--name", CONTAINER, IMAGE, "sleep", "infinity"],
                   check=True, capture_output=True)
    try:
        yield CONTAINER
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", CONTAINER], capture_output=True)


def test_unreachable_security_uri_fails_naming_it(neglected_host: str, tmp_path: Path) -> None:
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_ROLES_PATH=str(ROOT / "roles"))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", f"{neglected_host},",
         "-c", "containers.podman.podman", str(play),
         "-e", f"bulwark_patching_security_uri={BAD_URI}"],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode != 0, proc.stdout[-2000:]
    out = " ".join(proc.stdout.split())
    assert f"could not download the bookworm-security suite from {BAD_URI}" in out, out[-2000:]
    assert "Stop when the security repository lists are still missing" in proc.stdout
    written = subprocess.run(
        ["podman", "exec", neglected_host, "cat",
         "/etc/apt/sources.list.d/bulwark-debian.sources"],
        capture_output=True, text=True, check=True).stdout
    assert f"URIs: {BAD_URI}" in written
