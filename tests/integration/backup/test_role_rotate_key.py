"""The backup_agent role's rotation path (bulwark_backup_agent_rotate_key), run by Ansible on
this machine with a local connection: only the role's config and rotate_key task files, against
local repositories in tmp_path (nothing is installed or scheduled)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backup.conftest import BULWARK, clean_env

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]
OLD, NEW, NEWER = "old-Restic-Passw0rd-1", "new-Restic-Passw0rd-2", "newer-Restic-Passw0rd-3"
PLAY = """---
- name: The backup_agent role's config and rotation tasks on this machine
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the config and its secrets
      ansible.builtin.include_role: {name: backup_agent, tasks_from: config.yml}
    - name: Rotate the password
      ansible.builtin.include_role: {name: backup_agent, tasks_from: rotate_key.yml}
      when: bulwark_backup_agent_rotate_key | bool
"""


def play(root: Path, password: str, rotate: bool, *args: str) -> subprocess.CompletedProcess[str]:
    extra: dict[str, Any] = {
        "ansible_python_interpreter": sys.executable,
        "bulwark_backup_agent_venv": str(Path(BULWARK).parent.parent),
        "__bulwark_backup_agent_installed": True,
        "bulwark_backup_agent_config_dir": str(root / "etc"),
        "bulwark_backup_agent_config_file": str(root / "etc" / "backup.yml"),
        "bulwark_backup_agent_state_dir": str(root / "state"),
        "bulwark_backup_agent_sources": [str(root / "src")],
        "bulwark_backup_agent_repositories": {"primary": {"url": str(root / "repo-primary")},
                                              "copy": {"url": str(root / "repo-copy")}},
        "bulwark_backup_agent_restic_password": password,
        "bulwark_backup_agent_rotate_key": rotate,
    }
    playbook = root / "play.yml"
    playbook.write_text(PLAY)
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
         "-c", "local", str(playbook), "-e", json.dumps(extra), *args],
        capture_output=True, text=True, timeout=600, check=False,
        env=clean_env({"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
                       "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")}),
    )


def changed(done: subprocess.CompletedProcess[str]) -> int:
    match = re.search(r"localhost\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0",
                      done.stdout)
    assert match, done.stdout[-3000:]
    return int(match.group(1))


def opens(root: Path, repo: str, password: str) -> bool:
    probe = root / "probe.pass"
    probe.write_text(password + "\n")
    return subprocess.run(
        ["restic", "cat", "config", "--no-lock"], capture_output=True, check=False,
        env=clean_env({"RESTIC_REPOSITORY": str(root / repo),
                       "RESTIC_PASSWORD_FILE": str(probe)}),
    ).returncode == 0


def rotations(root: Path) -> list[str]:
    runs = [json.loads(line) for line in (root / "state" / "runs.jsonl").read_text().splitlines()]
    return [run["result"] for run in runs if run["command"] == "rotate-key"]


def test_role_rolls_a_changed_password_out_with_rotate_key(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "data.txt").write_text("shop data\n")
    first = play(tmp_path, OLD, False)
    assert changed(first) > 0
    config = str(tmp_path / "etc" / "backup.yml")
    for command in ("init", "run"):
        done = subprocess.run([BULWARK, "backup", command, "--config", config],
                              capture_output=True, text=True, env=clean_env(), check=False)
        assert done.returncode == 0, done.stderr
    password_file = tmp_path / "etc" / "restic.pass"

    check = play(tmp_path, NEWER, True, "--check")  # check mode: nothing rotated or written
    assert check.returncode == 0, check.stdout[-3000:]
    assert password_file.read_text() == OLD + "\n"

    rotated = play(tmp_path, NEW, True)
    assert changed(rotated) > 0
    assert password_file.read_text() == NEW + "\n"
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "etc" / "restic.pass.new").exists()
    for repo in ("repo-primary", "repo-copy"):
        assert opens(tmp_path, repo, NEW) and not opens(tmp_path, repo, OLD)
    assert rotations(tmp_path) == ["ok"]
    assert NEW not in rotated.stdout and OLD not in rotated.stdout  # no_log

    again = play(tmp_path, NEW, True)
    assert changed(again) == 0  # idempotent: the file already holds it
    assert rotations(tmp_path) == ["ok"]


def test_without_rotate_key_the_role_just_writes_the_file(tmp_path: Path) -> None:
    """The control: the old behaviour, which is why rotation exists (the repositories stop
    opening with the file's password)."""
    (tmp_path / "src").mkdir()
    play(tmp_path, OLD, False)
    config = str(tmp_path / "etc" / "backup.yml")
    subprocess.run([BULWARK, "backup", "init", "--config", config], capture_output=True,
                   env=clean_env(), check=True)
    overwritten = play(tmp_path, NEW, False)
    assert changed(overwritten) > 0
    assert (tmp_path / "etc" / "restic.pass").read_text() == NEW + "\n"
    assert not opens(tmp_path, "repo-primary", NEW)
