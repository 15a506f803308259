""".ci/rename_internal_vars.py on a small git tree: it renames whole names only, keeps a bare
`__x` to its own role, is idempotent, and --check fails while an old name is left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / ".ci" / "rename_internal_vars.py"

SSH_TASKS = """\
- name: Read the moduli
  ansible.builtin.slurp:
    src: /etc/ssh/moduli
  register: bulwark_ssh__moduli
- name: Use it
  vars:
    __line: "{{ bulwark_ssh__moduli.content }} {{ bulwark_ssh__moduli_other }}"
  ansible.builtin.debug:
    msg: "{{ __line }} {{ __bulwark_ssh_moduli }} {{ bulwark_ssh_port }}"
"""
SSH_RENAMED = """\
- name: Read the moduli
  ansible.builtin.slurp:
    src: /etc/ssh/moduli
  register: __bulwark_ssh_moduli
- name: Use it
  vars:
    __bulwark_ssh_line: "{{ __bulwark_ssh_moduli.content }} {{ bulwark_ssh__moduli_other }}"
  ansible.builtin.debug:
    msg: "{{ __bulwark_ssh_line }} {{ __bulwark_ssh_moduli }} {{ bulwark_ssh_port }}"
"""
# `__line` is an ssh-role name only; another role's `__line` is not the same variable.
OTHER_ROLE = "- ansible.builtin.debug:\n    msg: \"{{ __line }}\"\n"
PLAYBOOK = "- ansible.builtin.debug:\n    var: bulwark_accounts_evidence_weak.findings\n"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def _tree(root: Path) -> None:
    files = {"roles/ssh/tasks/moduli.yml": SSH_TASKS, "roles/timesync/tasks/main.yml": OTHER_ROLE,
             "playbooks/evidence.yml": PLAYBOOK}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)


def test_rename_is_exact_scoped_and_idempotent(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = _run(tmp_path, "--check")
    assert before.returncode == 1
    assert "roles/ssh/tasks/moduli.yml:4: bulwark_ssh__moduli -> __bulwark_ssh_moduli" in (
        before.stdout)

    assert _run(tmp_path).stdout.strip() == "rewrote 2 file(s)"
    assert (tmp_path / "roles/ssh/tasks/moduli.yml").read_text() == SSH_RENAMED
    assert (tmp_path / "roles/timesync/tasks/main.yml").read_text() == OTHER_ROLE
    assert "__bulwark_accounts_evidence_weak.findings" in (
        tmp_path / "playbooks/evidence.yml").read_text()

    assert _run(tmp_path).stdout.strip() == "rewrote 0 file(s)"
    assert _run(tmp_path, "--check").returncode == 0


def test_a_tree_without_roles_is_refused(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"rename_internal_vars: {tmp_path} has no roles/ directory"
